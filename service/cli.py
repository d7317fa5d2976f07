"""The `moderation` command: run everything, manage sites, the database, models and moderators."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask

from service.config import ConfigError


def _app() -> Flask:
    from service import create_app

    try:
        app = create_app()
        logging.getLogger("alembic").setLevel(logging.WARNING)  # keep a CLI's output to what it was asked
        return app
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _ready_schema(app: Flask) -> None:
    """Bring an embedded SQLite database up to date; ask for `db upgrade` on a shared server database."""
    from service import migrate

    if migrate.is_current():
        return
    if app.config["DATABASE_URL"].startswith("sqlite"):
        migrate.upgrade()
        return
    raise click.ClickException("the database schema is not current: run `moderation db upgrade` first")


def _site_json(site) -> dict:  # type: ignore[no-untyped-def]
    from service.timeutil import isoformat

    return {
        "id": site.id,
        "name": site.name,
        "webhook_url": site.webhook_url,
        "created_at": isoformat(site.created_at),
        "policy": site.policy,
    }


def _policy_arg(value: str | None) -> dict | None:
    if value is None:
        return None
    text = Path(value[1:]).read_text() if value.startswith("@") else value
    try:
        policy = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}") from None
    if not isinstance(policy, dict):
        raise click.BadParameter("must be a JSON object")
    return policy


@click.group()
def main() -> None:
    """Self-hosted comment moderation: toxicity and spam scoring, site policy, signed webhooks."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--web-workers", default=0, type=int, help="gunicorn worker processes (default MODERATION_WEB_WORKERS)"
)
def run(host: str, port: int, web_workers: int) -> None:
    """Start Redis (unless MODERATION_REDIS_URL is set), the API, the workers and beat; Ctrl-C stops all."""
    from service.runner import run_all

    sys.exit(run_all(host=host, port=port, web_workers=web_workers))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", "web_workers", default=0, type=int, help="processes (default MODERATION_WEB_WORKERS)")
def web(host: str, port: int, web_workers: int) -> None:
    """Serve the API and UI with gunicorn (in the foreground)."""
    from service.config import load_config
    from service.runner import web_command

    config = load_config()
    cmd = web_command(host, port, web_workers or config["WEB_WORKERS"], config["WEB_THREADS"])
    os.execv(cmd[0], cmd)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--queue", type=click.Choice(["score", "webhooks"]), required=True)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(queue: str, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker for one queue (extra arguments go to `celery worker`)."""
    from service.runner import worker_command

    cmd = worker_command(queue) + list(celery_args)
    os.execv(cmd[0], cmd)


@main.command()
def beat() -> None:
    """Run Celery beat, which schedules the sweep that re-queues anything a lost message left behind."""
    from service.runner import beat_command

    app = _app()
    cmd = beat_command(Path(app.config["DATA_DIR"]))
    os.execv(cmd[0], cmd)


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def models(args: tuple[str, ...]) -> None:
    """Toxicity models: pull, build, list, compare (`moderation models --help`)."""
    # Run in a process of its own: model work needs torch, which the service never imports.
    cmd = [sys.executable, "-m", "workers.models", *args]
    os.execv(cmd[0], cmd)


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply every migration the database lacks."""
    from service import migrate

    app = _app()
    with app.app_context():
        migrate.upgrade()
    click.echo("database is up to date", err=True)


@main.group()
def sites() -> None:
    """Sites: one per blog, each with its API key, webhook URL, secret and policy."""


@sites.command("create")
@click.option("--name", required=True)
@click.option("--webhook-url", required=True)
@click.option("--policy", help="policy overrides as JSON, or @file")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object and nothing else")
def sites_create(name: str, webhook_url: str, policy: str | None, as_json: bool) -> None:
    """Create a site and print its API key and webhook secret (shown this once)."""
    from marshmallow import ValidationError

    from service.sites.store import SiteError, create_site

    app = _app()
    with app.app_context():
        _ready_schema(app)
        try:
            site, key, secret = create_site(name=name, webhook_url=webhook_url, policy=_policy_arg(policy))
        except (SiteError, ValidationError) as exc:
            raise click.ClickException(str(exc)) from None
        if as_json:
            click.echo(json.dumps({"site": _site_json(site), "api_key": key, "webhook_secret": secret}))
            return
        click.echo(f"Created site {site.name} ({site.id}).")
        click.echo(f"  API key:        {key}")
        click.echo("                  send it as 'Authorization: Bearer <key>'; it is shown only now")
        click.echo(f"  Webhook secret: {secret}")
        click.echo("                  verify the webhook-signature header with it (Standard Webhooks)")
        click.echo(f"  Webhook URL:    {site.webhook_url}")


@sites.command("list")
@click.option("--json", "as_json", is_flag=True)
def sites_list(as_json: bool) -> None:
    """List the sites."""
    from service.sites.store import list_sites

    app = _app()
    with app.app_context():
        _ready_schema(app)
        rows = [_site_json(s) for s in list_sites()]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['name']:<24} {row['id']}  {row['webhook_url']}")


@sites.command("show")
@click.argument("name")
def sites_show(name: str) -> None:
    """Show a site and its effective policy (defaults with its overrides) as JSON."""
    from service.sites.policy import effective_policy
    from service.sites.store import SiteError, get_site

    app = _app()
    with app.app_context():
        _ready_schema(app)
        try:
            site = get_site(name=name)
        except SiteError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(json.dumps({**_site_json(site), "effective_policy": effective_policy(site.policy)}, indent=2))


@sites.command("update")
@click.argument("name")
@click.option("--webhook-url")
@click.option("--policy", help="policy overrides as JSON, or @file (replaces the stored overrides)")
@click.option("--rate-limit", type=int, help="requests a minute for this site")
def sites_update(name: str, webhook_url: str | None, policy: str | None, rate_limit: int | None) -> None:
    """Change a site's webhook URL, policy overrides or rate limit."""
    from marshmallow import ValidationError

    from service.sites.store import SiteError, get_site, update_site

    app = _app()
    with app.app_context():
        _ready_schema(app)
        try:
            update_site(
                get_site(name=name),
                webhook_url=webhook_url,
                policy=_policy_arg(policy),
                rate_limit_per_minute=rate_limit,
            )
        except (SiteError, ValidationError) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"updated {name}", err=True)


