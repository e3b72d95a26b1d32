"""``/docs`` without the internet: the Swagger UI page and its assets, served from this process.

FastAPI's default ``/docs`` page loads Swagger UI's script and style from a CDN, so on an
air-gapped host it is blank. The assets come instead from the ``swagger-ui-py`` package
(Swagger UI 5, which reads OpenAPI 3.1; Apache-2.0, its LICENSE ships beside the files) and
are served under ``/docs/assets/``. The page names no other host: the favicon is local and
the online validator badge is switched off.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE")


def assets_directory() -> Path:
    """The directory holding Swagger UI's files inside the installed ``swagger_ui`` package."""
    return Path(str(resources.files("swagger_ui") / "static"))


def install(app: FastAPI) -> None:
    """Add ``GET /docs`` and the asset files under ``/docs/assets/`` to ``app``.

    The app must have been created with ``docs_url=None`` (and ``redoc_url=None``, whose page
    would load from a CDN too), so FastAPI's own CDN page is not registered first.
    """
    directory = assets_directory()
    missing = [name for name in ASSETS if not (directory / name).is_file()]
    if missing:  # a packaging fault, not a user's: say which files, once, at start-up
        raise RuntimeError(f"Swagger UI assets missing from {directory}: {', '.join(missing)}")
    app.mount(ASSETS_URL, StaticFiles(directory=directory), name="swagger-ui-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_api_route(DOCS_URL, docs, methods=["GET"], include_in_schema=False)
