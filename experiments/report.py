"""Figures and a Markdown report from a run directory's Parquet outputs.

``build_report(DIR)`` writes ``DIR/report/``: annual commissioner spend and
cumulative savings against the status quo by contract year (means with 95%
intervals, in £m), time series with bands per contract model (spend, outcome,
trust), a forest plot of paired differences
against the status quo, a tornado chart when ``sensitivity.parquet`` exists,
the relationship network of the scenario and the money flows of the sampled
ledger, all collected in ``report.md``. Matplotlib runs headless (Agg); graph
layouts are deterministic (``circular_layout``), never an unseeded spring layout.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from alliancesim.experiments.analysis import (  # noqa: E402
    MODEL,
    PAIR_KEYS,
    models_in_order,
    paired_differences,
    t_interval,
    with_savings,
)
from alliancesim.experiments.decomposition import (  # noqa: E402
    decomposition_markdown,
    decomposition_reading,
)
from alliancesim.experiments.experiment import ExperimentError  # noqa: E402
from alliancesim.experiments.policy_tables import (  # noqa: E402
    Context,
    policy_table,
    reading,
    risk_inputs,
    risk_table,
    to_markdown,
)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from scipy import stats  # noqa: E402

#: Time-series panels: the first column present in periods.parquet is drawn.
#: (title with "{period}" for the period name, candidate columns, scale to display units)
SERIES = (
    ("Commissioner spend\n(£m per {period})", ("spend_pence", "payments_pence"), 1e-8),
    ("Outcome index (true, 0-1)", ("outcome_true", "outcome_index", "outcome"), 1.0),
    ("Mean trust (0-1)", ("mean_trust", "trust"), 1.0),
)
PERIOD_NAMES = {12: "month", 4: "quarter", 52: "week"}
#: A model's spend "spikes" at year ends when its mean spend in the last period of a
#: contract year exceeds its mean in the other periods by this share.
SPIKE_SHARE = 0.10
INTERVAL_LABEL = "95% interval (simulation noise)"
YEAR_END_NOTE = (
    "Year-end spikes ({models}): outcome money withheld each {period} is paid at the end of "
    "the contract year, and risk-share gains and pains are settled then too."
)


def _colours(models: list[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {m: cmap(i % 10) for i, m in enumerate(models)}


#: Line styles and markers per model, so a line that lies on another still shows.
STYLES = (("-", "o"), ("--", "s"), ("-.", "^"), (":", "D"), ((0, (5, 1)), "v"))


def _style(models: list[str]) -> dict[str, tuple[Any, str]]:
    return {m: STYLES[i % len(STYLES)] for i, m in enumerate(models)}


def _mean_interval(grouped: Any, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval of the mean per group (a pandas SeriesGroupBy)."""
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    half = pd.Series(
        [
            stats.t.ppf(0.5 + confidence / 2, k - 1) * v / math.sqrt(k) if k > 1 else math.nan
            for v, k in zip(sd, n, strict=True)
        ],
        index=mean.index,
    )
    return pd.DataFrame({"mean": mean, "low": mean - half, "high": mean + half})


def year_end_spikes(
    periods: pd.DataFrame, column: str, periods_per_year: int, share: float = SPIKE_SHARE
) -> list[str]:
    """Models whose mean ``column`` in the last period of each year exceeds the rest's."""
    found = []
    if periods["period"].max() < periods_per_year - 1:
        return found
    last = (periods["period"] % periods_per_year) == periods_per_year - 1
    for model, frame in periods.groupby(MODEL, sort=False):
        at_end = frame.loc[last[frame.index], column].mean()
        rest = frame.loc[~last[frame.index], column].mean()
        if rest and at_end > (1 + share) * rest:
            found.append(str(model))
    return found


