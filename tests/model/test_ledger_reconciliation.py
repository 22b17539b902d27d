"""Every pound on the ledger (issue 11 part 7, MODEL.md s4).

Reserves are rebuilt from the ledger alone and compared with the organisations'
reserves at every period, in every shipped preset and contract model: money moved
any way but by a journal entry breaks the equality (a test below slips such a move
in and checks that it is caught). The other tests recompute figures from the rules
and the period rows, independently of the payment core and the model's cost code,
and compare them with the entries.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from alliancesim.agents.provider import Provider
from alliancesim.model.payment.ledger import (
    ADVISERS,
    OUTSIDE_ACCOUNTS,
    STAFF_AND_SUPPLIERS,
    WRITTEN_OFF,
    check_entries,
)
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages.booking import RETURNED_RISK_PREMIUM
from alliancesim.scenario import load_preset, preset_names


class LedgerReserves:
    """Each organisation's reserves rebuilt from the ledger alone, read incrementally."""

    def __init__(self, model: HealthEconomyModel):
        self.model = model
        self.reserves = {name: org.spec.reserves_pence for name, org in model.orgs.items()}
        self.read = 0

    def mismatches(self) -> dict[str, tuple[int, int]]:
        """(model reserves, ledger reserves) of every organisation where they differ."""
        for entry in self.model.ledger[self.read :]:
            for name, sign in ((entry.payer, -1), (entry.payee, 1)):
                if name in self.reserves:
                    self.reserves[name] += sign * entry.amount
                else:
                    assert name in OUTSIDE_ACCOUNTS, entry
        self.read = len(self.model.ledger)
        return {
            name: (org.reserves, self.reserves[name])
            for name, org in self.model.orgs.items()
            if org.reserves != self.reserves[name]
        }


def first_unreconciled(model: HealthEconomyModel) -> tuple[int, dict] | None:
    """Run the model; the first period (and the gaps) where reserves and ledger differ."""
    books = LedgerReserves(model)
    if gaps := books.mismatches():  # negotiation costs are posted before period 0 runs
        return -1, gaps
    while model.running:
        model.step()
        if gaps := books.mismatches():
            return model.period - 1, gaps
    return None


CASES = [
    (preset, name) for preset in preset_names() for name in load_preset(preset).contract_models
]


@pytest.mark.parametrize(("preset", "name"), CASES)
def test_reserves_reconcile_to_the_ledger_every_period(preset, name):
    model = HealthEconomyModel(load_preset(preset), name, seed=2)
    assert first_unreconciled(model) is None
    assert check_entries(model.ledger) == []
    # the outside accounts are where money leaves: delivery costs at least, every run
    assert any(e.payee == STAFF_AND_SUPPLIERS for e in model.ledger)


def test_a_reserve_moved_outside_the_ledger_is_caught(short_scenario, monkeypatch):
    """The reconciliation can fail: a penny taken from a provider's reserves without an
    entry (as the old ``reserves += income - cost`` did) breaks it in that period."""
    book = Provider.book

    def leaky(self, *args, **kwargs):
        book(self, *args, **kwargs)
        if self.model.period == 5 and self.name == "acute_trust":
            self._reserves -= 1

    monkeypatch.setattr(Provider, "book", leaky)
    model = HealthEconomyModel(short_scenario, "alliance", seed=1)
    period, gaps = first_unreconciled(model)
    assert period == 5
    assert set(gaps) == {"acute_trust"}
    model_reserves, ledger_reserves = gaps["acute_trust"]
    assert model_reserves == ledger_reserves - 1


def test_reserves_cannot_be_set_except_by_posting(short_scenario):
    model = HealthEconomyModel(short_scenario, "status_quo", seed=1)
    provider = model.orgs["acute_trust"]
    with pytest.raises(AttributeError):
        provider.reserves -= 100  # type: ignore[misc]


# ------------------------------------------------- figures recomputed from the rules
def run_with_contracts(model: HealthEconomyModel) -> dict[int, tuple]:
    """Run the model; the contracts in force in each period (they are rebuilt yearly)."""
    in_force = {}
    while model.running:
        in_force[model.period] = None
        model.step()
        in_force[model.period - 1] = model.contracts
    return in_force


@pytest.fixture(scope="module")
def status_quo_run(default_scenario):
    model = HealthEconomyModel(default_scenario, "status_quo", seed=4)
    return model, run_with_contracts(model)


def test_tariff_payments_are_price_times_activity(status_quo_run):
    """Each period's tariff entries equal price x activity from the period rows."""
    model, in_force = status_quo_run
    paid: dict[tuple[int, str], int] = defaultdict(int)
    for e in model.ledger:
        if e.line_item == "tariff":
            paid[e.period, e.note.split(":")[0]] += e.amount
    expected: dict[tuple[int, str], int] = {}
    for row in model.rows:
        for c in in_force[row["period"]]:
            for p in c.payments:
                if p.terms.basis == "tariff":
                    price = p.terms.price_pence
                    expected[row["period"], p.line] = round(price * row[f"activity__{p.line}"])
    assert expected, "the status quo pays some line by tariff"
    assert paid == {k: v for k, v in expected.items() if v}


def test_delivery_cost_entries_are_fixed_share_of_plan_plus_variable_activity(status_quo_run):
    """Each line's delivery cost entry is within a penny of fixed share x unit cost x
    plan + (1 - fixed share) x unit cost x activity (the rounded total is split by
    largest remainder); with integration work they are the provider's period cost."""
    model, _ = status_quo_run
    entries: dict[tuple[int, str], int] = defaultdict(int)
    work: dict[tuple[int, str], int] = defaultdict(int)
    for e in model.ledger:
        if e.payee == STAFF_AND_SUPPLIERS and e.line_item == "delivery_cost":
            entries[e.period, e.note] += e.amount
        elif e.payee == STAFF_AND_SUPPLIERS and e.line_item == "integration_work":
            work[e.period, e.payer] += e.amount
    checked = 0
    for row in model.rows:
        for line in model.economy.lines:
            share = model.orgs[line.provider].spec.trait("fixed_cost_share")
            exact = line.unit_cost_pence * (
                share * row[f"planned__{line.name}"] + (1.0 - share) * row[f"activity__{line.name}"]
            )
            assert abs(entries[row["period"], line.name] - exact) < 1.0, (row["period"], line)
            checked += 1
        for provider in model.providers:
            name = provider.name
            cost = row[f"income_pence__{name}"] - row[f"surplus_pence__{name}"]
            lines = sum(entries[row["period"], line.name] for line in model.lines_of(name))
            assert lines + work[row["period"], name] == cost
    assert checked == len(model.rows) * len(model.economy.lines)
    assert sum(work.values()) > 0  # integration effort is paid for, on the ledger


@pytest.mark.parametrize("name", ["status_quo", "outcomes_based"])
def test_monitoring_entries_are_contract_management_plus_metric_costs(default_scenario, name):
    """Per contract and period: management = its share of the yearly management cost;
    outcome monitoring = share x cost share x contract value x metrics x audit."""
    from alliancesim.model.payment.terms import contract_value

    model = HealthEconomyModel(default_scenario, name, seed=4)
    in_force = run_with_contracts(model)
    behaviour = default_scenario.behaviour
    ppy = model.periods_per_year
    commissioner = model.lead_commissioner  # its capability is in the rows
    booked: dict[tuple[int, str, str, str], int] = defaultdict(int)
    for e in model.ledger:
        if e.line_item in ("contract_management", "outcome_monitoring"):
            assert e.payee == STAFF_AND_SUPPLIERS
            booked[e.period, e.payer, e.contract, e.line_item] += e.amount
    metric_contracts = 0
    for row in model.rows:
        period = row["period"]
        audit = 0.8 * row["commissioner_capability"]
        for terms in in_force[period]:
            share = 1.0 / len(terms.commissioners)
            for payer in terms.commissioners:
                management = share * behaviour.contract_management_pence / ppy
                got = booked[period, payer, terms.name, "contract_management"]
                assert abs(got - management) < 1.0
            if commissioner not in terms.commissioners or terms.outcome is None:
                continue
            metric_contracts += 1
            exact = (
                share
                * behaviour.monitoring_cost_share
                * contract_value(terms)
                * len(terms.outcome.metrics)
                * audit
                / ppy
            )
            got = booked[period, commissioner, terms.name, "outcome_monitoring"]
            assert abs(got - exact) < 1.0
        assert sum(v for k, v in booked.items() if k[0] == period) == row["monitoring_pence"]
    assert (metric_contracts > 0) == (name == "outcomes_based")


def test_returned_services_are_unit_cost_times_activity_at_the_premium(default_scenario):
    scenario = default_scenario.with_overrides(
        {"economy.periods": 12, "organisations.support_charity.reserves_pence": -(10**12)}
    )
    model = HealthEconomyModel(scenario, "status_quo", seed=3).run()
    line = model.economy.by_name["social_support_contacts"]
    returned = {e.period: e.amount for e in model.ledger if e.line_item == "returned_services"}
    assert returned and all(
        e.payer == line.commissioner and e.payee == STAFF_AND_SUPPLIERS and e.note == line.name
        for e in model.ledger
        if e.line_item == "returned_services"
    )
    for row in model.rows:
        activity = row["activity__social_support_contacts"]
        expected = round(line.unit_cost_pence * activity * RETURNED_RISK_PREMIUM)
        assert returned.get(row["period"], 0) == (expected if row["period"] > 2 else 0)
        assert row["returned_risk_pence"] == returned.get(row["period"], 0)


# ------------------------------------------------------------ a failed lead's debts
@pytest.fixture(scope="module")
def weak_lead(default_scenario):
    """The lead starts deep in deficit and fails, owing its subcontractors (V12)."""
    lead = default_scenario.contract_models["lead_provider"].lead
    scenario = default_scenario.with_overrides(
        {f"organisations.{lead}.reserves_pence": -6_000_000_000, "economy.periods": 24}
    )
    model = HealthEconomyModel(scenario, "lead_provider", seed=1)
    delayed: dict[str, int] = defaultdict(int)  # pence each contract delayed, from flags
    books = LedgerReserves(model)
    while model.running:
        model.step()
        assert not books.mismatches()
        for contract, flags in model.contract_flags:
            delayed[contract] += int(flags.get("delayed_pence", 0))
    return lead, model, delayed


def test_a_failed_leads_delayed_payments_are_written_off_with_an_entry_and_event(weak_lead):
    lead, model, delayed = weak_lead
    failure = next(e for e in model.events if e["kind"] == "failure" and e["actor"] == lead)
    write_offs = [e for e in model.ledger if e.line_item == "write_off"]
    assert write_offs
    assert all(e.payer == lead and e.payee == WRITTEN_OFF for e in write_offs)
    assert {e.period for e in write_offs} == {failure["period"]}
    # what the lead delayed and never released, recomputed from the settlement flags
    # and the release entries: exactly what is written off
    released = sum(
        e.amount for e in model.ledger if e.rule == "release_delayed" and e.payer == lead
    )
    unpaid = sum(delayed.values()) - released
    assert unpaid > 0
    assert sum(e.amount for e in write_offs) == unpaid
    events = [e for e in model.events if e["kind"] == "write_off"]
    assert sorted((e["creditor"], int(e["amount_pence"])) for e in events) == sorted(
        (e.note.split(" owed to ")[1].split(",")[0], e.amount) for e in write_offs
    )
    assert model.delayed_payments() == []


def test_a_failed_leads_surplus_rows_add_up_to_its_reserves_after_the_write_off(weak_lead):
    lead, model, _ = weak_lead
    provider = model.orgs[lead]
    total = sum(r[f"surplus_pence__{lead}"] for r in model.rows)
    assert provider.spec.reserves_pence + total == provider.reserves


def test_a_leads_position_counts_what_it_owes(default_scenario):
    """Delaying its subcontractors' money does not make a lead look solvent: the same
    reserves with payables outstanding count toward its distress and failure floor."""
    model = HealthEconomyModel(default_scenario, "lead_provider", seed=1)
    lead = model.orgs[default_scenario.contract_models["lead_provider"].lead]
    floor = lead.failure_threshold * lead.annual_income
    payable = lead.reserves - round(floor) + 1  # just enough to take it below the floor
    lead.book(0, 0)
    assert lead.periods_below_floor == 0 and not lead.distressed
    lead.book(0, 0, owes=payable)
    assert lead.periods_below_floor == 1 and lead.distressed
    lead.book(0, 0, owed=payable, owes=payable)  # owed as much as it owes: solvent again
    assert lead.periods_below_floor == 0


def test_transaction_and_dispute_costs_are_paid_to_advisers(default_scenario):
    scenario = load_preset("mental_health_alliance")
    model = HealthEconomyModel(scenario, "alliance", seed=0)
    model.run()
    to_advisers = sum(e.amount for e in model.ledger if e.payee == ADVISERS)
    assert to_advisers > 0  # the negotiation at least
    assert to_advisers == sum(r["transaction_pence"] for r in model.rows)


def test_a_lead_pays_what_it_delayed_to_a_subcontractor_that_fails(default_scenario):
    """A failed subcontractor's claim does not vanish into the lead's reserves: the lead
    settles it to the subcontractor's estate when the contracts are rebuilt."""
    scenario = default_scenario.with_overrides(
        {"economy.periods": 6, "organisations.support_charity.reserves_pence": -(10**12)}
    )
    model = HealthEconomyModel(scenario, "lead_provider", seed=3)
    delayed = 0
    books = LedgerReserves(model)
    while not model.orgs["support_charity"].failed:
        model.step()
        assert not books.mismatches()
        delayed += sum(int(f.get("delayed_pence", 0)) for _, f in model.contract_flags)
    released = sum(e.amount for e in model.ledger if e.rule == "release_delayed")
    settled = [e for e in model.ledger if e.rule == "settle_on_exit"]
    outstanding = sum(amount for _, _, amount in model.delayed_payments())
    assert settled and all(e.payee == "support_charity" for e in settled)
    assert sum(e.amount for e in settled) == delayed - released - outstanding
    assert not [e for e in model.ledger if e.line_item == "write_off"]  # the lead trades on
