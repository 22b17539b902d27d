"""The teaching dashboard: ``alliancesim dashboard`` (or ``solara run alliancesim.app.dashboard``).

Mesa's SolaraViz with a :class:`DashboardModel` created per browser session
inside :func:`Page` (``solara.use_memo``), never at module level, so two tabs
never drive one model. Works with no internet access: figures are matplotlib,
text is ``solara.Text`` / ``solara.HTML`` (Markdown and Altair pull assets
from a CDN that solara-assets does not ship).

Tab "Page 0" is the economy under one contract model; tab "Page 1" compares it
with a second contract model on the same seed. Controls apply on Reset.

The view functions are plain functions of the model (not ``@solara.component``)
so SolaraViz wraps them and redraws them after every Step.
"""

from __future__ import annotations

import html
from collections import defaultdict

import solara
from alliancesim.app.figures import (
    compare_figure,
    network_figure,
    outcome_figure,
    reserves_figure,
    spend_figure,
)
from alliancesim.app.session import (
    DECISION_RULES,
    DEFAULT_MODEL,
    DEFAULT_PRESET,
    DEFAULT_RIVAL,
    DEFAULTS,
    PAIN_CAPS,
    DashboardModel,
    contract_model_choices,
    pounds,
)
from alliancesim.experiments.scenario import preset_names
from mesa.visualization import SolaraViz

__all__ = ["DashboardModel", "Page", "model_params"]

EVENTS_SHOWN = 30
TABLE_STYLE = "border-collapse:collapse;font-size:12px;width:100%"
CELL = "padding:2px 6px;border-bottom:1px solid #ddd"


def _models() -> list[str]:
    return contract_model_choices()


model_params = {
    "preset": {
        "type": "Select",
        "value": DEFAULT_PRESET,
        "values": preset_names(),
        "label": "Preset",
    },
    "contract_model": {
        "type": "Select",
        "value": DEFAULT_MODEL,
        "values": _models(),
        "label": "Contract model",
    },
    "compare_with": {
        "type": "Select",
        "value": DEFAULT_RIVAL,
        "values": _models(),
        "label": "Compare with (Page 1)",
    },
    "initial_trust": {
        "type": "SliderFloat",
        "value": DEFAULTS["initial_trust"],
        "min": 0.0,
        "max": 1.0,
        "step": 0.05,
        "label": "Initial trust",
    },
    "risk_appetite_shift": {
        "type": "SliderFloat",
        "value": 0.0,
        "min": -0.3,
        "max": 0.3,
        "step": 0.05,
        "label": "Risk appetite (+/- each provider's own)",
    },
    "savings_target": {
        "type": "SliderFloat",
        "value": DEFAULTS["savings_target"],
        "min": 0.0,
        "max": 0.3,
        "step": 0.005,
        "label": "Savings target a year",
    },
    "set_terms": {"type": "Checkbox", "value": False, "label": "Set the contract terms below"},
    "outcome_share": {
        "type": "SliderFloat",
        "value": 0.01,
        "min": 0.0,
        "max": 0.2,
        "step": 0.01,
        "label": "Outcome share at risk",
    },
    "gain_share": {
        "type": "SliderFloat",
        "value": 0.5,
        "min": 0.0,
        "max": 1.0,
        "step": 0.05,
        "label": "Providers' gain share",
    },
    "pain_share": {
        "type": "SliderFloat",
        "value": 0.5,
        "min": 0.0,
        "max": 1.0,
        "step": 0.05,
        "label": "Providers' pain share",
    },
    "pain_cap": {
        "type": "Select",
        "value": "preset",
        "values": list(PAIN_CAPS),
        "label": "Pain cap",
    },
    "decision_rule": {
        "type": "Select",
        "value": "preset",
        "values": DECISION_RULES,
        "label": "Decision rule",
    },
    "seed": {"type": "SliderInt", "value": 1, "min": 1, "max": 100, "step": 1, "label": "Seed"},
}


# ---------------------------------------------------------------- page 0 views
def period_label(model: DashboardModel) -> str:
    return f"Period {model.period} of {model.periods}"


def mean_trust(model) -> float:
    values = model.trust_values()
    return sum(values) / len(values) if values else 0.0


