"""Matplotlib figures for the dashboard (Altair does not render offline).

Each function takes a model (or the dashboard model and its twins) and returns a
``matplotlib.figure.Figure`` built without pyplot, so nothing accumulates in a
long-running server.
"""

from __future__ import annotations

import math

import networkx as nx
from alliancesim.model.simulation import HealthEconomyModel
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

KIND_COLOURS = {
    "ccg": "#1f4e79",
    "council": "#5b9bd5",
    "acute": "#c00000",
    "community": "#2e8b57",
    "mental_health": "#8e44ad",
    "gp_federation": "#e67e22",
    "vcs": "#b8860b",
    "independent": "#7f7f7f",
}
KIND_LABELS = {
    "ccg": "commissioner (ICB/CCG)",
    "council": "council",
    "acute": "acute trust",
    "community": "community trust",
    "mental_health": "mental health trust",
    "gp_federation": "GP federation",
    "vcs": "charity (VCS)",
    "independent": "independent",
}
MAIN, STATUS_QUO, RIVAL = "#1f77b4", "#7f7f7f", "#d62728"
MILLION = 100 * 1_000_000  # pence in £1m


def _figure(width: float = 6.0, height: float = 3.6) -> Figure:
    """Fixed margins rather than a constrained layout: the layout engine doubled the
    time to draw a figure, and the dashboard redraws its figures after every Step."""
    fig = Figure(figsize=(width, height), dpi=80)
    fig.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.14, hspace=0.3, wspace=0.3)
    return fig


def _waiting(ax, text: str = "press Step to run the first period") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")


def org_sizes(model: HealthEconomyModel) -> dict[str, float]:
    """Annual income for providers; annual commissioned value for commissioners (pence)."""
    sizes = {p.name: float(p.annual_income) for p in model.providers}
    for line in model.economy.lines:
        value = line.planned_per_year * line.unit_cost_pence
        sizes[line.commissioner] = sizes.get(line.commissioner, 0.0) + value
    return sizes


def network_layout(model: HealthEconomyModel) -> dict[str, tuple[float, float]]:
    """A seeded, stable layout: commissioners on an inner ring, providers outside."""
    cached = getattr(model, "_dashboard_layout", None)
    if cached is not None:
        return cached
    commissioners = sorted(c.name for c in model.commissioners)
    providers = sorted(p.name for p in model.providers)
    shells = [commissioners, providers]
    layout = nx.shell_layout(model.network.to_undirected(), nlist=shells, rotate=math.pi / 7)
    layout = {name: (float(x), float(y)) for name, (x, y) in layout.items()}
    model._dashboard_layout = layout
    return layout


def network_figure(model: HealthEconomyModel) -> Figure:
    """Trust network: colour by kind, size by income, edge colour and width by trust."""
    fig = _figure(6.0, 4.6)
    ax = fig.subplots()
    graph = model.network
    pos = network_layout(model)
    sizes = org_sizes(model)
    biggest = max(sizes.values()) or 1.0
    # one line per pair, coloured by their mean trust in each other (straight lines,
    # not an arrow each way: the arrows took most of the drawing time)
    pairs: dict[tuple[str, str], list[float]] = {}
    for u, v, d in graph.edges(data=True):
        pairs.setdefault((min(u, v), max(u, v)), []).append(d["trust"])
    edges = [(u, v, {"trust": sum(t) / len(t)}) for (u, v), t in pairs.items()]
    trust = [d["trust"] for _, _, d in edges]
    nx.draw_networkx_edges(
        graph,
        pos,
        ax=ax,
        edgelist=[(u, v) for u, v, _ in edges],
        edge_color=trust,
        edge_cmap=_cmap("RdYlGn"),
        edge_vmin=0.0,
        edge_vmax=1.0,
        width=[0.4 + 3.0 * t for t in trust],
        arrows=False,
    )
    nodes = list(graph.nodes)
    failed = {p.name for p in model.providers if p.failed}
    nx.draw_networkx_nodes(
        graph,
        pos,
        ax=ax,
        nodelist=nodes,
        node_color=[
            "white" if n in failed else KIND_COLOURS.get(graph.nodes[n]["kind"], "#999")
            for n in nodes
        ],
        edgecolors=[KIND_COLOURS.get(graph.nodes[n]["kind"], "#999") for n in nodes],
        linewidths=2,
        node_size=[200 + 2200 * math.sqrt(sizes.get(n, 0.0) / biggest) for n in nodes],
    )
    labels = {n: n.replace("_", "\n") + (" (failed)" if n in failed else "") for n in nodes}
    nx.draw_networkx_labels(graph, pos, labels=labels, ax=ax, font_size=7)
    kinds = sorted({graph.nodes[n]["kind"] for n in nodes})
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=KIND_COLOURS.get(k, "#999"),
            label=KIND_LABELS.get(k, k),
        )
        for k in kinds
    ]
    ax.legend(
        handles=handles, loc="lower left", fontsize=6, frameon=False, bbox_to_anchor=(-0.05, -0.08)
    )
    sm = _scalar_mappable("RdYlGn")
    fig.colorbar(sm, ax=ax, shrink=0.6, label="mean trust of a pair (colour and width)")
    ax.set_title(f"Trust between organisations, month {model.period}", fontsize=10)
    ax.set_axis_off()
    ax.margins(0.12)
    return fig


def _cmap(name: str):
    from matplotlib import colormaps

    return colormaps[name]


def _scalar_mappable(name: str):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(0.0, 1.0), cmap=_cmap(name))


