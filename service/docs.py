"""Swagger UI's files for the `/docs` page, served from the installed flask-swagger-ui package."""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint

docs_assets = Blueprint(
    "docs_assets",
    __name__,
    static_folder=str(files("flask_swagger_ui") / "dist"),
    static_url_path="/docs/assets",
)