@sites.command("rotate-key")
@click.argument("name")
@click.option("--grace-hours", default=0.0, show_default=True, help="keep the old key working this long")
def sites_rotate_key(name: str, grace_hours: float) -> None:
    """Issue a new API key; the old one stops working (after the grace period, if given)."""
    from service.sites.store import SiteError, get_site, rotate_api_key

    app = _app()
    with app.app_context():
        _ready_schema(app)
        try:
            key = rotate_api_key(get_site(name=name), grace=timedelta(hours=grace_hours))
        except SiteError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(key)


@sites.command("rotate-secret")
@click.argument("name")
@click.option("--grace-hours", default=24.0, show_default=True, help="sign with the old secret too this long")
def sites_rotate_secret(name: str, grace_hours: float) -> None:
    """Add a new webhook secret; both sign deliveries during the grace period."""
    from service.sites.store import SiteError, get_site, rotate_webhook_secret

    app = _app()
    with app.app_context():
        _ready_schema(app)
        try:
            secret = rotate_webhook_secret(get_site(name=name), grace=timedelta(hours=grace_hours))
        except SiteError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(secret)


@main.group()
def moderators() -> None:
    """Moderators: the people who review held comments in the browser (/ui)."""


@moderators.command("create")
@click.option("--email", required=True)
@click.option("--site", "site_names", multiple=True, help="a site they moderate (repeat for several)")
@click.option("--role", type=click.Choice(["moderator", "admin"]), default="moderator", show_default=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def moderators_create(email: str, site_names: tuple[str, ...], role: str, password_stdin: bool) -> None:
    """Create a moderator (or an admin, who sees every site and manages sites and moderators)."""
    from service.review.store import AccountError, create_moderator
    from service.sites.store import SiteError, get_site

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app()
    with app.app_context():
        _ready_schema(app)
        try:
            sites = [get_site(name=n) for n in site_names]
            moderator = create_moderator(email=email, password=password, role=role, sites=sites)
        except (SiteError, AccountError) as exc:
            raise click.ClickException(str(exc)) from None
        where = ", ".join(s.name for s in moderator.sites) or "every site"
        click.echo(f"Created {moderator.role} {moderator.email} for {where}. Log in at /ui/login.")


@moderators.command("list")
def moderators_list() -> None:
    """List the moderators and their sites."""
    from service.review.store import list_moderators

    app = _app()
    with app.app_context():
        _ready_schema(app)
        for m in list_moderators():
            click.echo(f"{m.email:<32} {m.role:<10} {', '.join(s.name for s in m.sites) or 'every site'}")


if __name__ == "__main__":
    main()