def summary_view(model: DashboardModel):
    """Where the run is and what it has cost so far, in words."""
    year = min(model.period, model.periods - 1) // model.periods_per_year
    last = model.rows[-1] if model.rows else None
    with solara.Column(gap="4px") as column:
        solara.Text(
            f"{period_label(model)} (contract year {year + 1})"
            + (" - contract term finished" if not model.running else ""),
            style={"font-size": "18px", "font-weight": "bold"},
            classes=["alliancesim-period"],
        )
        solara.Text(
            f"Preset '{model.preset}', contract model '{model.contract_model}', "
            f"status quo '{model.status_quo.contract_model}', seed {model.seed}"
        )
        rows = [
            ("Spent so far", pounds(model.cumulative_spend())),
            ("Status quo would have spent", pounds(model.cumulative_spend(model.status_quo))),
            ("Savings against the status quo", pounds(model.savings_to_date())),
            (
                "Outcome index (true / reported)",
                f"{last['outcome_true']:.3f} / {last['outcome_reported']:.3f}" if last else "-",
            ),
            ("Mean trust", f"{mean_trust(model):.2f}"),
            ("Providers failed", str(last["failures"]) if last else "0"),
        ]
        solara.HTML(tag="div", unsafe_innerHTML=_table(["", ""], rows, show_header=False))
        for note in model.notes:
            solara.Text(f"Note: {note}", style={"color": "#8a5a00"})
    return column


def network_view(model: DashboardModel):
    return solara.FigureMatplotlib(network_figure(model), format="png")


def spend_view(model: DashboardModel):
    return solara.FigureMatplotlib(spend_figure(model, model.status_quo), format="png")


def outcome_view(model: DashboardModel):
    return solara.FigureMatplotlib(outcome_figure(model, model.status_quo), format="png")


def reserves_view(model: DashboardModel):
    return solara.FigureMatplotlib(reserves_figure(model), format="png")


def money_flows(model) -> list[tuple[str, str, str, int]]:
    """This period's payments: (payer, payee, line item, pence), largest first."""
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for entry in getattr(model, "period_entries", []) or []:
        totals[entry.payer, entry.payee, entry.line_item] += entry.amount
    return sorted(((*k, v) for k, v in totals.items()), key=lambda r: -r[3])


def money_view(model: DashboardModel):
    """Who paid whom this period, by line item."""
    flows = money_flows(model)
    with solara.Column(gap="4px") as column:
        solara.Text(
            f"Money flows in period {max(0, model.period - 1)}" if flows else "Money flows",
            style={"font-weight": "bold"},
        )
        if not flows:
            solara.Text("No payments yet: press Step.")
        else:
            rows = [(p, q, item.replace("_", " "), pounds(v)) for p, q, item, v in flows]
            total = sum(v for *_, v in flows)
            rows.append(("", "", "total", pounds(total)))
            solara.HTML(
                tag="div",
                unsafe_innerHTML=_table(["payer", "payee", "line item", "amount"], rows),
            )
    return column


def events_view(model: DashboardModel):
    """The negotiation and governance trace in plain words, newest first."""
    events = model.events[-EVENTS_SHOWN:][::-1]
    with solara.Column(gap="4px") as column:
        solara.Text(f"What happened ({len(model.events)} events)", style={"font-weight": "bold"})
        if not events:
            solara.Text(
                "Nothing yet: negotiations, governance decisions, turnover and failures appear here."
            )
        else:
            rows = [
                (
                    str(e.get("period", "")),
                    str(e.get("actor", "")),
                    str(e.get("kind", "")).replace("_", " "),
                    str(e.get("text", "")),
                )
                for e in events
            ]
            solara.HTML(
                tag="div", unsafe_innerHTML=_table(["period", "who", "what", "in words"], rows)
            )
    return column


# ---------------------------------------------------------------- page 1 views
def compare_view(model: DashboardModel):
    """The chosen contract model and the rival on the same seed."""
    a, b = model, model.rival
    with solara.Column(gap="4px") as column:
        solara.Text(
            f"Compare: '{a.contract_model}' and '{b.contract_model}', same economy, same seed ({a.seed}), {period_label(a)}",
            style={"font-weight": "bold"},
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
        solara.HTML(
            tag="div",
            unsafe_innerHTML=_table(
                [
                    "contract model",
                    "spent",
                    "saved vs status quo",
                    "outcome",
                    "mean trust",
                    "events",
                ],
                rows,
            ),
        )
        solara.FigureMatplotlib(compare_figure(a, b, model.status_quo), format="png")
    return column


def _table(header: list[str], rows: list[tuple], show_header: bool = True) -> str:
    """A small HTML table, every cell escaped."""
    head = ""
    if show_header:
        cells = "".join(f"<th style='{CELL};text-align:left'>{html.escape(h)}</th>" for h in header)
        head = f"<tr>{cells}</tr>"
    body = "".join(
        "<tr>" + "".join(f"<td style='{CELL}'>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table style='{TABLE_STYLE}'>{head}{body}</table>"


COMPONENTS = [
    (summary_view, 0),
    (network_view, 0),
    (spend_view, 0),
    (money_view, 0),
    (outcome_view, 0),
    (reserves_view, 0),
    (events_view, 0),
    (compare_view, 1),
]


@solara.component
def Page():
    """One model per browser session; SolaraViz rebuilds it on Reset from the controls."""
    model = solara.use_memo(
        lambda: DashboardModel(**{k: v["value"] for k, v in model_params.items()}),
        dependencies=[],
    )
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params,
        name="alliancesim: contracts, money and trust in a local health economy",
    )
