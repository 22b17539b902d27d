"""Class mode: the negotiation and each period's settlement as a lesson, and the
role-play seat. Plain functions of a model (no Solara), so tests can call them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from alliancesim.app.glossary import YEAR_END_ITEMS, explain
from alliancesim.app.session import pounds

KIND_WORDS = {
    "proposal": "proposes",
    "join": "joins",
    "overlay_only": "joins, outside the money",
    "withdraw": "withdraws",
    "decline_risk": "declines the risk",
    "concede_outcome": "concedes",
    "round": "bargains",
    "terms": "agrees terms",
    "stalemate": "stalemate",
    "reject_outcome": "refuses",
    "accept": "accepts",
    "approval": "board approval",
    "shock": "shock",
    "reopen": "reopens",
    "result": "result",
}


def is_negotiation(event: dict) -> bool:
    return str(event.get("kind", "")).startswith("negotiation.")


def negotiation_steps(model) -> list[dict[str, str]]:
    """The negotiation oldest first, by month, in plain words."""
    events = [e for e in model.events if is_negotiation(e) and e.get("period", 0) == 0]
    ordered = sorted(enumerate(events), key=lambda ie: (float(ie[1].get("month", 0)), ie[0]))
    steps = []
    for _i, e in ordered:
        kind = str(e["kind"]).split(".", 1)[1]
        steps.append(
            dict(
                month=f"{float(e.get('month', 0)):.0f}",
                who=str(e.get("actor", "")).replace("_", " "),
                what=KIND_WORDS.get(kind, kind.replace("_", " ")),
                text=str(e.get("text", "")),
            )
        )
    return steps


@dataclass
class Payment:
    payer: str
    payee: str
    line_item: str
    note: str
    pence: int

    @property
    def explanation(self) -> str:
        return explain(self.line_item)


def settlement(model) -> tuple[list[Payment], list[Payment]]:
    """The last period's payments: (in the month, at the year-end reconciliation)."""
    monthly, year_end = [], []
    for entry in getattr(model, "period_entries", []) or []:
        payment = Payment(entry.payer, entry.payee, entry.line_item, entry.note, entry.amount)
        (year_end if entry.line_item in YEAR_END_ITEMS else monthly).append(payment)
    key = lambda p: (p.payer, p.payee, p.line_item, p.note)  # noqa: E731
    return sorted(monthly, key=key), sorted(year_end, key=key)


def net_flows(payments: list[Payment]) -> list[tuple[str, int, int, int]]:
    """(organisation, paid out, received, net received) in pence, largest payer first."""
    out: dict[str, list[int]] = {}
    for p in payments:
        out.setdefault(p.payer, [0, 0])[0] += p.pence
        out.setdefault(p.payee, [0, 0])[1] += p.pence
    rows = [(name, paid, got, got - paid) for name, (paid, got) in out.items()]
    return sorted(rows, key=lambda r: (r[3], r[0]))


def year_end_events(model) -> list[dict[str, Any]]:
    """One timeline entry per year-end reconciliation, from the ledger: what moved, in
    which line items, and who paid whom on balance."""
    by_period: dict[int, list] = {}
    for entry in getattr(model, "ledger", []):
        if entry.line_item in YEAR_END_ITEMS:
            by_period.setdefault(entry.period, []).append(entry)
    events = []
    for period, entries in sorted(by_period.items()):
        payments = [Payment(e.payer, e.payee, e.line_item, e.note, e.amount) for e in entries]
        flows = net_flows(payments)
        items = sorted({e.line_item.replace("_", " ") for e in entries})
        payer, receiver = flows[0], flows[-1]
        events.append(
            dict(
                period=period,
                actor="year end",
                kind="year_end_reconciliation",
                text=(
                    f"Year-end reconciliation of contract year "
                    f"{period // model.periods_per_year + 1}: {len(entries)} payments "
                    f"({', '.join(items)}); {payer[0]} pays most on balance "
                    f"({pounds(-payer[3])}), {receiver[0]} receives most ({pounds(receiver[3])})."
                ),
            )
        )
    return events


def spend_reconciliation(model) -> list[tuple[str, int]]:
    """How "spent so far" is made up: the commissioners' net payments, the cost of a
    failed provider's returned patients, monitoring, and negotiation and other staff
    costs (the rest of each period's spend), and the total."""
    rows = model.rows
    payments = sum(r["payments_pence"] for r in rows)
    returned = sum(r["returned_risk_pence"] for r in rows)
    monitoring = sum(r["monitoring_pence"] for r in rows)
    total = sum(r["spend_pence"] for r in rows)
    return [
        ("payments to providers, net", payments),
        ("returned patients of failed providers", returned),
        ("monitoring the contracts", monitoring),
        ("negotiating and other staff time", total - payments - returned - monitoring),
        ("spent so far", total),
    ]


def payment_rows(payments: list[Payment]) -> list[tuple[str, str, tuple[str, str], str, str]]:
    """Table rows: payer, payee, (line item, tooltip), ledger note, amount."""
    return [
        (
            p.payer,
            p.payee,
            (p.line_item.replace("_", " "), p.explanation),
            p.note.replace("_", " "),
            pounds(p.pence),
        )
        for p in payments
    ]


