"""Listing order changes nothing: the model works on a scenario in canonical order.

A scenario file lists organisations, service lines, members, trust pairs and
contract models in whatever order its author chose. The model never reads that
order: :func:`canonical_scenario` returns the same scenario with every list of
named things sorted by name and every dict by key, so the model's providers,
commissioners and lines, every float sum over them, every tie and every event
come out the same for any listing. Random draws are keyed to names, not
positions (``model/streams.py``).

Roles that used to be "the first one listed" are explicit rules here:
:func:`lead_commissioner` (the commissioner paying for the most care at plan,
ties by name) and :func:`main_provider` (the provider with the largest income,
ties by name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def _by_name(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(sorted(items, key=lambda item: item.name))


def _sorted_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    return dict(sorted(values.items()))


def canonical_terms(terms: Any) -> Any:
    """Explicit contract terms (``ContractTerms``) with their parties and lines sorted."""
    update: dict[str, Any] = {
        "commissioners": tuple(sorted(terms.commissioners)),
        "members": tuple(sorted(terms.members)),
        "payments": tuple(sorted(terms.payments, key=lambda p: (p.line, p.payer, p.provider))),
        "subcontracts": tuple(
            sorted(terms.subcontracts, key=lambda s: (s.line, s.lead, s.subcontractor))
        ),
    }
    if terms.outcome is not None:
        update["outcome"] = terms.outcome.model_copy(
            update={
                "metrics": _sorted_dict(terms.outcome.metrics),
                "split": _sorted_dict(terms.outcome.split),
            }
        )
    if terms.risk_share is not None:
        rs = terms.risk_share
        update["risk_share"] = rs.model_copy(
            update={
                "gain_shares": _sorted_dict(rs.gain_shares),
                "pain_shares": _sorted_dict(rs.pain_shares),
                "commissioner_shares": _sorted_dict(rs.commissioner_shares),
                "excluded": tuple(sorted(rs.excluded)),
            }
        )
    return terms.model_copy(update=update)


def canonical_contract_model(spec: Any) -> Any:
    """A contract model spec with members, per-line bases, shares and splits sorted."""
    update: dict[str, Any] = {
        "payment": _sorted_dict(spec.payment),
        "contracts": tuple(canonical_terms(t) for t in sorted(spec.contracts, key=_name)),
    }
    if spec.members is not None:
        update["members"] = tuple(sorted(spec.members))
    if spec.outcome is not None:
        update["outcome"] = spec.outcome.model_copy(
            update={"split": _sorted_dict(spec.outcome.split)}
        )
    if spec.risk_share is not None:
        rs = spec.risk_share
        shares = _sorted_dict(rs.shares) if isinstance(rs.shares, dict) else rs.shares
        update["risk_share"] = rs.model_copy(
            update={"shares": shares, "excluded": tuple(sorted(rs.excluded))}
        )
    return spec.model_copy(update=update)


def _name(item: Any) -> str:
    return item.name


def canonical_scenario(scenario: Any) -> Any:
    """The scenario with every list of named things in name order (see the module doc).

    Sorted: organisations, service lines, trust pairs (by source, then target),
    contract models, each model's members, per-line payment bases, outcome split,
    risk shares and exclusions, and explicit contract terms. Sequences whose order
    means something (withhold schedules, gain and corridor bands) are kept."""
    economy = scenario.economy.model_copy(
        update={"service_lines": _by_name(scenario.economy.service_lines)}
    )
    trust = scenario.trust.model_copy(
        update={"pairs": tuple(sorted(scenario.trust.pairs, key=lambda p: (p.source, p.target)))}
    )
    negotiation = scenario.negotiation.model_copy(
        update={"approval_months": _sorted_dict(scenario.negotiation.approval_months)}
    )
    models = {
        name: canonical_contract_model(spec)
        for name, spec in sorted(scenario.contract_models.items())
    }
    return scenario.model_copy(
        update={
            "organisations": _by_name(scenario.organisations),
            "economy": economy,
            "trust": trust,
            "negotiation": negotiation,
            "contract_models": models,
        }
    )


def commissioned_value(scenario: Any) -> dict[str, int]:
    """Each commissioner's care at plan, pence a year, over the lines it pays (each line
    rounded to the penny as the negotiation's scope values are, so both agree)."""
    population = scenario.economy.population
    value = {o.name: 0 for o in scenario.organisations if o.is_commissioner}
    for line in scenario.economy.service_lines:
        units = population * line.demand_per_1000_per_year / 1000.0
        value[line.commissioner] += round(units * line.unit_cost_pence)
    return value


def largest(values: Mapping[str, float]) -> str:
    """The name with the largest value; ties go to the name first in alphabetical order."""
    return min(values, key=lambda name: (-values[name], name))


def lead_commissioner(scenario: Any) -> str:
    """The lead commissioner: the one paying for the most care at plan, ties by name.

    It holds the sticky rift with the main provider, is the commissioner the
    providers game outcome reports against, sets the default outcome leniency and
    leads negotiations. In every shipped preset it is also the first listed."""
    return largest(commissioned_value(scenario))


def main_provider(income: Mapping[str, float]) -> str:
    """The main provider: the largest income under the contracts, ties by name."""
    return largest(income)
