"""The Mesa model: one local health economy run under one contract model.

``advance_period()`` is the schedule, one line a stage (MODEL.md s3); each stage is a
module of ``model/stages/``, a function of the model's state and the stage's inputs:

==========================  =====================================================
``contract_year``           re-plan and rebuild the contracts at a new contract year
``demand_draw``             need by line, on the demand streams
``choices``                 providers' decisions, revealed together
``care_delivery``           integration, activity, outcome, the period's costs
``settling``                the payment core settles every contract in force
``observing``               who saw what of whom; trust update; leadership turnover
``booking``                 entries and costs posted to the ledger
``failure_exit``            insolvency, then requests for money and handbacks
(governance)                the alliance's own decisions (``agents/governance.py``)
``collection``              the period's output row
==========================  =====================================================

Decisions within a stage are simultaneous (each provider decides on what it saw
last period), so the activation order cannot change the result. This class holds the
state the stages share, builds it at set-up (including the pre-contract negotiation),
and serves Mesa, the agents and the dashboard.

Randomness comes from named streams spawned from the run's seed
(``model/streams.py``): demand per line, turnover per organisation, leniency per
contract and year, squeezes per lead and subcontractor, the negotiation. The
demand streams draw the same numbers whatever the organisations do, so every
contract model on one seed faces the same economy (common random numbers) and
the status quo is a paired counterfactual. The model works on the scenario in
canonical (name) order (``model/ordering.py``), so listing order changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import networkx as nx
import numpy as np
from alliancesim.agents.commissioner import Commissioner
from alliancesim.agents.provider import Provider
from alliancesim.agents.trust import TrustNetwork
from alliancesim.model import ordering, streams
from alliancesim.model.contracts import ContractBuilder
from alliancesim.model.economy import HealthEconomy, ServiceLine
from alliancesim.model.payment.ledger import JournalEntry
from alliancesim.model.stages import (
    booking,
    care_delivery,
    choices,
    collection,
    contract_year,
    demand_draw,
    failure_exit,
    observing,
    settling,
)
from alliancesim.scenario import Scenario


class HealthEconomyModel(mesa.Model):
    """A health economy under one contract model, settled each period by the payment core."""

    def __init__(
        self,
        scenario: Scenario,
        contract_model: str,
        seed: int,
        record_ledger: bool = True,
        agreement: Any = None,
        decide: Callable[[str, dict], Any] | None = None,
        negotiated: Any = None,
    ):
        """``decide``, if given, answers some parties' questions in the negotiation in
        their place (the dashboard's role-play; ``agents.negotiation.negotiate``).
        ``negotiated``, if given, is the agreement this run's own talks reached, already
        worked out (the ensemble engine negotiates each replication first): it is adopted
        as if negotiated here, its events, costs and leadership changes included."""
        super().__init__(rng=streams.stream_seed(seed, streams.MESA))
        self.decide = decide
        scenario = ordering.canonical_scenario(scenario)  # listing order changes nothing
        self.streams = self.make_streams(seed)
        self.scenario_spec = scenario
        self.contract_model = contract_model
        self.seed = seed
        self.record_ledger = record_ledger
        self.period = 0
        self.periods = scenario.economy.periods
        self.periods_per_year = scenario.economy.periods_per_year
        self.economy = HealthEconomy(scenario.economy, self.streams)
        self.events: list[dict] = []
        self.ledger: list[JournalEntry] = []
        self.rows: list[dict] = []
        self.above_baseline = False
        self.contract_flags: list[tuple[str, dict[str, Any]]] = []
        self.totals = dict(outcome_paid=0, outcome_at_risk=0, gain=0, pain=0, transaction=0)

        self.commissioners: list[Commissioner] = []
        self.providers: list[Provider] = []
        for spec in scenario.organisations:
            if spec.is_commissioner:
                self.commissioners.append(Commissioner(self, spec))
            else:
                self.providers.append(Provider(self, spec))
        self.orgs = {o.name: o for o in self.commissioners + self.providers}
        self.lead_commissioner = ordering.lead_commissioner(scenario)
        self.trust = TrustNetwork(list(self.orgs))
        self.joint_work = np.zeros((len(self.orgs), len(self.orgs)))
        # the network lists the commissioners, then the providers
        assert self.trust.names == [o.name for o in self.commissioners + self.providers]
        self._in_trust_order = (tuple(self.commissioners), tuple(self.providers))
        self._pattern: tuple | None = None
        self._weights: tuple[dict[str, float], dict[str, float]] | None = None
        self._shift_base: choices.ShiftBase | None = None
        self._withhold: tuple = (None, -1, 0.0)  # (contracts, year, largest withhold share)
        self._monitoring: tuple = (None, (), {})  # (contracts, audits, monitoring costs)
        self._shiftable_names = [line.name for line in self.economy.lines if line.shiftable]
        self._receiving_names = [line.name for line in self.economy.lines if line.receiving]
        # (line, provider, fixed cost per planned unit, variable cost per unit delivered)
        self._line_costs = [
            (
                line.name,
                line.provider,
                self.orgs[line.provider].fixed_cost_share * line.unit_cost_pence,
                (1.0 - self.orgs[line.provider].fixed_cost_share) * line.unit_cost_pence,
            )
            for line in self.economy.lines
        ]
        self.n_failed = 0
        # exit (agents/exit.py): requests for more money, relief granted, handbacks
        self.exit_log: dict[str, Any] = dict(requests=0, granted=0, handbacks=[])
        self.exits = failure_exit.ExitState()  # relief, takeback, requests, surplus history
        self._network = observing.build_network(self)
        # the value of the cohort's care per line (need x unit cost), for the weight a
        # provider has in the one outcome index (outcome_weight)
        self._line_values = {
            line.name: line.need_per_year * line.unit_cost_pence for line in self.economy.lines
        }
        self._weights_for: tuple = (None, {})  # (contracts, outcome weights)
        self._stakes: tuple = (None, -1, {})  # (contracts, year, outcome stakes)
        # (contracts, year, last attainment, outcome money per point by provider)
        self._per_point: tuple = (None, -1, None, {})
        self._ties: tuple = (None, {})  # (views, each provider's ties)
        self.last_attainment = settling.attainment(self, scenario.economy.outcome_base)
        # per-period output columns, named once
        self.line_columns = [
            (line, ("activity__" + line.name, "planned__" + line.name))
            for line in self.economy.lines
        ]
        self.provider_columns = [
            (
                p,
                tuple(
                    f"{column}__{p.name}"
                    for column in ("reserves_pence", "income_pence", "surplus_pence", "effort")
                ),
            )
            for p in self.providers
        ]
        self._lines_by_provider: dict[str, list[ServiceLine]] = {}
        for line in self.economy.lines:
            self._lines_by_provider.setdefault(line.provider, []).append(line)
        self._line_names_by_provider = {
            p.name: [line.name for line in self.lines_of(p.name)] for p in self.providers
        }

        self.builder = ContractBuilder(scenario, self.economy.lines)
        self.spec = scenario.contract_models[contract_model]
        self.agreement = agreement
        self.governance = None
        if negotiated is not None:
            self.agreement = self.adopt(negotiated)
        elif agreement is None and self.spec.negotiate and not self.spec.contracts:
            # negotiated rather than imposed (issue 4): before the contract starts,
            # on this run's behaviour stream, with the agents' trust and reserves
            self.agreement = self.adopt(self.negotiate_contract())
        self.active_model = contract_model
        if self.agreement is not None and getattr(self.agreement, "model_name", None):
            self.active_model = self.agreement.model_name
        self.active_spec = self.builder.spec_with_terms(
            self.active_model, getattr(self.agreement, "terms", None)
        )
        contract_year.start_contracts(self, year=0)
        self.main_provider = ordering.main_provider(
            {p.name: p.annual_income for p in self.providers}
        )
        observing.set_rift(self, scenario.trust.rift_stickiness)
        if (
            self.agreement is not None
            and scenario.negotiation.governance
            and getattr(self.agreement, "result", None) != "abandoned"
        ):
            # an agreement was signed (in full or scaled down): its members now govern
            # it; talks that were abandoned leave the status quo contracts, no governance
            from alliancesim.agents.governance import Governance

            self.governance = Governance(self, scenario.negotiation)

    def make_streams(self, seed: int) -> streams.Streams:
        """The run's named random streams (the ensemble engine's draw for R runs)."""
        return streams.Streams(seed)

    def negotiate_contract(self) -> Any:
        """Run the pre-contract negotiation (on this run's negotiation stream, with the
        agents' trust and reserves at the start): the agreement."""
        from alliancesim.agents.negotiation import (
            economics_from_scenario,
            negotiate,
            parties_from_model,
            proposal_from_spec,
        )

        scenario = self.scenario_spec
        parties = parties_from_model(self)
        agreement = negotiate(
            proposal_from_spec(
                self.contract_model,
                self.spec,
                [p.name for p in self.providers],
                any(c.subcontracts for c in self.builder.build(self.contract_model, 0)),
            ),
            parties,
            economics_from_scenario(scenario),
            scenario.negotiation.with_status_quo(scenario.scenario.status_quo),
            self.streams(streams.NEGOTIATION, self.contract_model),
            decide=self.decide,
        )
        return agreement

    def adopt(self, agreement: Any) -> Any:
        """Record the negotiation's trace, book its cost and apply its leadership
        changes; the agreement."""
        self.record_negotiation(agreement)
        for name, cost in agreement.cost_by_party.items():
            booking.charge_transaction_cost(self, name, cost)  # reported with period 0
        for name in agreement.leadership_changes:
            org = self.orgs[name]
            self.trust.turnover(org.name)
        return agreement

    def record_negotiation(self, agreement: Any) -> None:
        """The negotiation's trace, as events of period 0."""
        for event in agreement.events:
            details = {k: v for k, v in event.items() if k not in ("actor", "kind", "text")}
            self.record_event(event["actor"], event["kind"], event["text"], **details)

    # --------------------------------------------------------------- schedule
    def step(self) -> None:
        """One period. Mesa wraps this method so that ``steps`` and ``time`` advance;
        the dashboard and the notebooks move the model on with it."""
        self.advance_period()

    def advance_period(self) -> None:
        """The stages of one period, in order (MODEL.md s3; ``model/stages/``)."""
        contract_year.open_contract_year(self)  # re-plan and rebuild contracts at a year
        demand = demand_draw.draw_demand(self)  # need by line, on the demand streams
        choices.decide(self.providers)  # simultaneous: each on what it saw last period
        delivery = care_delivery.deliver(self, demand)
        entries = settling.settle(self, delivery)  # the payment core settles each contract
        observing.observe(self, delivery)  # who saw what of whom
        observing.update_trust(self)  # every belief at once; leadership turnover
        booking.book(self, delivery, entries)  # the only way money moves
        failure_exit.exit_failed(self)  # insolvency
        failure_exit.review_contracts(self, delivery)  # relief, handback (termination)
        if self.governance is not None:
            self.governance.review()  # decisions the alliance takes, triggers, disputes
        collection.collect(self, delivery, entries)  # the period's output row
        self.period += 1
        if self.period >= self.periods:
            self.running = False

    def run(self) -> HealthEconomyModel:
        """Every period to the end of the contract term.

        A batch run advances the periods directly, as ``step`` would, without a trip
        through Mesa's event list for each (this model schedules no other events);
        that trip was about 4% of a run. ``steps`` and ``time`` advance as they do
        under ``step``."""
        while self.running:
            self.advance_period()
            self.steps += 1
            self.time += 1
        return self

    # ------------------------------------------- what agents and the dashboard ask
    # The agents (decisions, governance, negotiation), the runners and the dashboard
    # call these; each hands over to the stage that owns the rule.
    def marginal_returns(self, provider: Provider) -> tuple[float, float, float, float]:
        """``choices.marginal_returns``."""
        return choices.marginal_returns(self, provider)

    def expected_cooperation(self, provider: Provider) -> float:
        """``choices.expected_cooperation``."""
        return choices.expected_cooperation(self, provider)

    def outcome_weight(self, name: str) -> float:
        """``choices.outcome_weight``."""
        return choices.outcome_weight(self, name)

    def outcome_stakes(self) -> dict[str, choices.OutcomeStake]:
        """``choices.outcome_stakes``."""
        return choices.outcome_stakes(self)

    def outcome_money_per_point(self, name: str) -> float:
        """``choices.outcome_money_per_point``."""
        return choices.outcome_money_per_point(self, name)

    @property
    def flags(self) -> dict[str, Any]:
        """This period's settlement flags, keyed ``"<contract>.<flag>"`` (``settling``)."""
        return settling.flags(self)

    def remove_member(self, name: str) -> None:
        """``contract_year.remove_member``: from next contract year."""
        return contract_year.remove_member(self, name)

    def renegotiate_target(self) -> float:
        """``contract_year.renegotiate_target``."""
        return contract_year.renegotiate_target(self)

    def transfer(
        self,
        payer: str,
        payee: str,
        amount: int,
        contract: str,
        line_item: str,
        rule: str,
        note: str = "",
    ) -> None:
        """``booking.transfer``: a payment decided outside settlement."""
        return booking.transfer(self, payer, payee, amount, contract, line_item, rule, note)

    def charge_transaction_cost(
        self,
        name: str,
        cost: int,
        line_item: str = "transaction_cost",
        note: str = "staff time and advisers' fees",
    ) -> None:
        """``booking.charge_transaction_cost``."""
        return booking.charge_transaction_cost(self, name, cost, line_item, note)

    def delayed_payments(self) -> list[tuple[str, str, int]]:
        """``booking.delayed_payments``."""
        return booking.delayed_payments(self)

    def debts_at_end(self) -> dict[str, int]:
        """``booking.debts_at_end``."""
        return booking.debts_at_end(self)

    def lines_of(self, provider: str) -> list[ServiceLine]:
        """The service lines a provider runs, in canonical order."""
        return self._lines_by_provider.get(provider, [])

    def subcontractors_of(self, lead: str) -> list[str]:
        """Providers a lead pays under subcontracts in the contracts in force."""
        return sorted(
            {s.subcontractor for c in self.contracts for s in c.subcontracts if s.lead == lead}
        )

    def diverges(self, condition: Any, why: str, arrays: bool = False) -> Any:
        """Whether a branch that changes the run's structure is taken (a provider fails,
        a contract is handed back...): ``condition`` itself here. The ensemble engine
        (``model/ensemble``) steps replications that share their structure together, so
        there it hands the replications where the condition holds to this model to finish
        and answers False for the rest; stage code writes ``if model.diverges(c, why):``
        where such a branch starts. ``arrays``: the branch's code also runs on arrays
        over replications (so replications that all take it can stay together)."""
        return condition

    def record_event(
        self, actor: str, kind: str, text: str, where: Any = None, **details: Any
    ) -> None:
        """Add to the run's trace (negotiation, governance, shocks, failures, exits).

        ``where`` (optional): a flag for the replications it happened in; in one run,
        the event is recorded if it is true (the ensemble engine records it for each
        replication where it holds)."""
        if where is not None and not where:
            return
        self.events.append(event_record(self.period, actor, kind, text, details))

    @property
    def network(self) -> nx.DiGraph:
        """``observing.network``: the trust graph, brought up to date when read."""
        return observing.network(self)

    def trust_values(self) -> list[float]:
        """``collection.trust_values``."""
        return collection.trust_values(self)


def event_record(period: int, actor: str, kind: str, text: str, details: dict) -> dict:
    """One event of a run's trace, details as text."""
    return dict(
        period=period, actor=actor, kind=kind, text=text, **{k: str(v) for k, v in details.items()}
    )


Factory = Callable[[Scenario, str, int], HealthEconomyModel]