# ------------------------------------------------------------------ role-play
@dataclass
class Seat:
    """One organisation's decisions come from a student. The negotiation is replayed
    from the start with the answers given so far (same seed, same run); the first
    question with no answer yet is kept in ``open`` for the page to ask, and the
    model decides for the seat meanwhile."""

    org: str = ""  # "" watches only: the model decides for every party
    answers: list[Any] = field(default_factory=list)
    asked: list[dict] = field(default_factory=list)
    open: dict | None = None
    seen: list[tuple[str, dict]] = field(default_factory=list)  # every party's positions

    def __call__(self, name: str, position: dict) -> Any:
        self.seen.append((name, position))
        if name != self.org:
            return None
        index = len(self.asked)
        self.asked.append(position)
        if index < len(self.answers):
            return self.answers[index]
        if self.open is None:
            self.open = position
        return None


QUESTIONS = {
    "savings_target": "the providers' offered target",
    "share_risk": "the commissioner's asked target",
    "outcome_share": "the outcome-linked share",
}


def valuation_rows(seen: list[tuple[str, dict]], up_to_event: int) -> list[tuple]:
    """Each party's valuation of the terms on the table at each round, against not
    taking them (the status quo for a provider, the bare alliance for the
    commissioner): round, month, party, terms judged, worth a year, leaning."""
    rows = []
    for name, pos in seen:
        if pos["events"] > up_to_event:
            break
        terms = (
            f"{pos['outcome_share']:.1%} on outcomes"
            if pos["question"] == "outcome_share"
            else f"{QUESTIONS[pos['question']]}: {pos['target']:.1%}"
        )
        worth = pos["worth_pence"]
        rows.append(
            (
                str(pos["round"]),
                f"{pos['month']:.0f}",
                name,
                terms,
                pounds(worth),
                "better off than without them" if worth >= 0 else "worse off than without them",
            )
        )
    return rows


def position_text(org: str, position: dict) -> list[tuple[str, str]]:
    """What the seat's organisation sees at a round, in plain words."""
    question = position["question"]
    target = position["target"]
    if question == "savings_target":
        asks = f"The providers offer a savings target of {target:.1%} a year."
        worth = "What the risk share is worth to you against the bare alliance, a year"
    elif question == "share_risk":
        asks = (
            f"The commissioner asks for a savings target of {target:.1%} a year; you take "
            f"{position['gain_share']:.0%} of an underspend and {position['pain_share']:.0%} "
            "of an overspend with the other risk sharers."
        )
        worth = "What these terms are worth to you against the status quo, a year"
    else:
        asks = (
            f"{position['outcome_share']:.1%} of your income would depend on outcomes "
            "you may not reach."
        )
        worth = "What these terms are worth to you against the status quo, a year"
    return [
        ("round", f"{position['round']} (month {position['month']:.0f})"),
        ("the question", asks),
        (worth, pounds(position["worth_pence"])),
        ("your reserves", pounds(position["reserves_pence"])),
        ("what you could lose before failing", pounds(position["loss_capacity_pence"])),
        ("your annual contract value in scope", pounds(position["value_pence"])),
        ("your risk appetite (0 cautious, 1 bold)", f"{position['risk_appetite']:.2f}"),
        (
            "sharing the risk now",
            ", ".join(position["risk_members"]) or "no one",
        ),
    ]


def negotiating_parties(model) -> list[str]:
    """Organisations that can take a seat: the lead commissioner and the providers."""
    return [model.commissioners[0].name] + [p.name for p in model.providers]


def outcome_summary(model) -> dict[str, str]:
    """The agreed terms, savings so far and who carries the risk (teacher's view)."""
    a = getattr(model, "agreement", None)
    if a is None:
        return dict(result="imposed (no negotiation)", target="-", risk="-", months="-")
    target = "-" if a.target_savings is None else f"{a.target_savings:.1%}"
    return dict(
        result=a.result.replace("_", " "),
        target=target,
        risk=", ".join(a.risk_members) or "the commissioners alone",
        months=f"{a.months:.0f}",
        outcome_share=f"{a.outcome_share:.1%}",
    )


# ------------------------------------------------------------------ teacher's view
# The one piece of state shared between sessions, on purpose: a small row per
# session for the teacher's view (no model, no widget), the newest 200 kept.
_OUTCOMES: OrderedDict[str, dict[str, str]] = OrderedDict()
_OUTCOMES_LOCK = threading.Lock()
MAX_OUTCOMES = 200


def record_outcome(session: str, model, seat_org: str = "") -> None:
    """Put this session's negotiation outcome and savings so far in the teacher's view."""
    row = dict(
        session=session[:8],
        seat=seat_org or "(model plays all)",
        preset=str(model.preset),
        model=str(model.contract_model),
        month=str(model.period),
        savings=pounds(model.savings_to_date()),
        **outcome_summary(model),
    )
    with _OUTCOMES_LOCK:
        _OUTCOMES[session] = row
        _OUTCOMES.move_to_end(session)
        while len(_OUTCOMES) > MAX_OUTCOMES:
            _OUTCOMES.popitem(last=False)


def session_outcomes() -> list[dict[str, str]]:
    with _OUTCOMES_LOCK:
        return list(_OUTCOMES.values())
