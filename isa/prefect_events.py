"""Telling the Prefect server that something was raised, so its deployment trigger starts the
matching flow at once. The register is written first: if the server cannot be reached, nothing
is lost, the daily sweep starts the flow later, and the caller says so."""

import uuid

import httpx
import pendulum


def emit(api_url: str, event: str, reference: str, *, timeout: float = 3.0) -> bool:
    """POST one event to the server's events API; True when the server accepted it."""
    kind = event.split(".")[1] if event.count(".") >= 2 else "matter"
    payload = [
        {
            "id": str(uuid.uuid4()),
            "occurred": pendulum.now("UTC").isoformat(),
            "event": event,
            "resource": {
                "prefect.resource.id": f"isa.{kind}.{reference}",
                "prefect.resource.name": reference,
                "isa.reference": reference,
            },
            "related": [],
            "payload": {"reference": reference},
        }
    ]
    try:
        response = httpx.post(f"{api_url.rstrip('/')}/events", json=payload, timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code < 300


def server_healthy(api_url: str, *, timeout: float = 2.0) -> bool:
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json() is True
