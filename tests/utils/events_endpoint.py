"""A Prefect-like events API for tests: a real HTTP server taking `POST /api/events`."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class EventsEndpoint:
    """A Prefect-like `POST /api/events`: records every batch, answers `status`."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.status = 204
        # what the server does before it answers (a trigger starting a flow that writes)
        self.on_post: Any = None
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/api/events":
                    endpoint.batches.append(json.loads(body))
                    if endpoint.on_post is not None:
                        endpoint.on_post()
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [event for batch in self.batches for event in batch]