def plot_time_series(
    periods_path: Path, out: Path, baseline: str = "status_quo", periods_per_year: int = 12
) -> Path | None:
    """Mean over replications with its 95% interval, per model and period, one panel per series.

    The x axis is the period by name (month for monthly models). A note under the
    figure explains year-end spikes when a model's spend has them.
    """
    columns = set(pq.read_schema(periods_path).names)
    period = PERIOD_NAMES.get(periods_per_year, "period")
    panels = []
    for title, candidates, scale in SERIES:
        column = next((c for c in candidates if c in columns), None)
        if column:
            panels.append((title.format(period=period), column, scale))
    if not panels or "period" not in columns:
        return None
    wanted = [MODEL, "period", *(c for _, c, _ in panels)]
    periods = pd.read_parquet(periods_path, columns=wanted)
    if periods.empty:
        return None
    models = models_in_order(periods, baseline)
    colours, styles = _colours(models), _style(models)
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.6 * len(panels) + 0.6), sharex=True)
    axes = [axes] if len(panels) == 1 else list(axes)
    for ax, (title, column, scale) in zip(axes, panels, strict=True):
        stats_frame = _mean_interval(periods.groupby([MODEL, "period"])[column]).reset_index()
        for model in models:
            s = stats_frame[stats_frame[MODEL] == model]
            ax.plot(
                s["period"] + 1,
                s["mean"] * scale,
                color=colours[model],
                ls=styles[model][0],
                label=model,
                lw=1.3,
            )
            ax.fill_between(
                s["period"] + 1,
                s["low"] * scale,
                s["high"] * scale,
                color=colours[model],
                alpha=0.25,
                lw=0,
            )
        ax.set_ylabel(title, fontsize=8)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(Patch(color="grey", alpha=0.25))
    labels.append(f"band: {INTERVAL_LABEL}")
    axes[0].legend(handles, labels, fontsize=7, ncol=min(3, len(labels)))
    axes[-1].set_xlabel(f"{period} (1 = first {period} of the contract)")
    fig.suptitle(f"Mean over replications with its {INTERVAL_LABEL}", fontsize=10)
    spend_column = next((c for _, c, _ in panels if c in SERIES[0][1]), None)
    spiky = year_end_spikes(periods, spend_column, periods_per_year) if spend_column else []
    bottom = 0.0
    if spiky:
        note = YEAR_END_NOTE.format(models=", ".join(spiky), period=period)
        fig.text(0.01, 0.005, textwrap.fill(note, 110), fontsize=7, va="bottom")
        bottom = 0.06
    fig.tight_layout(rect=(0, bottom, 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


PENCE_PER_MILLION_POUNDS = 1e8


def annual_spend(periods_path: Path, periods_per_year: int = 12) -> pd.DataFrame:
    """Commissioner spend per run and contract year, in pence: the sum of its months.

    Reads only the run keys, ``year`` (or ``period``, cut into years of
    ``periods_per_year``) and ``spend_pence`` from ``periods.parquet``, which
    can be hundreds of MB, and sums in Arrow before anything becomes pandas.
    Columns: the run keys present (point_id, replication, seed), contract_model,
    year (0 = first contract year), spend_pence, months. Empty when the table
    lacks spend or any way to tell the year.
    """
    columns = set(pq.read_schema(periods_path).names)
    keys = [k for k in PAIR_KEYS if k in columns]
    year_column = "year" if "year" in columns else "period" if "period" in columns else None
    if "spend_pence" not in columns or MODEL not in columns or year_column is None:
        return pd.DataFrame(columns=[*keys, MODEL, "year", "spend_pence", "months"])
    table = pq.read_table(periods_path, columns=[*keys, MODEL, year_column, "spend_pence"])
    if year_column == "period":
        year = pa.compute.divide(table["period"], pa.scalar(periods_per_year, pa.int64()))
        table = table.drop_columns(["period"]).append_column("year", year)
    grouped = table.group_by([*keys, MODEL, "year"]).aggregate(
        [("spend_pence", "sum"), ("spend_pence", "count")]
    )
    annual = grouped.to_pandas().rename(
        columns={"spend_pence_sum": "spend_pence", "spend_pence_count": "months"}
    )
    annual[MODEL] = annual[MODEL].astype(str)
    return annual.sort_values([*keys, MODEL, "year"], kind="stable").reset_index(drop=True)


def annual_spend_summary(annual: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per model and year: mean annual spend over runs with its t-interval, in pence.

    Columns: contract_model, year, mean, ci_low, ci_high, n, months.
    """
    rows = []
    for (model, year), frame in annual.groupby([MODEL, "year"], sort=True):
        ci = t_interval(frame["spend_pence"].astype(float), confidence)
        rows.append(
            {
                MODEL: model,
                "year": int(year),
                **{k: ci[k] for k in ("mean", "ci_low", "ci_high", "n")},
                "months": int(frame["months"].max()),
            }
        )
    return pd.DataFrame(rows, columns=[MODEL, "year", "mean", "ci_low", "ci_high", "n", "months"])


def cumulative_savings(
    annual: pd.DataFrame, baseline: str = "status_quo", confidence: float = 0.95
) -> pd.DataFrame:
    """Savings against ``baseline`` to the end of each year, paired on run, in pence.

    Savings = baseline cumulative spend - model cumulative spend on the same
    seed; the interval is ``analysis.paired_differences`` on cumulative spend
    (model - baseline), negated. Columns: contract_model, year, mean, ci_low,
    ci_high, n. Empty when the baseline or every other model is missing.
    """
    columns = [MODEL, "year", "mean", "ci_low", "ci_high", "n"]
    models = set(annual[MODEL])
    if baseline not in models or len(models) < 2:
        return pd.DataFrame(columns=columns)
    runs = [k for k in (*PAIR_KEYS, MODEL) if k in annual.columns]
    cumulative = annual.sort_values([*runs, "year"], kind="stable").copy()
    cumulative["cumulative_spend_pence"] = cumulative.groupby(runs)["spend_pence"].cumsum()
    diffs = paired_differences(
        cumulative, "cumulative_spend_pence", baseline, by=["year"], confidence=confidence
    )
    return pd.DataFrame(
        {
            MODEL: diffs[MODEL],
            "year": diffs["year"].astype(int),
            "mean": -diffs["mean_diff"],
            "ci_low": -diffs["ci_high"],
            "ci_high": -diffs["ci_low"],
            "n": diffs["n"],
        },
        columns=columns,
    )


def plot_spend_by_year(
    spend: pd.DataFrame, savings: pd.DataFrame, out: Path, baseline: str = "status_quo"
) -> Path | None:
    """Annual spend per model (left) and cumulative savings against ``baseline`` (right).

    Means with their 95% intervals as bands, in £m, x = contract year from 1.
    The savings panel is left out when there is nothing to compare.
    """
    if spend.empty:
        return None
    models = models_in_order(spend, baseline)
    colours, styles = _colours(models), _style(models)
    # small horizontal offsets, so models with the same value sit side by side
    offsets = {m: (i - (len(models) - 1) / 2) * 0.08 for i, m in enumerate(models)}
    panels = 2 if not savings.empty else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.8 * panels, 4.6), squeeze=False)
    left = axes[0][0]
    for model in models:
        s = spend[spend[MODEL] == model].sort_values("year")
        _line_with_band(left, s, colours[model], styles[model], offsets[model], model)
    left.set_title("Annual commissioner spend", fontsize=10)
    left.set_ylabel("£m per contract year (nominal)")
    left.set_xlabel("contract year")
    _legend_with_interval(left)
    if panels == 2:
        right = axes[0][1]
        right.axhline(0, color="black", lw=1, label=f"{baseline} (no saving)")
        for model in models:
            s = savings[savings[MODEL] == model].sort_values("year")
            if not s.empty:
                _line_with_band(right, s, colours[model], styles[model], offsets[model], model)
                last = s.iloc[-1]
                right.annotate(
                    f"{_millions(last['mean'])}\n[{_millions(last['ci_low'])}, "
                    f"{_millions(last['ci_high'])}]",
                    (last["year"] + 1, last["mean"] / PENCE_PER_MILLION_POUNDS),
                    xytext=(6, 0),
                    textcoords="offset points",
                    fontsize=6,
                    va="center",
                    color=colours[model],
                )
        right.set_xlim(0.5, spend["year"].max() + 1 + 0.3 * (spend["year"].max() + 1))
        right.set_title(f"Cumulative savings against {baseline}", fontsize=10)
        right.set_ylabel("£m saved by the end of the year (nominal)")
        right.set_xlabel("contract year")
        _legend_with_interval(right)
    years = sorted(int(y) + 1 for y in spend["year"].unique())
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        if len(years) <= 20:
            ax.set_xticks(years)
        else:
            ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"Mean over replications with its {INTERVAL_LABEL}", fontsize=10)
    fig.text(
        0.01,
        0.005,
        "Bars and bands: 95% interval; where none shows it is narrower than the marker. "
        "Models are drawn a little apart on the year axis so none hides another.",
        fontsize=7,
        va="bottom",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _legend_with_interval(ax: Any) -> None:
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(color="grey", alpha=0.3))
    labels.append(INTERVAL_LABEL)
    ax.legend(handles, labels, fontsize=7)


def _line_with_band(
    ax: Any, frame: pd.DataFrame, colour: Any, style: tuple[Any, str], offset: float, label: str
) -> None:
    year = frame["year"] + 1 + offset
    scale = 1 / PENCE_PER_MILLION_POUNDS
    mean = frame["mean"] * scale
    low, high = frame["ci_low"] * scale, frame["ci_high"] * scale
    ax.errorbar(
        year,
        mean,
        yerr=[(mean - low).fillna(0), (high - mean).fillna(0)],
        color=colour,
        ls=style[0],
        marker=style[1],
        ms=3.5,
        lw=1.3,
        capsize=2.5,
        label=label,
    )
    ax.fill_between(year, low, high, color=colour, alpha=0.3, lw=0)


def _millions(pence: float) -> str:
    if not math.isfinite(pence):
        return "n/a"
    millions = round(pence / PENCE_PER_MILLION_POUNDS, 1)
    return f"{'-' if millions < 0 else ''}£{abs(millions):,.1f}m"


def _n_text(n: pd.Series) -> str:
    low, high = int(n.min()), int(n.max())
    return str(low) if low == high else f"{low}-{high}"


def year_table(summary: pd.DataFrame, models: list[str]) -> str:
    """A Markdown table: one row per contract year, cells 'mean [low, high]' in £m."""
    header = ["year", *models]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for year, frame in summary.groupby("year", sort=True):
        cells = {
            r[
                MODEL
            ]: f"{_millions(r['mean'])} [{_millions(r['ci_low'])}, {_millions(r['ci_high'])}]"
            for _, r in frame.iterrows()
        }
        lines.append(
            "| " + " | ".join([str(int(year) + 1), *(cells.get(m, "") for m in models)]) + " |"
        )
    return "\n".join(lines)


def spend_by_year_section(
    periods_path: Path, out: Path, baseline: str = "status_quo", periods_per_year: int = 12
) -> list[str]:
    """The report's Markdown lines for annual spend and cumulative savings, and their figure."""
    if not periods_path.is_file():
        return []
    annual = annual_spend(periods_path, periods_per_year)
    if annual.empty:
        return []
    spend = annual_spend_summary(annual)
    savings = cumulative_savings(annual, baseline)
    figure = plot_spend_by_year(spend, savings, out, baseline)
    if figure is None:
        return []
    models = models_in_order(spend, baseline)
    title = "Spend and savings by contract year"
    lines = [f"## {title}", "", f"![{title}]({figure.name})", ""]
    short = spend[spend["months"] < spend["months"].max()]
    partial = "".join(
        f" Year {int(r['year']) + 1} has only {int(r['months'])} months."
        for _, r in short.drop_duplicates("year").iterrows()
    )
    lines.append(
        "Annual spend: mean commissioner spend per contract year (£m); the band is the 95% "
        f"t-interval of the mean over {_n_text(spend['n'])} replications per model.{partial}"
    )
    if savings.empty:
        others = [m for m in models if m != baseline]
        why = (
            f"only {baseline} was run"
            if not others
            else f"the baseline {baseline} was not run (models: {', '.join(others)})"
        )
        lines += ["", f"Cumulative savings: nothing to compare, {why}.", ""]
    else:
        lines += [
            "",
            f"Cumulative savings: {baseline} spend minus model spend to the end of each year "
            f"(£m, paired on seed); the band is the 95% interval of the mean over "
            f"{_n_text(savings['n'])} paired replications.",
            "",
        ]
    lines += ["Annual spend (mean [95% interval]):", "", year_table(spend, models), ""]
    if not savings.empty:
        compared = [m for m in models if m != baseline]
        lines += [
            f"Cumulative savings against {baseline} by the end of the year "
            "(mean [95% interval], paired):",
            "",
            year_table(savings, compared),
            "",
        ]
    return lines


METRIC_LABELS = {
    "savings_pence": "Saving against {baseline}",
    "spend_pence": "Spend minus {baseline}'s spend",
    "savings_share": "Saving against {baseline} (share of its spend)",
}


def plot_forest(differences: pd.DataFrame, out: Path, horizon: str = "") -> Path | None:
    """Paired differences against the baseline with 95% intervals, one row per model.

    ``horizon`` (e.g. "over 10 years (120 months)") goes into the axis label of money.
    """
    if differences.empty:
        return None
    metric = differences["metric"].iloc[0]
    baseline = differences["baseline"].iloc[0]
    pence = metric.endswith("_pence")
    scale = 1e-8 if pence else 1.0
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(differences) + 1.8))
    ys = range(len(differences))
    mean = differences["mean_diff"] * scale
    low = (mean - differences["ci_low"] * scale).fillna(0)
    high = (differences["ci_high"] * scale - mean).fillna(0)
    ax.errorbar(
        mean,
        list(ys),
        xerr=[low, high],
        fmt="o",
        color="black",
        capsize=4,
        label=f"mean with its {INTERVAL_LABEL}",
    )
    ax.axvline(0, color="grey", lw=1, ls="--", label=f"no difference from {baseline}")
    ax.set_yticks(list(ys), differences[MODEL])
    ax.invert_yaxis()
    what = METRIC_LABELS.get(metric, f"{metric}: model - {{baseline}}").format(baseline=baseline)
    unit = f", nominal £m {horizon}".rstrip() if pence else ""
    ax.set_xlabel(f"{what}{unit}")
    ax.legend(fontsize=7, loc="best")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_tornado(sensitivity: pd.DataFrame, out: Path) -> Path | None:
    """Horizontal bars of total (and first-order) Sobol indices, or Morris mu*."""
    if sensitivity.empty:
        return None
    method = sensitivity["method"].iloc[0] if "method" in sensitivity else "sobol"
    if "ST" in sensitivity:
        table = sensitivity.sort_values("ST")
        bars = [("ST", "ST_conf", "total"), ("S1", "S1_conf", "first order")]
    else:
        table = sensitivity.sort_values("mu_star")
        bars = [("mu_star", "mu_star_conf", "mu*")]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.4))
    height = 0.8 / len(bars)
    for i, (col, conf, label) in enumerate(bars):
        ys = [y + i * height for y in range(len(table))]
        ax.barh(ys, table[col], height=height, xerr=table[conf], label=label, alpha=0.8, capsize=3)
    ax.set_yticks([y + height * (len(bars) - 1) / 2 for y in range(len(table))], table["parameter"])
    what = f"{table['metric'].iloc[0]} of {table[MODEL].iloc[0]}" if "metric" in table else ""
    ax.set_title(f"{method} sensitivity\n{what}", fontsize=10)  # two lines: long names fit
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def trust_graph(scenario: dict[str, Any]) -> nx.DiGraph:
    """Organisations and their starting trust, from the scenario recorded in the manifest."""
    graph = nx.DiGraph()
    orgs = scenario.get("organisations") or []
    for org in orgs:
        graph.add_node(org["name"], kind=org.get("kind", ""))
    kinds = {o["name"]: o.get("kind") for o in orgs}
    trust = scenario.get("trust") or {}
    initial = trust.get("initial", 0.5)
    comm_prov = trust.get("commissioner_provider")
    for line in (scenario.get("economy") or {}).get("service_lines", []):
        a, b = line.get("commissioner"), line.get("provider")
        if a and b:
            graph.add_edge(a, b, trust=comm_prov if comm_prov is not None else initial)
    for pair in trust.get("pairs", []):
        graph.add_edge(
            pair.get("from", pair.get("source")),
            pair.get("to", pair.get("target")),
            trust=pair["value"],
        )
    nx.set_node_attributes(graph, {n: kinds.get(n, "") for n in graph.nodes}, "kind")
    return graph


