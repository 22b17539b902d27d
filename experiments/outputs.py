"""Run outputs: the per-run summary row and the ledger rows (MODEL.md s5)."""

from __future__ import annotations

from typing import Any

from alliancesim.model.simulation import HealthEconomyModel


def period_column(model: Any, key: str) -> list:
    """A run's values of one output-row key, a period at a time. A replication of an
    ensemble gives its column without making its row dicts (``ReplicationRun``)."""
    column = getattr(model, "period_column", None)
    if column is not None:
        return column(key)
    return [row[key] for row in model.rows]


def run_summary(model: HealthEconomyModel, status_quo: HealthEconomyModel) -> dict[str, Any]:
    """One row of outputs for a run, with savings paired against the status quo run.

    Reads the period rows a key at a time (``period_column``); the sums run over the
    periods in order, as a sum over the rows would."""

    def column(key: str) -> list:
        return period_column(model, key)

    spend = sum(column("spend_pence"))
    base_spend = sum(period_column(status_quo, "spend_pence"))
    years = column("year")
    n = len(years)
    last_year_index = years[-1]
    base_years = period_column(status_quo, "year")

    def first_year(key: str) -> list:
        return [v for v, year in zip(column(key), years, strict=True) if year == 0]

    def last_year(key: str) -> list:
        return [v for v, year in zip(column(key), years, strict=True) if year == last_year_index]

    acute = sum(last_year("acute_activity"))
    base_acute = sum(
        v
        for v, year in zip(period_column(status_quo, "acute_activity"), base_years, strict=True)
        if year == last_year_index
    )
    outcome_first_year = first_year("outcome_true")
    value = model.totals["outcome_at_risk"]
    summary: dict[str, Any] = {
        "spend_pence": spend,
        "savings_pence": base_spend - spend,
        "savings_share": (base_spend - spend) / base_spend if base_spend else 0.0,
        "acute_shift": 1.0 - acute / base_acute if base_acute else 0.0,
        "acute_activity_last_year": acute,
        "community_activity_last_year": sum(last_year("community_activity")),
        "outcome_true": sum(column("outcome_true")) / n,
        "outcome_reported": sum(column("outcome_reported")) / n,
        "outcome_true_first_year": sum(outcome_first_year) / len(outcome_first_year),
        "mean_trust": column("mean_trust")[-1],
        "min_trust": column("min_trust")[-1],
        "mean_effort": sum(column("mean_effort")) / n,
        "failures": column("failures")[-1],
        "failure_period": first_event_period(model, "failure"),
        "exits": len(model.exit_log["handbacks"]),
        "exit_period": model.exit_log["handbacks"][0][0] if model.exit_log["handbacks"] else None,
        "money_requests": model.exit_log["requests"],
        "money_requests_granted": model.exit_log["granted"],
        "returned_risk_pence": sum(column("returned_risk_pence")),
        "outcome_paid_pence": model.totals["outcome_paid"],
        "outcome_at_stake_pence": value,
        "outcome_paid_share": model.totals["outcome_paid"] / value if value else 0.0,
        "gain_settled_pence": model.totals["gain"],
        "pain_settled_pence": model.totals["pain"],
        "transaction_cost_pence": model.totals["transaction"],
        "commissioner_capability_end": column("commissioner_capability")[-1],
        "periods": n,
    }
    deficits = 0
    # on an accruals basis: subcontract payments a lead has delayed past the last period
    # are still its debt and its subcontractors' income (the period rows are cash)
    debts = model.debts_at_end()
    for provider in model.providers:
        owed = debts.get(provider.name, 0)
        surplus = sum(column(f"surplus_pence__{provider.name}")) + owed
        summary[f"surplus_pence__{provider.name}"] = surplus
        summary[f"owed_at_end_pence__{provider.name}"] = owed
        summary[f"reserves_end_pence__{provider.name}"] = provider.reserves
        deficits += surplus < 0
    summary["provider_deficits"] = deficits
    summary.update(negotiation_columns(model))
    return summary


def first_event_period(model: HealthEconomyModel, kind: str) -> int | None:
    """The period of the first event of a kind, or None if there was none."""
    return next((e["period"] for e in model.events if e["kind"] == kind), None)


def negotiation_columns(model: HealthEconomyModel) -> dict[str, Any]:
    """Negotiation result, duration, cost and who joined (issue 4); "imposed" when the
    contract model was not negotiated. Governance counts when the alliance governs itself."""
    agreement = getattr(model, "agreement", None)
    if agreement is not None and hasattr(agreement, "summary"):
        columns = agreement.summary()
        for name in model.orgs:
            columns[f"negotiation_cost_pence__{name}"] = agreement.cost_by_party.get(name, 0)
    else:
        columns = {
            "negotiation_result": "imposed",
            "negotiation_months": 0.0,
            "negotiation_cost_pence": 0,
            "negotiation_rounds": 0,
            "negotiation_shocks": 0,
            "members_joined": 0,
            "risk_members_joined": 0,
            "members_joined_names": "",
            "risk_members_names": "",
            "agreed_target_savings": None,
            "agreed_provider_pain_share": None,
            "agreed_outcome_share": None,
        }
    governance = getattr(model, "governance", None)
    if governance is not None:
        columns.update(governance.summary())
    return columns


def ledger_rows(model: HealthEconomyModel) -> list[dict[str, Any]]:
    return [entry._asdict() for entry in model.ledger]
