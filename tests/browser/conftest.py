"""Fixtures for browser tests: a Solara app served on 127.0.0.1, driven by
Playwright in Debian's Chromium (/usr/bin/chromium).

Usage in a test module::

    import re
    import pytest
    from playwright.sync_api import expect

    @pytest.fixture(scope="module")
    def app_url(start_solara_app):
        with start_solara_app("alliancesim.app.dashboard") as url:
            yield url

    def test_step(app_url, new_page):
        page = new_page(app_url)
        page.get_by_role("button", name="Step", exact=True).click()
        ...

Facts these fixtures rely on (checked with Mesa 3.5.1 / Solara 1.58.2):
- `solara run APP --host 127.0.0.1 --port P --production --no-open
  --no-check-version` is up in about 2 s; GET /readyz answers 200 when ready.
  `--no-check-version` matters: otherwise Solara asks PyPI at start-up.
- Nothing leaves the machine when SOLARA_ASSETS_CDN points at loopback, the
  plots use Mesa's matplotlib backend, and text uses solara.Text rather than
  solara.Markdown (Markdown pulls KaTeX, and Altair pulls vega@5, neither of
  which solara-assets ships).
- SIGTERM to the server's process group stops it within a second or two.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOST = "127.0.0.1"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_TIMEOUT = 90.0  # seconds; a cold start here takes about 2 s
REPO_ROOT = Path(__file__).resolve().parents[2]
IN_CI = bool(os.environ.get("CI"))

# Environment for the Solara subprocess: offline, headless, quiet.
SOLARA_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "MPLBACKEND": "Agg",
    "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    # Any asset missing from solara-assets would be fetched from a CDN by
    # Solara's proxy; a closed loopback port makes that fail fast, locally.
    "SOLARA_ASSETS_CDN": f"http://{HOST}:9/npm/",
    "SOLARA_THEME_SHOW_BANNER": "False",
}


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/browser with the `browser` marker."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    """Skip on a developer machine; fail in CI, where the browser must be there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    return _free_port()


@pytest.fixture
def solara_env() -> dict[str, str]:
    """The process environment for a dashboard server: offline, headless, quiet."""
    return {**os.environ, **SOLARA_ENV}


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_browser():
    """Playwright's Chromium browser, launched from /usr/bin/chromium."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("python package playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class PageLog:
    """What a page did: every request URL, failed requests, console errors."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

    def non_local_requests(self) -> list[str]:
        out = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out


@pytest.fixture
def new_page(chromium_browser) -> Iterator[Callable]:
    """Factory: ``page = new_page(url)`` opens a fresh browser context (its own
    cookies, so its own Solara session) and goes to ``url``.

    ``page.alliancesim_log`` is a PageLog. At teardown the test fails if any
    page requested a host other than 127.0.0.1/localhost.
    """
    contexts = []
    logs: list[PageLog] = []

    def open_page(url: str | None = None, *, width: int = 1400, height: int = 900):
        ctx = chromium_browser.new_context(viewport={"width": width, "height": height})
        ctx.set_default_timeout(30_000)
        contexts.append(ctx)
        page = ctx.new_page()
        log = PageLog()
        logs.append(log)
        page.on("request", lambda r: log.requests.append(r.url))
        page.on("requestfailed", lambda r: log.failed.append(f"{r.url} {r.failure}"))
        page.on("console", lambda m: m.type == "error" and log.errors.append(m.text))
        page.on("pageerror", lambda e: log.errors.append(str(e)))
        page.alliancesim_log = log
        if url is not None:
            page.goto(url)
        return page

    yield open_page
    for ctx in contexts:
        with contextlib.suppress(Exception):
            ctx.close()
    outside = [u for log in logs for u in log.non_local_requests()]
    assert not outside, f"the page requested hosts other than loopback: {outside}"


def _wait_until_ready(url: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"solara exited with code {proc.returncode} before it was ready; "
                f"log:\n{_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(url + "readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise TimeoutError(
        f"solara did not answer {url}readyz within {timeout:.0f} s; log:\n{_tail(log_path)}"
    )


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def solara_app(
    app: str | os.PathLike,
    port: int | None = None,
    *,
    timeout: float = SERVER_START_TIMEOUT,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Serve ``app`` (a .py path or a dotted module such as
    ``alliancesim.app.dashboard``) with ``solara run`` on 127.0.0.1 and yield
    its base URL (ending in "/"). The server runs in its own process group,
    which is terminated on exit. Its output goes to a temporary log whose
    tail is shown if it fails to start."""
    port = port or _free_port()
    url = f"http://{HOST}:{port}/"
    env = {**os.environ, **SOLARA_ENV, **(extra_env or {})}
    cmd = [
        sys.executable, "-m", "solara", "run", str(app),
        "--host", HOST, "--port", str(port),
        "--production", "--no-open", "--no-check-version",
    ]  # fmt: skip
    log_dir = Path(tempfile.mkdtemp(prefix="solara-test-"))
    log_path = log_dir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group, killed as one
        )
    try:
        _wait_until_ready(url, proc, log_path, timeout)
        yield url
    finally:
        _stop(proc)
        shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def start_solara_app():
    """The `solara_app` context manager: ``with start_solara_app(app) as url:``.
    Session-scoped so module-scoped server fixtures can use it."""
    return solara_app
