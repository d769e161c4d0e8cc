"""The bottom of the house: settings (read once, passed down), the database engine and its
migrations, the audit key, and files only their owner can read. Imports only `models`."""
