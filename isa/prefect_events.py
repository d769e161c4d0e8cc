"""Whether the Prefect server answers. (The events that start flows are published from the
event outbox: notifications/publication.py.)"""

import time
from typing import Any

import httpx


def server_healthy(api_url: str, *, timeout: float = 2.0) -> bool:
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json() is True


def prefect_request(method: str, url: str, *, check: bool = True, **kwargs: Any) -> httpx.Response:
    """One call to the Prefect server's API. A server busy on its SQLite (the flows the events
    just started) answers 503 now and then: tried again, as Prefect's own client does. With
    `check`, an error status raises httpx.HTTPStatusError."""
    for attempt in range(6):
        response = httpx.request(method, url, timeout=10, **kwargs)
        if response.status_code not in (429, 503) or attempt == 5:
            break
        time.sleep(0.5 * (attempt + 1))
    return response.raise_for_status() if check else response


def http_problem(exc: httpx.HTTPError) -> str:
    """What went wrong, on one line: the status and its reason, or the connection's error."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"{exc.response.status_code} {exc.response.reason_phrase}"
    return " ".join(str(exc).split()) or type(exc).__name__
