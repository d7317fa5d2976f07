"""The review UI, driven in Debian's Chromium (headless, through Playwright) against a running service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_stack
from tests.support.browser import CHROMIUM
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def ui_stack(tmp_path_factory: pytest.TempPathFactory, tiny_model: tuple[Path, Path]) -> Iterator[Stack]:
    ckpt, _ = tiny_model
    stack, redis = start_stack(tmp_path_factory.mktemp("ui"), {"TOXICITY_MODEL": str(ckpt)})
    yield stack
    stack.stop()
    redis.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
