"""Engines, the schema, each area's repositories, the unit of work, migrations and blobs."""
