"""Shared pytest fixtures.

Website fixtures (``site_dir``, ``site_url``, ``browser``, ``open_page``): the
built site (``make book`` writes ``_build/html``) served over a local HTTP
server, and headless Debian Chromium driven by Playwright with every request
outside that server blocked.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE_DIR = ROOT / "_build" / "html"
ARTIFACTS_DIR = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Run a test module's torch work on one thread, then restore the previous setting.

    Tiny models and t-SNE run fastest on one thread, and stay fast when the cores are
    shared. Used by a module with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def site_dir() -> Path:
    """The built website; fails (does not skip) when it has not been built."""
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(
            f"the website is not built ({SITE_DIR / 'index.html'} is missing): run `make book` first "
            "(`make test` builds it before running the tests)",
            pytrace=False,
        )
    return SITE_DIR


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for screenshots kept after the tests (``test-artifacts/``, not committed)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """Base URL (no trailing slash) of the built site served on a free local port."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make browser-deps`)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageLog:
    """What happened while a page was open: console errors, failed and blocked requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every problem as one line (empty when the page was clean)."""
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"failed request: {m}" for m in self.failed_requests]
            + [f"request outside the site (blocked): {m}" for m in self.blocked_requests]
        )


@pytest.fixture
def open_page(browser: Any, site_url: str) -> Iterator[Callable[..., tuple[Any, PageLog]]]:
    """Open a page of the site in a fresh browser context; returns ``(page, log)``.

    Every request that does not go to the local server (or is not a ``data:``
    or ``blob:`` URL) is aborted and recorded in ``log.blocked_requests``.
    """
    contexts = []

    def _open(path: str, width: int = 1280, height: int = 900) -> tuple[Any, PageLog]:
        log = PageLog()
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith((site_url + "/", "data:", "blob:")):
                route.continue_()
            else:
                log.blocked_requests.append(url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: log.page_errors.append(str(e)))
        page.on(
            "requestfailed",
            lambda r: (
                None
                if r.url in log.blocked_requests
                else log.failed_requests.append(f"{r.url} ({r.failure})")
            ),
        )
        page.on(
            "response",
            lambda r: log.failed_requests.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
        )
        page.goto(f"{site_url}/{path.lstrip('/')}", wait_until="load")
        return page, log

    yield _open
    for context in contexts:
        context.close()
