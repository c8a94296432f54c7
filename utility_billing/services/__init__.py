"""Writes of utility billing, one module per area; the only code that changes its rows.
Each public function is one business action, in one transaction."""
