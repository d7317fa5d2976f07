"""The WSGI entry for gunicorn: `gunicorn service.wsgi:app` (each worker process imports and warms it)."""

from service import create_app
from service.warmup import warm_up

app = create_app()
warm_up(app)
