"""The teaching dashboard in a real browser (Debian's Chromium via Playwright).

One server (``alliancesim.app.dashboard`` on a free 127.0.0.1 port) for the module:

- controls show their values, start from the chosen preset's own terms, mark changes
  waiting for Reset, offer the preset's own contract models; tabs have names;
- several sessions at once on a busy CPU each keep their own model (checked by
  stepping each one after the others connected: a dead session does not step),
  and a closed tab frees its session on the server;
- class mode shows the negotiation oldest first and each month's settlement, and
  the role-play: a student takes a seat, refuses, and the outcome changes.

Screenshots go to ``tests/browser/artifacts/`` (or ``$ALLIANCESIM_ARTIFACTS``).
No fixed sleeps: every wait is for a condition on the page or the server.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("ALLIANCESIM_ARTIFACTS", Path(__file__).parent / "artifacts"))
WAIT = 60_000  # ms: a generous ceiling for a busy 2-core machine, never a fixed wait
SESSIONS = 3


@pytest.fixture(scope="module")
def app_url(start_solara_app):
    with start_solara_app("alliancesim.app.dashboard") as url:
        yield url


@pytest.fixture(autouse=True)
def _patient_expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT)


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def month(page):
    return page.locator(".alliancesim-period").first


def ready(page):
    """Wait until no job runs in the session (the busy indicator is off)."""
    from playwright.sync_api import expect

    expect(page.locator(".alliancesim-ready")).to_be_visible()


def step(page, to: int) -> None:
    from playwright.sync_api import expect

    ready(page)
    button(page, "Step").first.click()
    expect(month(page)).to_have_text(re.compile(rf"^Month {to} of "))
    ready(page)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select whose label starts with ``label``. A click
    that lands while the select is being redrawn is lost: open it again until the
    option shows (a condition, not a sleep)."""
    from playwright.sync_api import expect

    field = page.locator(".v-select", has_text=re.compile(rf"^{re.escape(label)}")).first
    item = page.get_by_role("option", name=option, exact=True)
    for _attempt in range(10):
        field.click()
        try:
            expect(item).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    item.click()
    expect(field).to_contain_text(option)
    # a select redrawn while open can leave its menu open: click away to close it
    page.get_by_text("Controls (apply on Reset)").click()
    expect(page.get_by_role("listbox")).to_have_count(0)


def kernels(url: str) -> int:
    with urllib.request.urlopen(url + "resourcez", timeout=10) as response:
        return json.load(response)["kernels"]["total"]


