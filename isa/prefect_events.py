"""Whether the Prefect server answers. (The events that start flows are published from the
event outbox: notifications/publication.py.)"""

import httpx


def server_healthy(api_url: str, *, timeout: float = 2.0) -> bool:
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json() is True
