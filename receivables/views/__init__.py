"""The receivables screens, one module per area; receivables/urls.py joins their routes."""
