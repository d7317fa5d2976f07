"""One JSON error shape for every failure: flask-smorest's `{code, status, message, errors?}`."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from service.extensions import db

log = logging.getLogger(__name__)


def _error(code: int, status: str, message: str, headers: dict | None = None):
    response = jsonify({"code": code, "status": status, "message": message})
    response.status_code = code
    response.headers.update(headers or {})
    return response


def register_error_handlers(app: Flask) -> None:
    """Dependency failures answer 503 with Retry-After; anything unexpected 500, never an HTML page."""

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):
        db.session.rollback()
        log.error("database unavailable: %s", exc)
        return _error(
            503, "Service Unavailable", "The database is unavailable; retry shortly.", {"Retry-After": "5"}
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # reached only for codes smorest does not know
            return _error(exc.code or 500, exc.name, exc.description or exc.name)
        if isinstance(exc, DBAPIError):
            db.session.rollback()
        log.exception("unhandled error")
        return _error(500, "Internal Server Error", "An unexpected error occurred; it has been logged.")
