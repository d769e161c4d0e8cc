"""Prefect flows: orchestration only, one flow per file, each calling use cases through tasks."""
