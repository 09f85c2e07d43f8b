"""SQLAlchemy tables, the repository behind the core's ports, migrations and blobs."""
