"""Negotiations across runs: the share agreed, scaled down and abandoned, months and cost.

Reads the per-run rows (``Agreement.summary`` columns) that the runners write; used by the
``run`` command's printout.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from alliancesim.agents.negotiation.agreement import RESULTS


def summarise(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per contract model: share agreed / scaled down / abandoned, median months and cost.

    ``rows`` are run rows (``runs.parquet`` records) with the negotiation columns.
    """
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("negotiation_result") in RESULTS:
            by_model.setdefault(row["contract_model"], []).append(row)
    table = {}
    for name, group in by_model.items():
        n = len(group)
        months = [float(r["negotiation_months"]) for r in group]
        costs = [float(r["negotiation_cost_pence"]) for r in group]
        table[name] = {
            "runs": n,
            **{f"share_{r}": sum(g["negotiation_result"] == r for g in group) / n for r in RESULTS},
            "median_months": statistics.median(months),
            "median_cost_pence": statistics.median(costs),
        }
    return table


def format_summary(table: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"{'contract model':<18}{'runs':>6}{'agreed':>9}{'scaled':>9}{'abandoned':>11}"
        f"{'months':>9}{'cost £':>13}"
    ]
    for name, row in table.items():
        lines.append(
            f"{name:<18}{row['runs']:>6}{row['share_agreed']:>9.0%}"
            f"{row['share_scaled_down']:>9.0%}{row['share_abandoned']:>11.0%}"
            f"{row['median_months']:>9.1f}{row['median_cost_pence'] / 100:>13,.0f}"
        )
    return "\n".join(lines)
