"""Demo data for utility billing, imported only by seed_demo."""
