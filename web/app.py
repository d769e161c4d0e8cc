"""The portal: where a partner acts from the personal link in their email, signs in, sees what
waits on them and raises a matter. `create_app` assembles it: the shared state (web/portal.py),
the routes by what they serve (web/acts.py the personal link's pages, web/sign_in.py signing in
and out, web/me.py the person's own pages, web/raising.py raising a matter), the plain pages
for an unknown address, and the headers and body bound every response and request carries
(web/security.py)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from core.settings import Settings
from web import acts, me, raising, sign_in
from web.portal import MAX_BODY_BYTES, Portal, unknown
from web.security import BodyLimit, SecurityHeaders


def create_app(settings: Settings | None = None) -> FastAPI:
    portal = Portal(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # a stopped portal holds no connection to the register
        portal.engine.dispose()

    # a trailing slash is redirected by the 404 handler, to the configured base address
    app = FastAPI(
        docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False, lifespan=lifespan
    )
    app.state.portal = portal
    app.add_exception_handler(StarletteHTTPException, _plain)
    app.add_exception_handler(RequestValidationError, _malformed)
    # every response carries the headers; outermost, every route's body is bounded before any
    # of it is parsed
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    for routes in (sign_in, acts, me, raising):
        app.include_router(routes.router)
    return app


async def _plain(request: Request, exc: Exception) -> Response:
    """Any other address, or a method a page does not take: a plain page, never JSON."""
    assert isinstance(exc, StarletteHTTPException)
    portal: Portal = request.app.state.portal
    if exc.status_code == 404:
        moved = _without_slash(request, portal)
        return moved if moved is not None else unknown(portal, request)
    return portal.problem(request, exc.status_code, "That cannot be done here", str(exc.detail))


async def _malformed(request: Request, exc: Exception) -> Response:
    return unknown(request.app.state.portal, request)


def _without_slash(request: Request, portal: Portal) -> Response | None:
    """A page's address with a trailing slash: a redirect to the page at the configured public
    address (never the request's Host); None when no page is there either."""
    path = request.url.path
    if path == "/" or not path.endswith("/"):
        return None
    bare = path.rstrip("/") or "/"
    scope = {**request.scope, "path": bare}
    if not any(route.matches(scope)[0] is not Match.NONE for route in request.app.router.routes):
        return None
    query = request.url.query
    return RedirectResponse(
        f"{portal.settings.public_url}{bare}" + (f"?{query}" if query else ""), status_code=307
    )
