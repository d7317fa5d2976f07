"""The moderation service: a Flask app for blog platforms (API) and moderators (UI)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from service.config import load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from defaults, `MODERATION_*` and `test_config`; extensions; blueprints."""
    app = Flask(__name__)
    settings = load_config(test_config)
    app.config.update(settings)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        # A pooled connection for every request thread, kept (see service/warmup.py).
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": settings["WEB_THREADS"] + 2},
        MAX_CONTENT_LENGTH=settings["MAX_BODY_BYTES"],
        API_TITLE="Comment moderation",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["SECURE_COOKIES"],
        SESSION_COOKIE_NAME="moderation_session",
    )
    if settings["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    logging.basicConfig(level=settings["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from sqlalchemy import event

    from service import models  # noqa: F401  (registers every table with the metadata)
    from service.extensions import api, celery_init_app, celery_settings, db, redis_init_app, sqlite_pragmas

    app.config["CELERY"] = celery_settings(settings)
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "connect", sqlite_pragmas)
    redis_init_app(app)
    celery_init_app(app)
    api.init_app(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})

    from service.comments.routes import blp as comments_blp
    from service.docs import docs_assets
    from service.errors import register_error_handlers
    from service.health.routes import blp as health_blp
    from service.review import auth as review_auth
    from service.review.routes import blp as review_blp
    from service.webhooks.routes import blp as webhooks_blp

    api.register_blueprint(comments_blp, parameters=[], security=[{"bearer": []}])
    api.register_blueprint(webhooks_blp, parameters=[], security=[{"bearer": []}])
    api.register_blueprint(health_blp)
    app.register_blueprint(docs_assets)
    review_auth.init_app(app)
    app.register_blueprint(review_blp)
    register_error_handlers(app)
    return app
