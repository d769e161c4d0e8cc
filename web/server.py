"""Serving the portal with uvicorn: `isa web` alone, or as one of the processes of `isa up`."""

import uvicorn

from core.settings import Settings
from web.app import create_app


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until stopped. The app is made first, so a missing secret key or an unmigrated
    register is one line of refusal, not a server that fails on its first request."""
    app = create_app(settings)
    # the client address in the audit evidence is the connection's own: uvicorn rewrites it from
    # no header; the app reads X-Forwarded-For itself, and only from ISA_TRUSTED_PROXIES
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
