"""Stage 9 of a period: collection. One row of outputs for the period (MODEL.md s5):
the commissioners' spend by part (payments, returned risk, monitoring, transaction
costs), activity by group and line against plan, avoided units, integration, true and
reported outcome, mean and minimum trust between organisations still in the economy,
mean effort, failures, the lead commissioner's capability, and each provider's reserves,
income, surplus and effort. Transaction costs are reported in the period they were
incurred and then reset.

Inputs: the ``Delivery``, the period's settlement entries, the organisations' period
figures booked in stage 7, the trust matrix and the economy's plan. Output: a dict
appended to ``model.rows`` (column names fixed at set-up: ``line_columns``,
``provider_columns``). Sums over floats use ``sum()`` on a list (compensated in
Python 3.12), never a running total, so the figures do not depend on the order of
accumulation. Randomness: none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from alliancesim.model.economy import Delivery
from alliancesim.model.elementwise import row_sums, total
from alliancesim.model.payment.ledger import JournalEntry

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel


def collect(model: HealthEconomyModel, delivery: Delivery, entries: list[JournalEntry]) -> None:
    """Append this period's output row to ``model.rows``; reset transaction costs."""
    mean_trust, min_trust = trust_summary(model)
    payments = returned = monitoring = transaction = 0
    for c in model.commissioners:
        payments += c.spend
        returned += c.returned_risk
        monitoring += c.monitoring_cost
    for o in model.orgs.values():
        transaction += o.transaction_cost
    spend = sum(
        c.spend + c.returned_risk + c.monitoring_cost + c.transaction_cost
        for c in model.commissioners
    )
    # sum() on floats (compensated in Python 3.12), not a running total; ``total`` does
    # the same on arrays over replications
    activity = delivery.activity
    shiftable = total([activity[name] for name in model._shiftable_names])
    receiving = total([activity[name] for name in model._receiving_names])
    effort = total([p.effort for p in model.providers])
    failures = sum([p.failed for p in model.providers])
    row: dict[str, Any] = {
        "period": model.period,
        "year": model.period // model.periods_per_year,
        "spend_pence": spend,
        "payments_pence": payments,
        "returned_risk_pence": returned,
        "monitoring_pence": monitoring,
        "transaction_pence": transaction,
        "acute_activity": shiftable,
        "community_activity": receiving,
        "avoided": delivery.avoided,
        "integration": model.economy.integration,
        "outcome_true": delivery.outcome_true,
        "outcome_reported": model.outcome_reported,
        "mean_trust": mean_trust,
        "min_trust": min_trust,
        "mean_effort": effort / len(model.providers),
        "failures": failures,
        "commissioner_capability": model.orgs[model.lead_commissioner].capability,
    }
    plan = model.economy.plan_for(model.period)
    for line, (activity_key, planned_key) in model.line_columns:
        row[activity_key] = activity[line.name]
        row[planned_key] = plan[line.name]
    for provider, (reserves, income, surplus, effort) in model.provider_columns:
        row[reserves] = provider.reserves
        row[income] = provider.income
        row[surplus] = provider.income - provider.cost - provider.transaction_cost
        row[effort] = provider.effort
    model.rows.append(row)
    for org in model.orgs.values():
        org.transaction_cost = 0


def alive_pairs(model: HealthEconomyModel) -> np.ndarray:
    """Mask of (source, target) pairs of distinct organisations still in the economy."""
    cached = getattr(model, "_alive_pairs", None)
    if cached is not None and cached[0] == model.n_failed:
        return cached[1]
    alive = np.array([not getattr(model.orgs[n], "failed", False) for n in model.trust.names])
    pairs = alive[:, None] & alive[None, :]
    np.fill_diagonal(pairs, False)
    model._alive_pairs = (model.n_failed, pairs)
    return pairs


def trust_values(model: HealthEconomyModel) -> list:
    """Trust of every organisation still in the economy in every other one (for R
    replications, a list of such lists, one a replication)."""
    return model.trust.matrix()[..., alive_pairs(model)].tolist()


def trust_summary(model: HealthEconomyModel) -> tuple[Any, Any]:
    """Mean and minimum trust between organisations still in the economy: floats, or
    (R,) arrays for R replications (each replication's figures to the bit)."""
    matrix = model.trust.matrix()
    if matrix.ndim == 3:
        values = matrix[:, alive_pairs(model)]  # (R, pairs)
        if values.shape[1] == 0:
            return np.zeros(len(values)), np.zeros(len(values))
        # each replication's pairwise sum, as the single run sums its pairs
        return row_sums(values) / values.shape[1], values.min(axis=1)
    values = matrix[alive_pairs(model)]
    if values.size == 0:
        return 0.0, 0.0
    # sum / size is what ndarray.mean computes, without its per-call overhead
    return float(values.sum() / values.size), float(values.min())
