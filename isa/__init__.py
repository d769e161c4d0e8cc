"""The `isa` application shell: settings, database wiring and the command line."""
