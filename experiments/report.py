"""Figures and a Markdown report from a run directory's Parquet outputs.

``build_report(DIR)`` writes ``DIR/report/``: time series with bands per
contract model (spend, outcome, trust), a forest plot of paired differences
against the status quo, a tornado chart when ``sensitivity.parquet`` exists,
the relationship network of the scenario and the money flows of the sampled
ledger, all collected in ``report.md``. Matplotlib runs headless (Agg); graph
layouts are deterministic (``circular_layout``), never an unseeded spring layout.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from alliancesim.experiments.analysis import (  # noqa: E402
    MODEL,
    format_summary,
    paired_differences,
    summary_table,
    with_savings,
)
from alliancesim.experiments.experiment import ExperimentError  # noqa: E402

#: Time-series panels: the first column present in periods.parquet is drawn.
SERIES = (
    ("Spend (£m per period)", ("spend_pence", "payments_pence"), 1e-8),
    ("Outcome index (true)", ("outcome_true", "outcome_index", "outcome"), 1.0),
    ("Mean trust", ("mean_trust", "trust"), 1.0),
)
BAND = (0.05, 0.95)


def _colours(models: list[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {m: cmap(i % 10) for i, m in enumerate(models)}


def _models_in_order(frame: pd.DataFrame, baseline: str) -> list[str]:
    models = list(dict.fromkeys(frame[MODEL]))
    if baseline in models:
        models.remove(baseline)
        models.insert(0, baseline)
    return models


def plot_time_series(periods_path: Path, out: Path, baseline: str = "status_quo") -> Path | None:
    """Mean and 5-95% band over runs, per model and period, one panel per series."""
    columns = set(pq.read_schema(periods_path).names)
    panels = []
    for title, candidates, scale in SERIES:
        column = next((c for c in candidates if c in columns), None)
        if column:
            panels.append((title, column, scale))
    if not panels or "period" not in columns:
        return None
    wanted = [MODEL, "period", *(c for _, c, _ in panels)]
    periods = pd.read_parquet(periods_path, columns=wanted)
    if periods.empty:
        return None
    models = _models_in_order(periods, baseline)
    colours = _colours(models)
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.6 * len(panels)), sharex=True)
    axes = [axes] if len(panels) == 1 else list(axes)
    for ax, (title, column, scale) in zip(axes, panels, strict=True):
        grouped = periods.groupby([MODEL, "period"])[column]
        stats = pd.DataFrame(
            {
                "mean": grouped.mean(),
                "low": grouped.quantile(BAND[0]),
                "high": grouped.quantile(BAND[1]),
            }
        ).reset_index()
        for model in models:
            s = stats[stats[MODEL] == model]
            ax.plot(s["period"], s["mean"] * scale, color=colours[model], label=model, lw=1.4)
            ax.fill_between(
                s["period"],
                s["low"] * scale,
                s["high"] * scale,
                color=colours[model],
                alpha=0.18,
                lw=0,
            )
        ax.set_ylabel(title, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, ncol=min(4, len(models)))
    axes[-1].set_xlabel("period")
    fig.suptitle("Mean over runs with 5-95% band", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_forest(differences: pd.DataFrame, out: Path) -> Path | None:
    """Paired differences against the baseline with 95% intervals, one row per model."""
    if differences.empty:
        return None
    metric = differences["metric"].iloc[0]
    pence = metric.endswith("_pence")
    scale = 1e-8 if pence else 1.0
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(differences) + 1.4))
    ys = range(len(differences))
    mean = differences["mean_diff"] * scale
    ax.errorbar(
        mean,
        list(ys),
        xerr=[mean - differences["ci_low"] * scale, differences["ci_high"] * scale - mean],
        fmt="o",
        color="black",
        capsize=4,
    )
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(list(ys), differences[MODEL])
    ax.invert_yaxis()
    unit = " (£m)" if pence else ""
    ax.set_xlabel(f"{metric}: model - {differences['baseline'].iloc[0]}{unit}, 95% CI")
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
    ax.set_title(f"{method} sensitivity {what}", fontsize=10)
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


def plot_trust_network(scenario: dict[str, Any], out: Path) -> Path | None:
    graph = trust_graph(scenario)
    if graph.number_of_edges() == 0:
        return None
    pos = nx.circular_layout(sorted(graph.nodes))
    fig, ax = plt.subplots(figsize=(7, 6))
    commissioners = [n for n, k in graph.nodes(data="kind") if k in ("ccg", "council", "icb")]
    colours = ["#d98c3a" if n in commissioners else "#4c86b5" for n in graph.nodes]
    trust = [graph.edges[e]["trust"] for e in graph.edges]
    nx.draw_networkx_nodes(graph, pos, node_color=colours, node_size=900, ax=ax)
    nx.draw_networkx_labels(graph, pos, font_size=7, ax=ax)
    nx.draw_networkx_edges(
        graph,
        pos,
        width=[0.5 + 5 * t for t in trust],
        edge_color=trust,
        edge_cmap=plt.get_cmap("RdYlGn"),
        edge_vmin=0,
        edge_vmax=1,
        arrows=True,
        connectionstyle="arc3,rad=0.08",
        ax=ax,
        node_size=900,
    )
    nx.draw_networkx_edge_labels(
        graph, pos, {e: f"{graph.edges[e]['trust']:.2f}" for e in graph.edges}, font_size=6, ax=ax
    )
    ax.set_title("Starting trust between organisations (width and colour = trust)", fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_money_flows(ledger_path: Path, out: Path, baseline: str = "status_quo") -> Path | None:
    """Mean money per sampled run between organisations, one panel per contract model."""
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
    models = _models_in_order(flows, baseline)
    nodes = sorted(set(flows["payer"]) | set(flows["payee"]))
    pos = nx.circular_layout(nodes)
    cols = min(2, len(models))
    rows = math.ceil(len(models) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 5.5 * rows), squeeze=False)
    biggest = (flows["amount"] / flows[MODEL].map(runs)).max()
    for ax, model in zip(axes.flat, models, strict=False):
        part = flows[flows[MODEL] == model]
        graph = nx.DiGraph()
        graph.add_nodes_from(nodes)
        for _, row in part.iterrows():
            graph.add_edge(row["payer"], row["payee"], amount=row["amount"] / runs[model])
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
        nx.draw_networkx_edge_labels(
            graph,
            pos,
            {e: f"£{graph.edges[e]['amount'] / 1e8:,.1f}m" for e in graph.edges},
            font_size=5,
            ax=ax,
        )
        ax.set_title(f"{model} (mean of {runs[model]} sampled runs)", fontsize=9)
        ax.axis("off")
    for ax in list(axes.flat)[len(models) :]:
        ax.axis("off")
    fig.suptitle("Money flows over the contract term (payer -> payee)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


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
    if runs.empty:
        lines.append("No successful runs.")
    else:
        pooled = ["point_id"] if runs["point_id"].nunique() > 1 else []
        if pooled:
            lines.append(f"Pooled over {runs['point_id'].nunique()} parameter points.\n")
        table = summary_table(runs, baseline_model=baseline, by=[])
        lines += ["## Summary (mean [95% CI])", "", "```", format_summary(table), "```", ""]
        figures: list[tuple[str, Path | None]] = []
        ts = plot_time_series(out_dir / "periods.parquet", report_dir / "timeseries.png", baseline)
        figures.append(("Time series per contract model", ts))
        if metric in runs.columns and baseline in set(runs[MODEL]):
            diffs = paired_differences(runs, metric, baseline, by=[])
            figures.append(
                (
                    f"Paired differences in {metric} against {baseline}",
                    plot_forest(diffs, report_dir / "forest.png"),
                )
            )
            notes = [f"- {r[MODEL]}: {r['note']}" for _, r in diffs.iterrows() if r["note"]]
            if notes:
                lines += ["Precision notes:", "", *notes, ""]
        if (out_dir / "sensitivity.parquet").is_file():
            sens = pd.read_parquet(out_dir / "sensitivity.parquet")
            figures.append(
                ("Sensitivity (tornado)", plot_tornado(sens, report_dir / "tornado.png"))
            )
        scenario = manifest.get("scenario")
        if isinstance(scenario, dict):
            figures.append(
                (
                    "Starting trust network",
                    plot_trust_network(scenario, report_dir / "trust_network.png"),
                )
            )
        if (out_dir / "ledger.parquet").is_file():
            figures.append(
                (
                    "Money flows (sampled ledger)",
                    plot_money_flows(
                        out_dir / "ledger.parquet", report_dir / "money_flows.png", baseline
                    ),
                )
            )
        for title, path in figures:
            if path is not None:
                lines += [f"## {title}", "", f"![{title}]({path.name})", ""]
    report = report_dir / "report.md"
    tmp = report.with_name(".report.md.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(report)
    return report
