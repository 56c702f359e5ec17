"""`/docs`: Swagger UI over `/openapi.json`, working offline.

Swagger UI's files come from the installed `fastapi-offline` package (which ships Swagger UI
5's `swagger-ui-bundle.js` and `swagger-ui.css`); the page's own script is
api/static/docs.js. Everything is served by orderpay, under a Content-Security-Policy that
lets the page load and connect to this origin only: no request leaves the page
(tests/api/test_docs_work_offline.py opens it in Chromium with the network cut).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from orderpay.errors import NotFound

router = APIRouter(include_in_schema=False)

_OWN = Path(__file__).parent / "static"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
# name -> where it is. Swagger UI's are the package's; docs.js is ours.
_FILES = {
    "swagger-ui-bundle.js": "fastapi_offline",
    "swagger-ui.css": "fastapi_offline",
    "favicon.png": "fastapi_offline",
    "docs.js": None,
}

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def _asset(name: str) -> tuple[bytes, str, str]:
    """(content, media type, version) of one of the page's files, read once."""
    package = _FILES[name]
    if package is None:
        content = (_OWN / name).read_bytes()
    else:
        content = (resources.files(package) / "static" / name).read_bytes()
    version = hashlib.sha256(content).hexdigest()[:12]
    return content, _TYPES[Path(name).suffix], version


def _url(name: str) -> str:
    return f"/docs/static/{name}?v={_asset(name)[2]}"


@cache
def _page() -> bytes:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>orderpay API</title>
<link rel="icon" type="image/png" href="{_url("favicon.png")}">
<link rel="stylesheet" href="{_url("swagger-ui.css")}">
</head>
<body data-openapi="/openapi.json">
<div id="swagger-ui"></div>
<script src="{_url("swagger-ui-bundle.js")}"></script>
<script src="{_url("docs.js")}"></script>
</body>
</html>
""".encode()


@router.get("/docs")
async def docs_page() -> Response:
    return HTMLResponse(_page(), headers=_HEADERS)


@router.get("/docs/static/{name}")
async def docs_asset(name: str) -> Response:
    if name not in _FILES:
        raise NotFound("No such file.")
    content, media_type, _ = _asset(name)
    return Response(
        content,
        media_type=media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            # Every URL names its content's version (?v=), so it may be cached for good.
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )
