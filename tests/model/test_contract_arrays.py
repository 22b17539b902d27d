"""Contract terms and provider views for R replications at once (issue 14).

From the second contract year each replication of an ensemble re-plans its lines on its
own outturn, so a line's ``planned_per_year`` is an array over replications. The
contracts' structure is the same in every replication; their numbers are not. Building
once with the arrays must give, in element r of every number, bit for bit and of the same
kind (int pence, float), what building with replication r's plans alone gives, and the
same structure (names, members, bases, payers). The same for what each provider reads
from its contracts (``provider_views``, ``planned_income``, ties, pooled shares).

The plans are the first year's, scaled line by line and replication by replication within
the bounds a re-plan allows (x0.5 to x1.5 a year, ``HealthEconomy.replan``), for every
shipped preset, contract model and contract years 0-3, with and without a failed
provider; and, for the default preset, the plans four agent runs actually made.
"""

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest
from alliancesim.agents.incentives import (
    commissioner_price,
    delivered_value,
    pooled_shares,
    provider_views,
)
from alliancesim.model.contracts import (
    ContractBuilder,
    bid_price_pence,
    indexed_pence,
    weights,
)
from alliancesim.model.economy import HealthEconomy, ServiceLine
from alliancesim.model.payment.terms import (
    Basis,
    ContractTerms,
    LinePayment,
    RiskShareTerms,
    ServicePayment,
    Subcontract,
    Vehicle,
    annual_value,
    contract_value,
    terms_of,
)
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages.contract_year import (
    carry_state,
    commissioner_distance,
    planned_income,
    without,
)
from alliancesim.scenario import load_preset, load_scenario
from pydantic import BaseModel, ValidationError

R = 4
PRESETS = sorted(
    p.stem for p in (Path(__file__).parents[2] / "scenario" / "presets").glob("*.toml")
)
YEARS = [0, 1, 2, 3]


@functools.cache
def scenario(preset):
    return load_preset(preset)


def lines_of(scen) -> list[ServiceLine]:
    return [ServiceLine.from_spec(s, scen.economy.population) for s in scen.economy.service_lines]


def perturbed_plans(scen, year: int, key: int) -> dict[str, np.ndarray]:
    """Each line's plan per replication after ``year`` re-plans within the allowed bounds."""
    rng = np.random.default_rng([key, year])
    plans = {}
    for line in lines_of(scen):
        factor = np.prod(rng.uniform(0.5, 1.5, size=(year, R)), axis=0) if year else np.ones(R)
        plans[line.name] = line.plan_at_start * factor
    return plans


def builders(scen, plans: dict[str, np.ndarray]):
    """A builder whose lines plan arrays, and one per replication with that row's floats."""
    base = lines_of(scen)
    ensemble = ContractBuilder(
        scen, [dataclasses.replace(x, planned_per_year=plans[x.name]) for x in base]
    )
    singles = [
        ContractBuilder(
            scen, [dataclasses.replace(x, planned_per_year=float(plans[x.name][r])) for x in base]
        )
        for r in range(R)
    ]
    return ensemble, singles


def failing_provider(scen) -> str:
    """A provider with lines that leads no contract model (its failure leaves one standing)."""
    leads = {spec.lead for spec in scen.contract_models.values()}
    with_lines = {s.provider for s in scen.economy.service_lines}
    return sorted(with_lines - leads)[-1]


# ---------------------------------------------------------------- comparing row r


def same_number(many, one, r: int, where: str) -> None:
    """Element r of ``many`` (or ``many`` itself, a number common to all) is ``one``, bit
    for bit and of the same kind."""
    if isinstance(many, np.ndarray):
        assert many.shape == (R,), where
        element = many[r]
        if isinstance(one, bool):
            assert many.dtype == np.bool_ and bool(element) is one, where
        elif isinstance(one, int):
            assert many.dtype == np.int64, f"{where}: {many.dtype} for int {one}"
            assert int(element) == one, f"{where}: {int(element)} != {one}"
        else:
            assert isinstance(one, float), f"{where}: {type(one)}"
            assert many.dtype == np.float64, f"{where}: {many.dtype}"
            assert float(element).hex() == one.hex(), f"{where}: {float(element)!r} != {one!r}"
        return
    assert type(many) is type(one), f"{where}: {type(many)} != {type(one)}"
    if isinstance(one, float):
        assert many.hex() == one.hex(), f"{where}: {many!r} != {one!r}"
    else:
        assert many == one, f"{where}: {many!r} != {one!r}"


def same_terms(many, one, r: int, where: str = "terms") -> None:
    """Walk pydantic models, dicts, tuples and lists: same structure, row r's numbers."""
    if isinstance(one, BaseModel):
        assert type(many) is type(one), where
        for name in type(one).model_fields:
            same_terms(getattr(many, name), getattr(one, name), r, f"{where}.{name}")
    elif isinstance(one, dict):
        assert isinstance(many, dict) and list(many) == list(one), f"{where}: keys"
        for key in one:
            same_terms(many[key], one[key], r, f"{where}[{key!r}]")
    elif isinstance(one, (tuple, list)):
        assert type(many) is type(one) and len(many) == len(one), f"{where}: length"
        for i, (a, b) in enumerate(zip(many, one, strict=True)):
            same_terms(a, b, r, f"{where}[{i}]")
    elif one is None or isinstance(one, str):
        assert many == one, where
    else:
        same_number(many, one, r, where)


def same_ties(many: dict, one: dict, r: int, where: str) -> None:
    """Ties per partner: every partner tied in row r is in ``many``; one not tied there
    (absent from the scalar view) is 0.0 in row r."""
    assert set(one) <= set(many), f"{where}: {sorted(set(one) - set(many))} missing"
    for key, tie in many.items():
        if key in one:
            same_number(tie, one[key], r, f"{where}[{key!r}]")
        else:
            row = tie[r] if isinstance(tie, np.ndarray) else tie
            assert row == 0.0, f"{where}[{key!r}]: {row} where no tie"


def same_views(ensemble, singles, contract_year: int, providers: list[str]) -> None:
    views = provider_views(ensemble, providers, contract_year, 0.4)
    for r, contracts in enumerate(singles):
        alone = provider_views(contracts, providers, contract_year, 0.4)
        assert list(views) == list(alone)
        for name, view in views.items():
            one = alone[name]
            where = f"view {name} r={r}"
            same_terms(view.paid_for, one.paid_for, r, f"{where}.paid_for")
            same_terms(view.pays_for, one.pays_for, r, f"{where}.pays_for")
            for field in ("gain_share", "pain_share", "withhold_value", "leniency"):
                same_number(getattr(view, field), getattr(one, field), r, f"{where}.{field}")
            for field in ("is_lead", "years_left", "contract_value"):
                same_number(getattr(view, field), getattr(one, field), r, f"{where}.{field}")
            same_ties(view.financial_ties, one.financial_ties, r, f"{where}.financial_ties")
            same_ties(view.forum_ties, one.forum_ties, r, f"{where}.forum_ties")
            same_ties(view.ties(0.3), one.ties(0.3), r, f"{where}.ties")
            same_number(planned_income(view), planned_income(one), r, f"{where}.income")
            for line, terms in view.paid_for.items():
                same_number(
                    commissioner_price(terms, 1234.5),
                    commissioner_price(one.paid_for[line], 1234.5),
                    r,
                    f"{where}.commissioner_price[{line}]",
                )
        for many, terms in zip(ensemble, contracts, strict=True):
            where = f"{terms.name} r={r}"
            same_ties(
                pooled_shares(many, contract_year), pooled_shares(terms, contract_year), r, where
            )
            same_ties(delivered_value(many), delivered_value(terms), r, where)
            same_number(contract_value(many), contract_value(terms), r, f"{where}.value")
        assert commissioner_distance(ensemble) == commissioner_distance(contracts)


def same_without_and_state(many, ones, contract_year: int, leaving: str) -> None:
    """A member failing mid-year (``without``) and the settlement state carried into the
    rebuilt terms (``carry_state``): row r as for replication r alone."""
    gone = frozenset({leaving})
    for r, one in enumerate(ones):
        for a, b in zip(many, one, strict=True):
            where = f"{b.name} r={r}"
            same_terms(without(a, gone), without(b, gone), r, f"without {where}")
            state = carry_state(carry_state(None, a, contract_year), a, contract_year)
            alone = carry_state(carry_state(None, b, contract_year), b, contract_year)
            same_terms(state, alone, r, f"state {where}")


def check_builds(scen, plans, contract_year: int, failed=frozenset()) -> int:
    """Build every contract model with the arrays and per replication; compare. Returns
    how many numbers in the ensemble's terms differ between replications (> 0 shows the
    check had per-replication numbers to compare)."""
    ensemble, singles = builders(scen, plans)
    providers = [
        o.name for o in scen.organisations if not o.is_commissioner and o.name not in failed
    ]
    varying = 0
    for model in scen.contract_models:
        many = ensemble.build(model, contract_year, failed)
        ones = [b.build(model, contract_year, failed) for b in singles]
        for r, one in enumerate(ones):
            same_terms(many, one, r, f"{model} year {contract_year} r={r}")
        same_views(many, ones, contract_year, providers)
        same_without_and_state(many, ones, contract_year, failing_provider(scen))
        varying += sum(
            isinstance(v, np.ndarray) and len(set(v.tolist())) > 1 for v in numbers(many)
        )
    return varying


def numbers(value):
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from numbers(getattr(value, name))
    elif isinstance(value, dict):
        for v in value.values():
            yield from numbers(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from numbers(v)
    else:
        yield value


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("contract_year", YEARS)
def test_terms_from_per_replication_plans_match_each_replication(preset, contract_year):
    scen = scenario(preset)
    plans = perturbed_plans(scen, contract_year, PRESETS.index(preset))
    varying = check_builds(scen, plans, contract_year)
    if contract_year:
        assert varying > 0  # the plans differ: so must some numbers


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("contract_year", [0, 2])
def test_terms_without_a_failed_provider_match_each_replication(preset, contract_year):
    scen = scenario(preset)
    plans = perturbed_plans(scen, contract_year + 1, 100 + PRESETS.index(preset))
    check_builds(scen, plans, contract_year, frozenset({failing_provider(scen)}))


def test_a_negotiated_spec_and_mixed_plans_match_each_replication():
    """Value-weighted risk shares from a negotiated spec, with some lines' plans common
    to every replication (plain floats) and others per replication."""
    scen = scenario("default")
    model = next(n for n, s in scen.contract_models.items() if s.risk_share is not None)
    plans = perturbed_plans(scen, 2, 7)
    first = sorted(plans)[0]
    base = lines_of(scen)
    mixed = [
        dataclasses.replace(
            x, planned_per_year=x.plan_at_start if x.name == first else plans[x.name]
        )
        for x in base
    ]
    ensemble = ContractBuilder(scen, mixed)
    spec = ensemble.spec_with_terms(model, {"risk_share": {"shares": "value"}})
    many = ensemble.build(model, 2, spec=spec)
    assert any(isinstance(v, np.ndarray) for v in numbers(many))
    for r in range(R):
        single = ContractBuilder(
            scen,
            [
                dataclasses.replace(
                    x,
                    planned_per_year=x.plan_at_start
                    if x.name == first
                    else float(plans[x.name][r]),
                )
                for x in base
            ],
        )
        same_terms(many, single.build(model, 2, spec=spec), r)


def test_value_weights_are_equal_in_a_replication_with_no_value():
    """Shares in proportion to value: a replication where the members' values sum to 0
    falls back to equal shares, as one replication alone does."""
    value = {"a": np.array([3, 0, 5, 0], dtype=np.int64), "b": np.array([1, 0, 0, 7])}
    many = weights("value", ("a", "b"), value)
    for r in range(R):
        one = weights("value", ("a", "b"), {k: int(v[r]) for k, v in value.items()})
        same_terms(many, one, r)


def test_terms_of_validates_numbers_and_constructs_arrays():
    """One number per field: validated as ever (a negative price is refused). An array
    anywhere, in a dict too: constructed as given, without validation."""
    with pytest.raises(ValidationError):
        terms_of(LinePayment, basis=Basis.TARIFF, price_pence=-1)
    scalar = terms_of(LinePayment, basis=Basis.TARIFF, price_pence=5, planned_activity=2)
    assert scalar.planned_activity == 2.0 and type(scalar.planned_activity) is float
    planned = np.array([1.0, 2.5])
    line = terms_of(LinePayment, basis=Basis.TARIFF, price_pence=5, planned_activity=planned)
    assert line.planned_activity is planned and line.tolerance == 0.02  # defaults filled
    assert annual_value(line).tolist() == [5, 12]  # round half to even, as round()
    shares = {"a": np.array([0.25, 0.5]), "b": np.array([0.75, 0.5])}
    rs = terms_of(RiskShareTerms, target_annual_pence=10, gain_shares=shares, pain_shares=shares)
    assert rs.gain_shares is shares


@functools.cache
def agent_plans(model: str) -> dict[int, dict[str, list[float]]]:
    """Each line's plan at the start of contract years 1-3 in four agent runs (seeds 1-4)
    of the default preset: year -> line -> one plan per seed."""
    scen = scenario("default").model_copy(deep=True)
    seen: dict[int, dict[str, list[float]]] = {}
    original = HealthEconomy.replan

    def recording(self, activity, planned):
        original(self, activity, planned)
        year = sum(1 for _ in recording.calls) + 1
        recording.calls.append(year)
        for line in self.lines:
            seen.setdefault(year, {}).setdefault(line.name, []).append(line.planned_per_year)

    for seed in range(1, R + 1):
        recording.calls = []
        HealthEconomy.replan = recording
        try:
            HealthEconomyModel(scen, model, seed, record_ledger=False).run()
        finally:
            HealthEconomy.replan = original
    return {y: v for y, v in seen.items() if y <= 3}


@pytest.mark.parametrize("model", sorted(load_preset("default").contract_models))
def test_terms_from_agent_runs_replans_match_each_run(model):
    scen = scenario("default")
    for year, plans in agent_plans(model).items():
        assert all(len(p) == R for p in plans.values())
        plans = {name: np.array(p, dtype=np.float64) for name, p in plans.items()}
        ensemble, singles = builders(scen, plans)
        many = ensemble.build(model, year)
        ones = [b.build(model, year) for b in singles]
        for r, one in enumerate(ones):
            same_terms(many, one, r, f"{model} year {year} r={r}")
        providers = [o.name for o in scen.organisations if not o.is_commissioner]
        same_views(many, ones, year, providers)


def hand_built(pick):
    """A lead-provider contract with a value-weighted risk share, whose numbers
    ``pick`` takes per replication (identity: the arrays) or for one replication (row r).
    Member b has no activity in replication 1 and subcontractor c none in replication 2:
    no value, no share, no income, hence no tie there."""
    activity = {
        "a": np.array([100.0, 80.0, 120.0, 90.0]),
        "b": np.array([50.0, 0.0, 40.0, 60.0]),
        "c": np.array([30.0, 20.0, 0.0, 10.0]),
    }
    price = {"a": 700, "b": 300, "c": 500}

    def line(name):
        return terms_of(
            LinePayment,
            basis=Basis.TARIFF,
            price_pence=price[name],
            planned_activity=pick(activity[name]),
        )

    payments = tuple(
        ServicePayment(payer="icb", provider=m, line=f"{m}_line", terms=line(m)) for m in "ab"
    )
    value = {p.provider: annual_value(p.terms) for p in payments}
    shares = weights("value", ("a", "b"), value)
    risk = terms_of(
        RiskShareTerms,
        target_annual_pence=pick(np.array([1000, 2000, 3000, 4000], dtype=np.int64)),
        gain_shares=shares,
        pain_shares=shares,
    )
    return (
        ContractTerms(
            name="hand",
            vehicle=Vehicle.LEAD_PROVIDER,
            commissioners=("icb",),
            members=("a", "b", "c"),
            lead="a",
            payments=payments,
            subcontracts=(
                Subcontract(lead="a", subcontractor="c", line="c_line", terms=line("c")),
            ),
            risk_share=risk,
        ),
    )


def test_ties_that_some_replications_lack_are_zero_there():
    many = hand_built(lambda x: x)
    singles = [hand_built(lambda x, r=r: x[r].item()) for r in range(R)]
    for r, one in enumerate(singles):
        same_terms(many, one, r)
    same_views(many, singles, 0, ["a", "b", "c"])
    views = provider_views(many, ["a", "b", "c"], 0)
    alone = provider_views(singles[1], ["a", "b", "c"], 0)
    assert "b" in views["a"].financial_ties and "b" not in alone["a"].financial_ties
    assert "a" not in alone["b"].financial_ties  # b has no income in replication 1


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        (
            "older_people_lead_bid",
            {
                "contract_models.lead_bid.price.rebase": "outturn",
                "contract_models.lead_bid.price.indexation": "demand_trend",
            },
        ),
        (
            "default",
            {
                "contract_models.alliance.price.bid": -0.035,
                "contract_models.alliance.price.rebase": "outturn",
                "contract_models.alliance.price.indexation": "demand_trend",
            },
        ),
        (
            "default",
            {
                "contract_models.alliance.price.bid": 0.015,
                "contract_models.alliance.price.rebase": "never",
                "contract_models.alliance.price.indexation": 0.021,
            },
        ),
    ],
)
@pytest.mark.parametrize("contract_year", [1, 3])
def test_priced_terms_from_per_replication_plans_match_each_replication(
    preset, overrides, contract_year
):
    """A bid re-based on each replication's outturn is priced, in exact fractions, on
    that replication's budget (a lead's whole scope, or each line of an alliance)."""
    scen = load_scenario(preset, overrides)
    plans = perturbed_plans(scen, contract_year, 11)
    assert check_builds(scen, plans, contract_year) > 0


def test_bid_and_indexed_prices_of_arrays_are_each_replications():
    budgets = np.array([75_200_000_000, 1, 0, 12_345_678_901], dtype=np.int64)
    bid = bid_price_pence(budgets, -0.035)
    held = indexed_pence(budgets, -0.023, 3)
    for r, budget in enumerate(budgets.tolist()):
        same_number(bid, bid_price_pence(budget, -0.035), r, "bid")
        same_number(held, indexed_pence(budget, -0.023, 3), r, "indexed")
    assert bid[0] == 72_568_000_000  # UnitingCare's 3.5% under a £752m maximum, to the penny
