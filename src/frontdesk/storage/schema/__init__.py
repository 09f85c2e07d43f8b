"""The schema, one module per area (the tables of each area)."""