@contextlib.contextmanager
def busy_cpu(processes: int = 2, seconds: float = 90.0):
    """Bounded busy loops, one per core, stopped when the block ends."""
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\n"
    loops = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(processes)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def test_controls_show_values_and_start_from_the_presets_terms(app_url, new_page):
    from playwright.sync_api import expect

    page = new_page(app_url)
    expect(month(page)).to_have_text(re.compile(r"^Month 0 of 120"))
    for name in ("Economy", "Class mode", "Compare"):
        expect(page.get_by_role("tab", name=name)).to_be_visible()
    sidebar = page.locator(".alliancesim-controls")
    expect(sidebar.get_by_text("Initial trust: 0.60")).to_be_visible()
    expect(sidebar.get_by_text("Seed: 1")).to_be_visible()

    choose(page, "Preset", "mental_health_alliance")
    # the case's own terms, not the default preset's
    expect(sidebar.get_by_text(re.compile(r"^Initial trust: 0\.80"))).to_be_visible()
    expect(sidebar.get_by_text(re.compile(r"^Savings target a year: 23\.0%"))).to_be_visible()
    expect(page.locator(".alliancesim-pending")).to_contain_text("Press Reset")
    # the old model is still running until Reset
    expect(page.get_by_text(re.compile(r"^Preset 'default'"))).to_be_visible()
    button(page, "Reset").click()
    ready(page)
    expect(page.locator(".alliancesim-pending")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^Preset 'mental_health_alliance'"))).to_be_visible()
    expect(
        page.locator(".alliancesim-summary tr", has_text="Mean trust").locator("td").nth(1)
    ).to_have_text(re.compile(r"^0\.[6-9]"))

    # a preset's own contract models are offered (here its lead provider joint venture)
    choose(page, "Preset", "community_joint_venture")
    expect(page.locator(".v-select", has_text="Contract model")).to_contain_text(
        "lead_provider_mou"
    )
    choose(page, "Contract model", "jv_lead_provider")
    choose(page, "Preset", "mental_health_alliance")  # back to the model that runs

    step(page, 1)
    expect(page.locator(".alliancesim-money-title")).to_contain_text("month 1")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    page.get_by_role("tab", name="Compare").click()
    expect(page.locator(".alliancesim-compare-title")).to_contain_text("'alliance' and")
    page.screenshot(path=str(ARTIFACTS / "compare.png"))
    assert not page.alliancesim_log.errors, page.alliancesim_log.errors


def test_sessions_survive_a_busy_machine_and_closed_tabs_free_them(app_url, new_page):
    """Several browsers on a busy CPU: each session keeps its own model and still
    answers after the others connected; a closed tab ends its session."""
    from playwright.sync_api import expect

    before = kernels(app_url)
    pages = []
    with busy_cpu():
        for n in range(SESSIONS):
            page = new_page(app_url)
            expect(month(page)).to_have_text(re.compile(r"^Month 0 of "))
            for k in range(1, n + 2):  # session n is n + 1 months in
                step(page, k)
            pages.append(page)
        assert kernels(app_url) >= before + SESSIONS
        # after every session connected, each still has its own model and still steps
        for n, page in enumerate(pages):
            expect(month(page)).to_have_text(re.compile(rf"^Month {n + 1} of "))
            step(page, n + 2)
            assert page.evaluate("solara.debug.connectionStatus") == "connected"
    for page in pages:
        page.close(run_before_unload=True)  # as a browser closing the tab: a beacon
    deadline = time.monotonic() + WAIT / 1000
    while kernels(app_url) > before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels(app_url) <= before, "closed tabs left their sessions on the server"


def test_class_mode_negotiation_settlement_and_role_play(app_url, new_page):
    from playwright.sync_api import expect

    page = new_page(app_url, height=1100)
    expect(month(page)).to_have_text(re.compile(r"^Month 0 of "))
    choose(page, "Preset", "small_economy")
    # Reset applies what the server holds: wait until it holds the new preset
    expect(page.locator(".alliancesim-pending")).to_contain_text("Press Reset")
    button(page, "Reset").click()
    # the page may still say Ready before the server has taken the click: wait for the
    # new preset's model, not for the old one's ready indicator
    expect(page.locator(".alliancesim-pending")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^Preset 'small_economy'"))).to_be_visible()
    ready(page)
    page.get_by_role("tab", name="Class mode").click()

    # the negotiation, oldest first, one step at a time
    rows = page.locator(".alliancesim-negotiation tr")
    expect(rows).to_have_count(2)  # header and the opening proposal
    expect(rows.nth(1)).to_contain_text("proposes")
    button(page, "Next negotiation step").click()
    expect(rows).to_have_count(3)
    button(page, "Show the whole negotiation").click()
    expect(page.locator(".alliancesim-negotiation")).to_contain_text("is signed")
    expect(page.locator(".alliancesim-negotiation")).to_contain_text(
        "shared by acute_trust, community_trust, gp_federation"
    )

    # a month's settlement: payments with their notes and line items explained
    button(page, "Step").last.click()
    expect(page.locator(".alliancesim-class-period")).to_have_text(re.compile(r"^Month 1 of "))
    ready(page)
    settlement = page.locator(".alliancesim-settlement")
    expect(settlement.locator(".alliancesim-tip").first).to_have_attribute(
        "title", re.compile(r"\w+: ")
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "class-mode.png"), full_page=True)
    settlement.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "settlement.png"))

    # role-play: take the acute trust's seat and refuse to share the risk
    choose(page, "Your organisation", "acute_trust")
    ready(page)
    question = page.locator(".alliancesim-roleplay")
    expect(question).to_contain_text("Your decision as acute_trust")
    expect(question).to_contain_text("your reserves")
    page.screenshot(path=str(ARTIFACTS / "role-play.png"), full_page=True)
    question.get_by_role("button", name="Refuse", exact=True).click()
    ready(page)
    expect(page.locator(".alliancesim-seat-done")).to_be_visible()
    expect(page.locator(".alliancesim-negotiation")).to_contain_text(
        "acute_trust refuses to share losses"
    )
    outcome = page.locator(".alliancesim-seat-outcome")
    expect(outcome).to_contain_text("the commissioners alone")  # no provider shares risk now
    # a new run from the start
    expect(page.locator(".alliancesim-class-period")).to_have_text(re.compile(r"^Month 0 of "))
    # the teacher's view lists this session's seat and outcome
    page.get_by_role("tab", name="Teacher's view").click()
    row = page.locator(".alliancesim-teacher tr", has_text="acute_trust")
    expect(row).to_contain_text("the commissioners alone")
    expect(row).to_contain_text("small_economy")
    assert not page.alliancesim_log.errors, page.alliancesim_log.errors