def _series(model: HealthEconomyModel, key: str, scale: float = 1.0) -> tuple[list, list]:
    """(month, value): month n is the n-th month run, so the charts agree with the
    page's "Month n of N" (a row's period counts from 0)."""
    return [r["period"] + 1 for r in model.rows], [r[key] / scale for r in model.rows]


def _months_axis(ax, model: HealthEconomyModel) -> None:
    """A stable x axis from month 0 to at least a year, so one or two points do not
    make a degenerate axis, and a marker so a single point shows."""
    ax.set_xlim(0, max(model.periods_per_year, model.period + 1))
    for line in ax.get_lines():
        if len(line.get_xdata()) <= 2:
            line.set_marker("o")
            line.set_markersize(4)


def _cumulative(values: list[float]) -> list[float]:
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def spend_figure(model, status_quo: HealthEconomyModel) -> Figure:
    """Monthly commissioner spend against the status quo, and cumulative savings."""
    fig = _figure(6.0, 4.2)
    top, bottom = fig.subplots(2, 1, sharex=True)
    if not model.rows:
        _waiting(top)
    x, spend = _series(model, "spend_pence", MILLION)
    xs, base = _series(status_quo, "spend_pence", MILLION)
    top.plot(xs, base, color=STATUS_QUO, ls="--", label="status quo")
    top.plot(x, spend, color=MAIN, label=model.contract_model)
    top.set_ylabel("spend £m / period")
    top.legend(fontsize=7, loc="upper left")
    top.set_title("Commissioners' spending against the status quo", fontsize=10)
    n = min(len(spend), len(base))
    savings = _cumulative([b - s for b, s in zip(base[:n], spend[:n], strict=True)])
    bottom.axhline(0, color="#999", lw=0.8)
    bottom.fill_between(x[:n], savings, 0, color=MAIN, alpha=0.25)
    bottom.plot(x[:n], savings, color=MAIN)
    bottom.set_ylabel("cumulative savings £m")
    bottom.set_xlabel("month")
    _months_axis(top, model)
    _months_axis(bottom, model)
    return fig


def outcome_figure(model, status_quo: HealthEconomyModel) -> Figure:
    """Outcome index, true and as reported, against the status quo's true outcome."""
    fig = _figure(6.0, 3.4)
    ax = fig.subplots()
    if not model.rows:
        _waiting(ax)
    ax.plot(
        *_series(status_quo, "outcome_true"), color=STATUS_QUO, ls="--", label="status quo (true)"
    )
    ax.plot(*_series(model, "outcome_true"), color=MAIN, label=f"{model.contract_model} (true)")
    ax.plot(*_series(model, "outcome_reported"), color=MAIN, ls=":", label="as reported")
    ax.set_ylim(0, 1)
    ax.set_ylabel("outcome index")
    ax.set_xlabel("month")
    _months_axis(ax, model)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Outcome index", fontsize=10)
    return fig


def reserves_figure(model: HealthEconomyModel) -> Figure:
    """Each provider's reserves over time (£m)."""
    fig = _figure(6.0, 3.4)
    ax = fig.subplots()
    if not model.rows:
        _waiting(ax)
    for provider in model.providers:
        colour = KIND_COLOURS.get(str(provider.kind))
        x, y = _series(model, f"reserves_pence__{provider.name}", MILLION)
        ax.plot(x, y, label=provider.name, color=colour, ls="--" if provider.kind == "vcs" else "-")
    ax.axhline(0, color="#999", lw=0.8)
    ax.set_ylabel("reserves £m")
    ax.set_xlabel("month")
    _months_axis(ax, model)
    ax.legend(fontsize=6, ncols=2, loc="best")
    ax.set_title("Providers' reserves", fontsize=10)
    return fig


def compare_figure(
    a: HealthEconomyModel, b: HealthEconomyModel, status_quo: HealthEconomyModel
) -> Figure:
    """Two contract models side by side on one seed: savings, trust, outcome, reserves."""
    fig = _figure(9.0, 5.6)
    axes = fig.subplots(2, 2, sharex=True)
    base = [r["spend_pence"] / MILLION for r in status_quo.rows]
    for model, colour in ((a, MAIN), (b, RIVAL)):
        x = [r["period"] + 1 for r in model.rows]
        spend = [r["spend_pence"] / MILLION for r in model.rows]
        n = min(len(spend), len(base))
        axes[0, 0].plot(
            x[:n],
            _cumulative([s0 - s for s0, s in zip(base[:n], spend[:n], strict=True)]),
            color=colour,
            label=model.contract_model,
        )
        axes[0, 1].plot(x, [r["mean_trust"] for r in model.rows], color=colour)
        axes[1, 0].plot(x, [r["outcome_true"] for r in model.rows], color=colour)
        reserves = [
            sum(r[f"reserves_pence__{p.name}"] for p in model.providers) / MILLION
            for r in model.rows
        ]
        axes[1, 1].plot(x, reserves, color=colour)
    if not a.rows:
        _waiting(axes[0, 0])
    axes[0, 0].axhline(0, color="#999", lw=0.8)
    axes[0, 0].set_title("cumulative savings against status quo (£m)", fontsize=9)
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].set_title("mean trust", fontsize=9)
    axes[0, 1].set_ylim(0, 1)
    axes[1, 0].set_title("outcome index (true)", fontsize=9)
    axes[1, 0].set_ylim(0, 1)
    axes[1, 1].set_title("providers' reserves, total (£m)", fontsize=9)
    for ax in axes[1]:
        ax.set_xlabel("month")
    for ax in axes.flat:
        _months_axis(ax, a)
    fig.suptitle(f"{a.contract_model} and {b.contract_model} on seed {a.seed}", fontsize=10)
    return fig
