"""Calls to the Prefect server's API from `isa up`, `isa deploy` and `isa worker`: a busy
server's 503 is tried again, and what went wrong is told in one line."""

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from isa.prefect_events import http_problem, prefect_request


@pytest.fixture
def busy_server() -> Iterator[tuple[str, list[int]]]:
    """A server that answers 503 to the first two requests to /busy, then 200; 404 elsewhere."""
    seen: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(1)
            status = 404 if self.path != "/busy" else (503 if len(seen) <= 2 else 200)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()


def test_a_503_is_tried_again_until_the_server_answers(busy_server) -> None:
    url, seen = busy_server
    assert prefect_request("GET", f"{url}/busy").status_code == 200
    assert len(seen) == 3


def test_an_error_status_is_told_in_one_line(busy_server) -> None:
    url, seen = busy_server
    with pytest.raises(httpx.HTTPStatusError) as raised:
        prefect_request("GET", f"{url}/missing")
    assert http_problem(raised.value) == "404 Not Found"
    assert len(seen) == 1  # a 404 is not tried again
    assert prefect_request("GET", f"{url}/missing", check=False).status_code == 404


def test_a_server_that_is_not_there_is_told_in_one_line() -> None:
    with pytest.raises(httpx.HTTPError) as raised:
        prefect_request("GET", "http://127.0.0.1:1/api/health")
    assert "\n" not in http_problem(raised.value) and http_problem(raised.value)
