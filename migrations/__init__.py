"""Alembic migrations of the register's schema, from the first table on."""
