"""The use cases: plain functions, each one unit of work (one transaction with its audit events,
its emails and the Prefect events it publishes); the sweeps; the read models flows report from;
and the thin Prefect task wrappers (`tasks/flow_tasks.py`) the flows call."""
