"""The teaching dashboard: ``alliancesim dashboard`` (or ``solara run alliancesim.app.dashboard``).

A Solara page built on the model's public API (``DashboardModel``, its events,
ledger entries and rows). Every piece of a session's state (its model, the
controls, class mode's place, the role-play seat) lives in hooks inside
:func:`Page`, so each browser session has its own and nothing is shared at
module level. Steps run in a worker thread (``solara.lab.use_task``): the
session's message loop stays free to answer the browser (a reconnect's status
check waits only 0.5 s before the page gives up its kernel), and a click while
a step runs is dropped rather than queued.

Works with no internet access: figures are matplotlib, text is ``solara.Text``
/ ``solara.HTML`` (Markdown and Altair pull assets from a CDN).

Tabs: "Economy" (one contract model), "Class mode" (the negotiation round by
round, then each month's settlement, and the role-play seat) and "Compare"
(the chosen model against another of the preset's on the same seed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import html
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import solara
import solara.lab
from alliancesim.app.classroom import (
    Seat,
    is_negotiation,
    negotiating_parties,
    negotiation_steps,
    net_flows,
    outcome_summary,
    payment_rows,
    position_text,
    record_outcome,
    session_outcomes,
    settlement,
    spend_reconciliation,
    valuation_rows,
    year_end_events,
)
from alliancesim.app.figures import (
    compare_figure,
    network_figure,
    outcome_figure,
    reserves_figure,
    spend_figure,
)
from alliancesim.app.session import (
    DECISION_RULES,
    PAIN_CAPS,
    DashboardModel,
    contract_model_choices,
    pounds,
    rival_choices,
    starting_controls,
)
from alliancesim.scenario import preset_names

__all__ = ["DashboardModel", "Page", "build_model"]

# Solara warns on every page served on 127.0.0.1 that it falls back to a SameSite=Lax
# session cookie (it wants "localhost" or https for SameSite=None, which only an
# embedding iframe needs). Lax is right for this local dashboard: silence the warning
# that looked like an error at start.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

TITLE = "alliancesim: contracts, money and trust in a local health economy"
TABS = ["Economy", "Class mode", "Compare", "Teacher's view"]
CSS = """
.alliancesim-page { font-size: 15px; padding-bottom: 64px; }
.alliancesim-page table { border-collapse: collapse; width: 100%; font-size: 14px; }
.alliancesim-page th { text-align: left; border-bottom: 2px solid #bbb; padding: 3px 6px; }
.alliancesim-page td { border-bottom: 1px solid #ddd; padding: 3px 6px; vertical-align: top; }
.alliancesim-scroll { max-height: 420px; overflow: auto; max-width: 100%; }
.alliancesim-scroll table { min-width: 100%; }
.alliancesim-pending { color: #a15c00; font-weight: bold; }
.alliancesim-tip { border-bottom: 1px dotted #555; cursor: help; }
.alliancesim-num { text-align: right; white-space: nowrap; }
.alliancesim-page .v-card { overflow: hidden; }
.alliancesim-page .v-card span:not([class*="v-"]):not(.alliancesim-tip) { display: block; margin: 2px 0; }
"""


def release_memory() -> None:
    """Collect a closed session's objects (its model holds cycles) and hand the freed
    memory back to the operating system (glibc's malloc keeps it otherwise)."""
    gc.collect()
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)
        if trim is not None:
            trim(0)


def _on_session_start():
    # runs when a session ends, before Solara closes its widgets: collect a moment later
    return lambda: threading.Timer(2.0, release_memory).start()


solara.lab.on_kernel_start(_on_session_start)


def build_model(controls: dict[str, Any], decide: Any = None) -> DashboardModel:
    """A session's model from its applied controls (and the role-play's seat)."""
    return DashboardModel(**controls, decide=decide)


# ------------------------------------------------------------------ html
def table(header: list[str], rows: list[tuple], numeric: tuple[int, ...] = ()) -> str:
    """A small HTML table, every cell escaped. A (text, tooltip) cell gets a tooltip."""

    def cell(index: int, value: Any) -> str:
        css = " class='alliancesim-num'" if index in numeric else ""
        if isinstance(value, tuple):
            text, tip = value
            inner = (
                f"<span class='alliancesim-tip' title='{html.escape(tip, quote=True)}'>"
                f"{html.escape(text)}</span>"
            )
        else:
            inner = html.escape(str(value))
        return f"<td{css}>{inner}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header) if header else ""
    body = "".join(
        "<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table>{'<tr>' + head + '</tr>' if head else ''}{body}</table>"


def Table(header, rows, numeric=(), scroll=False, classes=()):  # noqa: N802
    css = ["alliancesim-scroll"] if scroll else []
    return solara.HTML(
        tag="div", unsafe_innerHTML=table(header, rows, numeric), classes=css + list(classes)
    )


def month_label(model: DashboardModel) -> str:
    """The months run so far; the charts plot month n at x = n, so the two agree."""
    return f"Month {model.period} of {model.periods}"


# ------------------------------------------------------------------ controls
def percent(value: float) -> str:
    return f"{value:.1%}"


SLIDERS = {
    # key: (label, min, max, step, format)
    "initial_trust": ("Initial trust", 0.0, 1.0, 0.05, lambda v: f"{v:.2f}"),
    "risk_appetite_shift": (
        "Risk appetite shift",
        -0.3,
        0.3,
        0.05,
        lambda v: f"{v:+.2f}",
    ),
    "savings_target": ("Savings target a year", 0.0, 0.3, 0.005, percent),
    "outcome_share": ("Outcome share at risk", 0.0, 0.2, 0.01, percent),
    "gain_share": ("Providers' gain share", 0.0, 1.0, 0.05, lambda v: f"{v:.0%}"),
    "pain_share": ("Providers' pain share", 0.0, 1.0, 0.05, lambda v: f"{v:.0%}"),
}


def changed(draft: dict, applied: dict) -> list[str]:
    """Controls moved since the last Reset."""
    return [k for k in draft if draft[k] != applied.get(k)]


@solara.component
def Slider(key: str, draft: solara.Reactive, applied: dict):
    label, lo, hi, step, fmt = SLIDERS[key]
    value = draft.value[key]
    mark = " (waiting for Reset)" if value != applied.get(key) else ""

    def on_value(v: float, key=key):
        draft.value = {**draft.value, key: round(float(v), 4)}

    with solara.Column(classes=["alliancesim-control", f"alliancesim-{key}"]):
        solara.SliderFloat(
            f"{label}: {fmt(value)}{mark}",
            value=value,
            min=lo,
            max=hi,
            step=step,
            on_value=on_value,
            thumb_label=False,
        )


@solara.component
def Controls(draft: solara.Reactive, applied: dict, on_reset: Callable[[], None], busy: bool):
    d = draft.value

    def put(key: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            draft.value = {**draft.value, key: value}

        return set_value

    def choose_preset(preset: str) -> None:
        # a preset starts from its own terms, not the previous preset's
        draft.value = {**starting_controls(preset), "seed": draft.value["seed"]}

    def choose_model(model: str) -> None:
        rivals = rival_choices(d["preset"], model)
        rival = d["compare_with"] if d["compare_with"] in rivals else (rivals or [model])[0]
        draft.value = {**draft.value, "contract_model": model, "compare_with": rival}

    def mark(key: str) -> str:
        return " (waiting for Reset)" if d[key] != applied.get(key) else ""

    pending = changed(d, applied)
    with solara.Column(gap="6px", classes=["alliancesim-controls"]):
        if pending:
            solara.Text(
                f"Changes waiting: {', '.join(k.replace('_', ' ') for k in pending)}. "
                "Press Reset to apply them.",
                classes=["alliancesim-pending"],
            )
        solara.Button(
            "Reset",
            color="warning" if pending else "primary",
            on_click=on_reset,
            disabled=busy,
            classes=["alliancesim-reset"],
        )
        solara.Select(
            f"Preset{mark('preset')}",
            value=d["preset"],
            values=preset_names(),
            on_value=choose_preset,
        )
        solara.Select(
            f"Contract model{mark('contract_model')}",
            value=d["contract_model"],
            values=contract_model_choices(d["preset"]),
            on_value=choose_model,
        )
        rivals = rival_choices(d["preset"], d["contract_model"])
        if rivals:
            solara.Select(
                f"Compare with{mark('compare_with')}",
                value=d["compare_with"] if d["compare_with"] in rivals else rivals[0],
                values=rivals,
                on_value=put("compare_with"),
            )
        else:
            solara.Text("This preset has only one contract model: nothing to compare it with.")
        solara.Checkbox(
            label=f"Negotiate the contract first{mark('negotiate')}",
            value=bool(d["negotiate"]),
            on_value=put("negotiate"),
        )
        for key in ("initial_trust", "risk_appetite_shift", "savings_target"):
            Slider(key, draft, applied)
        with solara.Column(classes=["alliancesim-seed"]):
            solara.SliderInt(
                f"Seed: {d['seed']}{mark('seed')}",
                value=d["seed"],
                min=1,
                max=100,
                on_value=put("seed"),
                thumb_label=False,
            )
        with solara.Details("Contract terms (optional)"):
            solara.Checkbox(
                label=f"Set the contract terms below{mark('set_terms')}",
                value=bool(d["set_terms"]),
                on_value=put("set_terms"),
            )
            for key in ("outcome_share", "gain_share", "pain_share"):
                Slider(key, draft, applied)
            solara.Select(
                f"Pain cap{mark('pain_cap')}",
                value=d["pain_cap"],
                values=list(PAIN_CAPS),
                on_value=put("pain_cap"),
            )
            solara.Select(
                f"Decision rule{mark('decision_rule')}",
                value=d["decision_rule"],
                values=DECISION_RULES,
                on_value=put("decision_rule"),
            )


# ------------------------------------------------------------------ economy tab
def summary_rows(model: DashboardModel) -> list[tuple[str, str]]:
    last = model.rows[-1] if model.rows else None
    rows = [(label, pounds(v)) for label, v in spend_reconciliation(model)]
    rows += [
        ("Status quo would have spent", pounds(model.cumulative_spend(model.status_quo))),
        ("Savings against the status quo", pounds(model.savings_to_date())),
        (
            "Outcome index (true / reported)",
            f"{last['outcome_true']:.3f} / {last['outcome_reported']:.3f}" if last else "-",
        ),
        ("Mean trust", f"{mean_trust(model):.2f}"),
        ("Providers failed", str(last["failures"]) if last else "0"),
    ]
    return rows


def mean_trust(model) -> float:
    values = model.trust_values()
    return sum(values) / len(values) if values else 0.0


@solara.component
def Summary(model: DashboardModel, version: int):
    year = min(model.period, model.periods - 1) // model.periods_per_year
    with solara.Card("Where the run is"):
        solara.Text(
            f"{month_label(model)} (contract year {year + 1})"
            + (" - contract term finished" if not model.running else ""),
            style={"font-size": "18px", "font-weight": "bold"},
            classes=["alliancesim-period"],
        )
        solara.Text(
            f"Preset '{model.preset}', contract model '{model.contract_model}' "
            f"(running '{model.active_model}'), status quo "
            f"'{model.status_quo.contract_model}', seed {model.seed}."
        )
        Table([], summary_rows(model), numeric=(1,), classes=["alliancesim-summary"])
        for note in model.notes:
            solara.Text(f"Note: {note}", style={"color": "#8a5a00"})


@solara.component
def Figure(make: Callable, model: DashboardModel, version: int):
    """A matplotlib figure, drawn once per step (not on every re-render)."""
    fig = solara.use_memo(lambda: make(model), dependencies=[id(model), version])
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def EconomyTab(model: DashboardModel, version: int):
    # two figures by default: each costs a redraw after every Step; more on request
    more, set_more = solara.use_state(False)
    with solara.Columns([1, 1]):
        with solara.Column():
            Summary(model, version)
            with solara.Card("Money this month"):
                MoneyTable(model, version)
        with solara.Column():
            with solara.Card("Trust between organisations"):
                Figure(network_figure, model, version)
            with solara.Card("Spending against the status quo"):
                Figure(lambda m: spend_figure(m, m.status_quo), model, version)
            solara.Checkbox(
                label="More charts: outcomes and reserves", value=more, on_value=set_more
            )
            if more:
                with solara.Card("Outcomes"):
                    Figure(lambda m: outcome_figure(m, m.status_quo), model, version)
                with solara.Card("Providers' reserves"):
                    Figure(reserves_figure, model, version)


@solara.component
def MoneyTable(model: DashboardModel, version: int):
    monthly, year_end = settlement(model)
    if not monthly and not year_end:
        solara.Text("No payments yet: press Step.")
        return
    solara.Text(
        f"Payments settled in month {model.period}: hover a line item for what it means.",
        classes=["alliancesim-money-title"],
    )
    Table(
        ["payer", "payee", "line item", "ledger note", "amount"],
        payment_rows(monthly + year_end),
        numeric=(4,),
        scroll=True,
        classes=["alliancesim-money"],
    )
    solara.Text("Net flows by organisation (received minus paid):")
    Table(
        ["organisation", "paid", "received", "net"],
        [(o, pounds(a), pounds(b), pounds(n)) for o, a, b, n in net_flows(monthly + year_end)],
        numeric=(1, 2, 3),
        scroll=True,
    )


# ------------------------------------------------------------------ class mode
@solara.component
def ClassTab(
    model: DashboardModel,
    version: int,
    seat: solara.Reactive,
    on_answer: Callable[[Any], None],
    on_step: Callable[[], None],
    busy: bool,
):
    steps = negotiation_steps(model)
    shown, set_shown = solara.use_state(1, key=f"shown-{id(model)}")
    decide = getattr(model, "decide", None)
    question = decide.open if isinstance(decide, Seat) else None
    if question is not None:
        # the negotiation so far, up to the seat's first open question
        visible = min(len(steps), question["events"])
    elif isinstance(decide, Seat) and decide.org:
        visible = len(steps)  # the seat has decided: the whole negotiation it shaped
    else:
        visible = min(shown, len(steps))

    with solara.Column(classes=["alliancesim-class"]):
        with solara.Card("1. The negotiation, month by month (oldest first)"):
            if not steps:
                solara.Text(
                    "This contract is imposed, not negotiated: tick 'Negotiate the "
                    "contract first' and press Reset to see the negotiation."
                )
            else:
                Table(
                    ["month", "who", "what", "in plain words"],
                    [(s["month"], s["who"], s["what"], s["text"]) for s in steps[:visible]],
                    scroll=True,
                    classes=["alliancesim-negotiation"],
                )
                solara.Text(
                    f"Shown {visible} of {len(steps)} steps of the negotiation.",
                    classes=["alliancesim-negotiation-count"],
                )
                if isinstance(decide, Seat) and decide.seen:
                    upto = (
                        question["events"] if question is not None else _event_index(model, visible)
                    )
                    rows = valuation_rows(decide.seen, upto)
                    if rows:
                        solara.Text(
                            "What each party makes of the terms on the table, round by "
                            "round (a year, against not taking them):",
                            style={"font-weight": "bold", "margin-top": "8px"},
                        )
                        Table(
                            ["round", "month", "party", "terms judged", "worth a year", "so it is"],
                            rows,
                            numeric=(4,),
                            scroll=True,
                            classes=["alliancesim-valuations"],
                        )
                if question is None and visible < len(steps):
                    with solara.Row():
                        solara.Button(
                            "Next negotiation step",
                            on_click=lambda: set_shown(visible + 1),
                            color="primary",
                        )
                        solara.Button("Show the whole negotiation", on_click=lambda: set_shown(999))
            RolePlay(model, seat, question, on_answer, busy)
        with solara.Card("2. Each month's settlement"):
            solara.Text(
                "Step runs one month: demand arrives, providers deliver, and the contract "
                "settles. Hover a line item for its meaning."
            )
            solara.Button(
                "Step" if model.running else "Contract term finished",
                on_click=on_step,
                disabled=busy or not model.running,
                color="primary",
                classes=["alliancesim-class-step"],
            )
            solara.Text(month_label(model), classes=["alliancesim-class-period"])
            Settlement(model, version)
        with solara.Card("3. What the commissioners have spent (reconciles with the tables)"):
            Table(
                [],
                [(label, pounds(v)) for label, v in spend_reconciliation(model)],
                numeric=(1,),
                classes=["alliancesim-reconciliation"],
            )
            Timeline(model, version)


def _event_index(model: DashboardModel, visible: int) -> int:
    """How many of the negotiation's own events (in the order they happened) the
    first ``visible`` steps of the page's month-ordered list cover."""
    if visible <= 0:
        return 0
    steps = negotiation_steps(model)
    if visible >= len(steps):
        return len(model.events)
    month = float(steps[visible - 1]["month"])
    return sum(1 for e in model.events if is_negotiation(e) and float(e.get("month", 0)) <= month)


@solara.component
def Settlement(model: DashboardModel, version: int):
    monthly, year_end = settlement(model)
    if not model.rows:
        solara.Text("No month settled yet.")
        return
    solara.Text(f"Month {model.period}: payments in the month", style={"font-weight": "bold"})
    Table(
        ["payer", "payee", "line item", "ledger note", "amount"],
        payment_rows(monthly),
        numeric=(4,),
        scroll=True,
        classes=["alliancesim-settlement"],
    )
    solara.Text("Net flows by organisation (received minus paid):")
    Table(
        ["organisation", "paid", "received", "net"],
        [(o, pounds(a), pounds(b), pounds(n)) for o, a, b, n in net_flows(monthly)],
        numeric=(1, 2, 3),
    )
    if year_end:
        solara.Text(
            f"Year-end reconciliation of contract year {(model.period - 1) // 12 + 1}",
            style={"font-weight": "bold", "margin-top": "12px"},
            classes=["alliancesim-year-end"],
        )
        Table(
            ["payer", "payee", "line item", "ledger note", "amount"],
            payment_rows(year_end),
            numeric=(4,),
            scroll=True,
        )
        Table(
            ["organisation", "paid", "received", "net"],
            [(o, pounds(a), pounds(b), pounds(n)) for o, a, b, n in net_flows(year_end)],
            numeric=(1, 2, 3),
        )


@solara.component
def Timeline(model: DashboardModel, version: int):
    """Every event after the negotiation, oldest first (all kept)."""
    later = [e for e in model.events if not is_negotiation(e)] + year_end_events(model)
    later.sort(key=lambda e: int(e.get("period", 0)))  # stable: same month keeps its order
    solara.Text(f"What happened after the negotiation ({len(later)} events)")
    if later:
        Table(
            ["month", "who", "what", "in words"],
            [
                (
                    str(int(e.get("period", 0)) + 1),
                    str(e.get("actor", "")),
                    str(e.get("kind", "")).replace("_", " "),
                    str(e.get("text", "")),
                )
                for e in later
            ],
            scroll=True,
        )


@solara.component
def RolePlay(
    model: DashboardModel,
    seat: solara.Reactive,
    question: dict | None,
    on_answer: Callable[[Any], None],
    busy: bool,
):
    parties = negotiating_parties(model)
    current = seat.value.get("org", "")
    counter, set_counter = solara.use_state(0.01)
    with solara.Column(classes=["alliancesim-roleplay"]):
        solara.Text("Role-play: take the seat of one organisation", style={"font-weight": "bold"})
        solara.Select(
            "Your organisation",
            value=current or "(the model plays every party)",
            values=["(the model plays every party)", *parties],
            on_value=lambda org: seat.set(
                {"org": "" if org.startswith("(") else org, "answers": []}
            ),
            disabled=busy,
        )
        if not current:
            return
        if question is None:
            asked = len(seat.value.get("answers", []))
            solara.Text(
                f"{current} has no more decisions to take: {asked} answered. "
                "The negotiation above is the result of your choices.",
                classes=["alliancesim-seat-done"],
            )
            Table(
                [],
                list(outcome_summary(model).items()),
                classes=["alliancesim-seat-outcome"],
            )
            return
        solara.Text(
            f"Your decision as {current}:",
            style={"font-weight": "bold"},
            classes=["alliancesim-seat-question"],
        )
        Table([], position_text(current, question))
        with solara.Row():
            solara.Button("Accept", on_click=lambda: on_answer("accept"), disabled=busy)
            solara.Button("Refuse", on_click=lambda: on_answer("refuse"), disabled=busy)
            if question["question"] in ("savings_target", "share_risk"):
                solara.SliderFloat(
                    f"Counter-offer: {counter:.1%}",
                    value=counter,
                    min=0.0,
                    max=0.3,
                    step=0.0025,
                    on_value=set_counter,
                )
                solara.Button("Counter", on_click=lambda: on_answer(float(counter)), disabled=busy)
            solara.Button("Let the model decide", on_click=lambda: on_answer(None))


# ------------------------------------------------------------------ compare tab
@solara.component
def CompareTab(model: DashboardModel, version: int):
    a, b = model, model.rival
    if a.contract_model == b.contract_model:
        solara.Text(
            f"Preset '{a.preset}' has no other contract model to compare "
            f"'{a.contract_model}' with.",
            classes=["alliancesim-compare-title"],
        )
        return
    solara.Text(
        f"Compare: '{a.contract_model}' and '{b.contract_model}', same economy, same seed "
        f"({a.seed}), {month_label(a)}",
        style={"font-weight": "bold", "font-size": "16px"},
        classes=["alliancesim-compare-title"],
    )
    rows = []
    for m in (a, b):
        last = m.rows[-1] if m.rows else None
        rows.append(
            (
                m.contract_model,
                pounds(model.cumulative_spend(m)),
                pounds(model.cumulative_spend(model.status_quo) - model.cumulative_spend(m)),
                f"{last['outcome_true']:.3f}" if last else "-",
                f"{last['mean_trust']:.2f}" if last else "-",
                str(len(m.events)),
            )
        )
    Table(
        ["contract model", "spent", "saved vs status quo", "outcome", "mean trust", "events"],
        rows,
        numeric=(1, 2, 3, 4, 5),
    )
    Figure(lambda m: compare_figure(m, m.rival, m.status_quo), model, version)


# ------------------------------------------------------------------ teacher's view
@solara.component
def TeacherTab():
    """Every session's negotiation outcome side by side (refreshed on request)."""
    tick, set_tick = solara.use_state(0)
    rows = session_outcomes()
    solara.Text(
        "The sessions on this server: each student's seat, the negotiation's result, the "
        "agreed savings target, who carries the risk, and the savings so far.",
    )
    solara.Button("Refresh", on_click=lambda: set_tick(tick + 1))
    Table(
        ["session", "seat", "preset", "model", "result", "target", "risk carried by",
         "months talking", "month", "savings so far"],
        [
            (r["session"], r["seat"], r["preset"], r["model"], r["result"], r["target"],
             r["risk"], r["months"], r["month"], r["savings"])
            for r in rows
        ],
        scroll=True,
        classes=["alliancesim-teacher"],
    )  # fmt: skip


# ------------------------------------------------------------------ page
@solara.component
def Page():
    """One session: its own controls, model, tab, class-mode place and seat."""
    applied = solara.use_reactive(starting_controls())
    draft = solara.use_reactive(dict(applied.value))
    seat = solara.use_reactive({"org": "", "answers": []})
    holder = solara.use_memo(
        lambda: {"model": build_model(applied.value, seat_decider(seat.value))}, dependencies=[]
    )
    version = solara.use_reactive(0)
    tab = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    work = solara.use_reactive(None)  # what the worker thread does next
    last_ms = solara.use_reactive(0.0)
    error = solara.use_reactive("")
    model: DashboardModel = holder["model"]
    session = solara.use_memo(solara.get_kernel_id, dependencies=[])

    def run_job() -> None:
        job = work.value
        if job is None:
            return
        started = time.perf_counter()
        kind, _arg = job
        try:
            if kind == "step":
                holder["model"].step()
            elif kind == "play":
                while playing.value and holder["model"].running:
                    holder["model"].step()
                    version.value += 1
                    time.sleep(0.05)
                playing.value = False
            elif kind == "reset":
                holder["model"] = build_model(applied.value, seat_decider(seat.value))
            error.value = ""
        except Exception as failure:  # shown on the page, not lost in a thread
            error.value = f"{kind} failed: {failure}"
        finally:
            record_outcome(session, holder["model"], seat.value.get("org", ""))
            last_ms.value = (time.perf_counter() - started) * 1000
            version.value += 1
            work.value = None  # last: the buttons come back when the page is drawn

    task = solara.lab.use_task(run_job, dependencies=None, prefer_threaded=True)
    busy = work.value is not None

    def start(kind: str, arg: Any = None) -> None:
        if work.value is not None:  # one job at a time: a click while busy is dropped
            return
        work.value = (kind, arg)
        task()

    def reset() -> None:
        applied.value = dict(draft.value)
        start("reset")

    def answer(value: Any) -> None:
        if work.value is not None:
            return
        seat.value = {**seat.value, "answers": [*seat.value.get("answers", []), value]}
        start("reset")

    def choose_seat(value: dict) -> None:
        seat.value = value
        start("reset")

    seat_proxy = solara.use_memo(lambda: _SeatProxy(seat, choose_seat), dependencies=[])

    def play_pause() -> None:
        if playing.value:
            playing.value = False
        else:
            playing.value = True
            start("play")

    solara.Style(CSS)
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        with solara.Card("Run"):
            with solara.Row():
                solara.Button(
                    "Step",
                    on_click=lambda: start("step"),
                    disabled=busy or not model.running,
                    color="primary",
                    classes=["alliancesim-step"],
                )
                solara.Button(
                    "Pause" if playing.value else "Play",
                    on_click=play_pause,
                    disabled=(busy and not playing.value) or not model.running,
                )
            solara.ProgressLinear(busy or task.pending)
            solara.Text(
                ("Working..." if busy else "Ready") + f" ({month_label(model)})",
                classes=["alliancesim-busy" if busy else "alliancesim-ready"],
            )
            if error.value:
                solara.Error(error.value)
        with solara.Card("Controls (apply on Reset)"):
            Controls(draft, applied.value, reset, busy)
        with solara.Details("For developers"):
            solara.Text(f"Last job took {last_ms.value:.0f} ms on the server.")
    with solara.Column(classes=["alliancesim-page"]):
        with solara.lab.Tabs(value=tab.value, on_value=tab.set):
            for name in TABS:
                solara.lab.Tab(name)
        if tab.value == 0:
            EconomyTab(model, version.value)
        elif tab.value == 1:
            ClassTab(model, version.value, seat_proxy, answer, lambda: start("step"), busy)
        elif tab.value == 2:
            CompareTab(model, version.value)
        else:
            TeacherTab()


class _SeatProxy:
    """The seat as a reactive-like value whose ``set`` rebuilds the model."""

    def __init__(self, seat: solara.Reactive, on_set: Callable[[dict], None]):
        self._seat, self._on_set = seat, on_set

    @property
    def value(self) -> dict:
        return self._seat.value

    def set(self, value: dict) -> None:
        self._on_set(value)


def seat_decider(seat: dict) -> Seat:
    """A fresh Seat for the replay. With no organisation it only watches: the model
    decides for every party and the page shows each party's valuation at each round."""
    return Seat(seat.get("org", ""), list(seat.get("answers", [])))