COMMISSIONER_COLOUR, PROVIDER_COLOUR = "#d98c3a", "#4c86b5"
TRUST_WIDTH = (0.5, 5.0)  # edge width = a + b x trust


def plot_trust_network(scenario: dict[str, Any], out: Path) -> Path | None:
    """Starting trust between organisations, with a legend for node colours and edges."""
    graph = trust_graph(scenario)
    if graph.number_of_edges() == 0:
        return None
    pos = nx.circular_layout(sorted(graph.nodes))
    fig, ax = plt.subplots(figsize=(8, 6.4))
    commissioners = [n for n, k in graph.nodes(data="kind") if k in ("ccg", "council", "icb")]
    colours = [COMMISSIONER_COLOUR if n in commissioners else PROVIDER_COLOUR for n in graph.nodes]
    trust = [graph.edges[e]["trust"] for e in graph.edges]
    cmap = plt.get_cmap("RdYlGn")
    nx.draw_networkx_nodes(graph, pos, node_color=colours, node_size=900, ax=ax)
    nx.draw_networkx_labels(graph, pos, font_size=7, ax=ax)
    nx.draw_networkx_edges(
        graph,
        pos,
        width=[TRUST_WIDTH[0] + TRUST_WIDTH[1] * t for t in trust],
        edge_color=trust,
        edge_cmap=cmap,
        edge_vmin=0,
        edge_vmax=1,
        arrows=True,
        connectionstyle="arc3,rad=0.08",
        ax=ax,
        node_size=900,
    )
    nx.draw_networkx_edge_labels(
        graph,
        pos,
        {e: f"{graph.edges[e]['trust']:.2f}" for e in graph.edges},
        font_size=6,
        ax=ax,
        connectionstyle="arc3,rad=0.08",
        node_size=900,
    )
    handles = [
        Line2D([], [], marker="o", ls="", ms=10, color=COMMISSIONER_COLOUR, label="commissioner"),
        Line2D([], [], marker="o", ls="", ms=10, color=PROVIDER_COLOUR, label="provider"),
        *(
            Line2D(
                [],
                [],
                color=cmap(t),
                lw=TRUST_WIDTH[0] + TRUST_WIDTH[1] * t,
                label=f"trust {t:.2f}",
            )  # fmt: skip
            for t in (0.25, 0.5, 0.75)
        ),
    ]
    ax.legend(
        handles=handles,
        title="nodes and edges (arrow: from whom to whom)",
        fontsize=7,
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    bar = fig.colorbar(
        matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(0, 1), cmap=cmap),
        ax=ax,
        shrink=0.45,
        location="right",
        anchor=(0.0, 0.1),
    )
    bar.set_label("starting trust (0-1): colour and width", fontsize=7)
    ax.set_title("Starting trust between organisations", fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


FLOWS_LISTED = 12


def money_flows(ledger_path: Path) -> tuple[pd.DataFrame, pd.Series] | None:
    """Mean pence per sampled run from payer to payee, per model; and the runs per model."""
    columns = set(pq.read_schema(ledger_path).names)
    needed = {MODEL, "payer", "payee", "amount", "replication", "point_id"}
    if not needed <= columns:
        return None
    ledger = pd.read_parquet(ledger_path, columns=sorted(needed))
    if ledger.empty:
        return None
    runs = ledger.groupby(MODEL)[["point_id", "replication"]].apply(
        lambda f: len(f.drop_duplicates())
    )
    flows = ledger.groupby([MODEL, "payer", "payee"])["amount"].sum().reset_index()
    flows["mean_pence"] = flows["amount"] / flows[MODEL].map(runs)
    flows = flows.sort_values([MODEL, "mean_pence"], ascending=[True, False], kind="stable")
    return flows.reset_index(drop=True), runs


def plot_money_flows(
    ledger_path: Path, out: Path, baseline: str = "status_quo", horizon: str = ""
) -> Path | None:
    """Mean money per sampled run between organisations, one row of panels per contract model.

    Edge width is proportional to the money; the amounts are listed beside each
    graph (largest first) rather than written on crossing edges, so no label
    overlaps another.
    """
    found = money_flows(ledger_path)
    if found is None:
        return None
    flows, runs = found
    models = models_in_order(flows, baseline)
    nodes = sorted(set(flows["payer"]) | set(flows["payee"]))
    pos = nx.circular_layout(nodes)
    fig, axes = plt.subplots(
        len(models),
        2,
        figsize=(10, 4.2 * len(models)),
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 2]},
    )
    biggest = flows["mean_pence"].max()
    for (ax, listing), model in zip(axes, models, strict=False):
        part = flows[flows[MODEL] == model]
        graph = nx.DiGraph()
        graph.add_nodes_from(nodes)
        for _, row in part.iterrows():
            graph.add_edge(row["payer"], row["payee"], amount=row["mean_pence"])
        widths = [0.5 + 6 * graph.edges[e]["amount"] / biggest for e in graph.edges]
        nx.draw_networkx_nodes(graph, pos, node_color="#dddddd", node_size=700, ax=ax)
        nx.draw_networkx_labels(graph, pos, font_size=6, ax=ax)
        nx.draw_networkx_edges(
            graph,
            pos,
            width=widths,
            arrows=True,
            ax=ax,
            node_size=700,
            connectionstyle="arc3,rad=0.1",
            edge_color="#2b6a99",
        )
        ax.set_title(f"{model} (mean of {runs[model]} sampled runs)", fontsize=9)
        ax.axis("off")
        listed = part.head(FLOWS_LISTED)
        text = [f"{'payer -> payee':<44}£m"]
        text += [
            f"{r['payer'] + ' -> ' + r['payee']:<42}{r['mean_pence'] / 1e8:>8,.1f}"
            for _, r in listed.iterrows()
        ]
        if len(part) > len(listed):
            rest = part["mean_pence"].iloc[len(listed) :].sum()
            text.append(f"{len(part) - len(listed)} smaller flows{'':<25}{rest / 1e8:>8,.1f}")
        listing.text(0, 1, "\n".join(text), family="monospace", fontsize=7, va="top")
        listing.axis("off")
    fig.suptitle(
        f"Money flows {horizon} (payer -> payee, £m nominal; edge width proportional to money)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / (4.2 * len(models))))
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


POOLED_FIGURES_NOTE = (
    "The figures below pool the runs of every draw: their bands are the spread of the mean "
    "over all runs, not the combined interval of the tables above."
)


def posterior_section(out_dir: Path, posterior: dict[str, Any]) -> list[str]:
    """What the posterior run drew: K, the particles and each prior's range over the draws."""
    lines = [
        "## Over the posterior",
        "",
        f"- posterior: {posterior.get('folder')}/{posterior.get('file', 'posterior.parquet')} "
        f"(sha256 {str(posterior.get('sha256', ''))[:12]}…), "
        f"{posterior.get('particles')} particles"
        + (f", calibration {posterior['calibration']}" if posterior.get("calibration") else ""),
    ]
    draws_path = out_dir / "draws.parquet"
    if draws_path.is_file():
        draws = pd.read_parquet(draws_path)
        lines.append(
            f"- {len(draws)} draws by weight with replacement ({draws['particle'].nunique()} "
            f"distinct particles), {int(draws['replications'].min())}-"
            f"{int(draws['replications'].max())} replications each (draws.parquet)"
        )
        for prior in posterior.get("priors", []):
            if prior in draws.columns:
                values = draws[prior].astype(float)
                lines.append(
                    f"- {prior}: mean {values.mean():.3g}, drawn from "
                    f"{values.min():.3g} to {values.max():.3g}"
                )
    lines += ["", POOLED_FIGURES_NOTE, ""]
    return lines


def build_report(
    out_dir: str | Path, baseline: str = "status_quo", metric: str = "savings_pence"
) -> Path:
    """Write ``out_dir/report/report.md`` and its PNG figures; return the report path."""
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file() or not (out_dir / "runs.parquet").is_file():
        raise ExperimentError(
            str(out_dir), "DIR", str(out_dir), "a run directory with manifest.json and runs.parquet"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    report_dir = out_dir / "report"
    report_dir.mkdir(exist_ok=True)
    runs = with_savings(pd.read_parquet(out_dir / "runs.parquet"), baseline)
    name = (manifest.get("experiment") or {}).get("experiment", {}).get("name") or (
        (manifest.get("scenario") or {}).get("scenario", {}).get("name", "run")
    )
    lines = [f"# Report: {name}", ""]
    counts = manifest.get("counts", {})
    git = manifest.get("git") or {}
    lines += [
        f"- runs: {counts.get('tasks')} replications ({counts.get('failed', 0)} failed), "
        f"root seed {manifest.get('root_seed')}, backend {manifest.get('backend')}",
        f"- version {manifest.get('version')}, commit {git.get('commit')}"
        f"{' (uncommitted changes)' if git.get('dirty') else ''}",
        "",
    ]
    scenario = manifest.get("scenario")
    posterior = manifest.get("posterior")
    if posterior:
        reps = int(counts.get("tasks") or 0)
    else:
        reps = int(runs["replication"].nunique()) if "replication" in runs.columns else 0
    context = Context.from_scenario(
        scenario if isinstance(scenario, dict) else {},
        reps=reps,
        seed=manifest.get("root_seed"),
        posterior=posterior,
    )
    if runs.empty:
        lines.append("No successful runs.")
    else:
        pooled = ["point_id"] if runs["point_id"].nunique() > 1 else []
        if posterior:
            lines += posterior_section(out_dir, posterior)
        elif pooled:
            lines.append(f"Pooled over {runs['point_id'].nunique()} parameter points.\n")
        policy = policy_table(runs, baseline)
        risk = risk_table(runs, baseline, *risk_inputs(out_dir))
        decomposition_path = out_dir / "decomposition.parquet"
        decomposed = pd.read_parquet(decomposition_path) if decomposition_path.is_file() else None
        lines += ["## What the numbers say", ""]
        lines += [f"- {sentence}" for sentence in reading(policy, risk, context)]
        if decomposed is not None:
            lines += [f"- {sentence}" for sentence in decomposition_reading(decomposed)]
        lines += [
            "",
            "## Policy table and who carries the risk",
            "",
            to_markdown(policy, risk, context),
        ]
        if decomposed is not None and not decomposed.empty:
            lines += [
                "## Channel decomposition",
                "",
                decomposition_markdown(decomposed, context, False),
            ]
        economy = (scenario or {}).get("economy") or {} if isinstance(scenario, dict) else {}
        periods_per_year = int(economy.get("periods_per_year") or 12)
        lines += spend_by_year_section(
            out_dir / "periods.parquet",
            report_dir / "spend_by_year.png",
            baseline,
            periods_per_year,
        )
        figures: list[tuple[str, Path | None, str]] = []
        ts = plot_time_series(
            out_dir / "periods.parquet", report_dir / "timeseries.png", baseline, periods_per_year
        )
        figures.append(
            (
                "Time series per contract model",
                ts,
                f"Mean over replications per {PERIOD_NAMES.get(periods_per_year, 'period')}; "
                f"the band is the {INTERVAL_LABEL}. Outcome money withheld during the year is "
                "paid at the contract year end, and risk-share gains and pains are settled "
                f"then, so spend under those terms spikes in the last "
                f"{PERIOD_NAMES.get(periods_per_year, 'period')} of each year.",
            )
        )
        if metric in runs.columns and baseline in set(runs[MODEL]):
            diffs = paired_differences(runs, metric, baseline, by=[])
            what = METRIC_LABELS.get(metric, metric).format(baseline=baseline)
            figures.append(
                (
                    f"{what}, paired by seed",
                    plot_forest(diffs, report_dir / "forest.png", context.horizon),
                    f"Mean and {INTERVAL_LABEL} of the paired difference, {context.horizon}.",
                )
            )
            notes = [f"- {r[MODEL]}: {r['note']}" for _, r in diffs.iterrows() if r["note"]]
            if notes and not posterior:  # replications for a narrow noise interval
                lines += ["Precision notes:", "", *notes, ""]
        if (out_dir / "sensitivity.parquet").is_file():
            sens = pd.read_parquet(out_dir / "sensitivity.parquet")
            groups = (
                list(sens.groupby(["metric", MODEL], sort=True))
                if {"metric", MODEL} <= set(sens.columns)
                else [(None, sens)]
            )
            for key, group in groups:
                name = "tornado.png" if len(groups) == 1 else f"tornado_{key[0]}_{key[1]}.png"
                what = "" if key is None else f": {key[0]} of {key[1]}"
                figures.append(
                    (f"Sensitivity (tornado){what}", plot_tornado(group, report_dir / name), "")
                )
        if isinstance(scenario, dict):
            figures.append(
                (
                    "Starting trust network",
                    plot_trust_network(scenario, report_dir / "trust_network.png"),
                    "Node colour: commissioner or provider; edge colour and width: the trust "
                    "the first organisation starts with in the second (0-1).",
                )
            )
        if (out_dir / "ledger.parquet").is_file():
            figures.append(
                (
                    "Money flows (sampled ledger)",
                    plot_money_flows(
                        out_dir / "ledger.parquet",
                        report_dir / "money_flows.png",
                        baseline,
                        context.horizon,
                    ),
                    "Mean money per run from payer to payee over the whole horizon, from the "
                    "runs whose ledger was kept; the largest flows are listed beside each graph.",
                )
            )
        for title, path, caption in figures:
            if path is not None:
                lines += [f"## {title}", "", f"![{title}]({path.name})", ""]
                if caption:
                    lines += [caption, ""]
    report = report_dir / "report.md"
    tmp = report.with_name(".report.md.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(report)
    return report
