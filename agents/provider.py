"""Provider agents: acute, community, mental health, GP federation, voluntary, independent."""

from __future__ import annotations

from alliancesim.agents.decisions import (
    EffortInputs,
    effort_choice,
    outcome_choices,
    push_choice,
    should_squeeze,
    squeeze_margin,
    system_weight,
    unit_margin_share,
)
from alliancesim.agents.organisation import Organisation
from alliancesim.model.elementwise import is_array, maximum, select
from alliancesim.model.streams import SQUEEZE


class Provider(Organisation):
    """Delivers service lines, chooses integration effort, may keep admissions up,
    may squeeze its subcontractors when it leads, and may fail when its reserves run out."""

    def __init__(self, model, spec):
        super().__init__(model, spec)
        self.fixed_cost_share = spec.trait("fixed_cost_share")
        self.risk_appetite = spec.trait("risk_appetite")
        self.incentive_weight = spec.trait("incentive_weight")
        self.may_bear_losses = spec.trait("may_bear_losses")
        self.control_total = spec.trait("control_total")
        # reserves, as a share of annual income, below which it is distressed / failing
        self.distress_threshold = spec.distress_threshold
        self.failure_threshold = spec.trait("failure_threshold")
        self.capacity = spec.capacity
        self.quality = spec.quality
        self.effort = 0.5
        self.push = 0.0
        self.outcome_effort = 0.0  # q: work on the measured outcomes (decide_outcome_work)
        self.gaming = 0.0  # g: overstatement of its measured outcomes, in index points
        self.squeezing: dict[str, bool] = {}
        self._push_for: tuple = (None, False, False, 0.0)  # inputs and result, last push
        self.distressed = False
        self.failed = False
        self.periods_below_floor = 0
        self.annual_income = 1
        self.year_income = 0
        self.year_cost = 0
        self.income = 0  # pence received net this period
        self.cost = 0  # pence spent this period

    @property
    def weight_on_system(self) -> float:
        """Best for service vs best for self; distress turns a provider inward (seed 000 s3.3)."""
        behaviour = self.model.scenario_spec.behaviour
        return system_weight(
            self.incentive_weight, self.distressed, behaviour.distress_system_weight
        )

    def decide_effort(self) -> None:
        """Choose integration effort and whether to keep admissions up (MODEL.md s3a).

        Each term is one behavioural channel (``behaviour.channels``); a channel switched
        off contributes nothing and changes no other term."""
        if self.failed:
            self.effort, self.push = 0.0, 0.0
            return
        model = self.model
        behaviour = model.scenario_spec.behaviour
        channels = behaviour.channels
        view = model.views[self.name]
        profit, system_saving, outcome_slope, pooled = model.marginal_returns(self)
        # in the order of EffortInputs' fields (by position: a quarter of the cost of
        # naming them, in a call made for every provider every period)
        inputs = EffortInputs(
            maximum(1, self.annual_income),  # income
            profit,
            system_saving,
            outcome_slope,
            pooled,
            model.outcome_money_per_point(self.name),  # per_point
            # tied_cooperation, only read when the channel is on (a tie-less economy
            # skips the sum)
            model.expected_cooperation(self) if channels.reciprocity else 0.0,
            view.years_left,
            self.reserves,
            self.distressed,
            self.risk_appetite,
            self.weight_on_system,
        )
        self.effort = effort_choice(inputs, behaviour)
        self.push = self.decide_push(view) if channels.admission_push else 0.0
        self.squeezing = self.decide_squeeze(view)
        self.decide_outcome_work()

    def decide_outcome_work(self) -> None:
        """Work on the measured outcomes and gaming of them (agents/decisions.py, outcome
        payment): best responses to the money one more point of the outcome index brings
        it, shared with the other providers in proportion to its weight in the index."""
        model = self.model
        if self.failed:
            self.outcome_effort = self.gaming = 0.0
            return
        payer = model.outcome_stakes().get(self.name)
        self.outcome_effort, self.gaming = outcome_choices(
            model.outcome_money_per_point(self.name),
            model.outcome_weight(self.name),
            maximum(1, self.annual_income),
            model.orgs[payer.payer].audit if payer else 0.0,
            self.trust_in(payer.payer) if payer else 0.5,
            model.scenario_spec.behaviour,
        )

    def decide_push(self, view) -> float:
        """Keep admissions up on shiftable lines paid per unit (seed 001 L606-608).

        Its inputs change only with the contracts, the baseline and distress, so the
        answer is kept until one of them does."""
        above, distressed = self.model.above_baseline, self.distressed
        if is_array(above, distressed):  # each replication on its own inputs
            return self.best_push(view)
        last_view, last_above, last_distressed, last = self._push_for
        if last_view is view and last_above == above and last_distressed == distressed:
            return last
        best = self.best_push(view)
        self._push_for = (view, above, distressed, best)
        return best

    def best_push(self, view) -> float:
        """``decisions.push_choice`` on the margin each shiftable line it is paid for
        per unit earns it."""
        behaviour = self.model.scenario_spec.behaviour
        above = self.model.above_baseline
        shares = [
            unit_margin_share(
                view.paid_for[line.name],
                above,
                (1.0 - self.fixed_cost_share) * line.unit_cost_pence,
                line.unit_cost_pence,
            )
            for line in self.model.lines_of(self.name)
            if line.shiftable and line.name in view.paid_for
        ]
        return push_choice(
            shares,
            self.weight_on_system,
            behaviour.admission_push_max,
            behaviour.push_patient_weight,
        )

    def decide_squeeze(self, view) -> dict[str, bool]:
        """A lead under its target margin squeezes subcontractors (anchors s2.10)."""
        if not view.is_lead:
            return {}
        behaviour = self.model.scenario_spec.behaviour
        margin = squeeze_margin(
            self.year_income, self.year_cost, self.distressed, behaviour.target_margin
        )
        squeezing = {}
        for sub in self.model.subcontractors_of(self.name):
            draw = self.model.streams(SQUEEZE, f"{self.name}>{sub}").random()
            squeezing[sub] = should_squeeze(
                margin, behaviour.target_margin, draw, behaviour.squeeze_probability
            )
        return squeezing

    def book(self, income: int, cost: int, owed: int = 0, owes: int = 0) -> None:
        """Record the period's money and update distress and the failure count.

        The money itself is already in its reserves: the model posted this period's
        settlement entries and its delivery cost entries (``HealthEconomyModel.book``).
        ``income`` is its net settlement money, ``cost`` its delivery cost.

        Its position is its reserves plus what it is owed minus what it owes:
        ``owed`` is money a lead still owes it under a payment delay (a receivable),
        so late payment stresses cash without by itself making a solvent provider
        fail; ``owes`` is what it, as a lead, has delayed paying its subcontractors
        (a payable), so holding their money back does not make it look solvent.
        """
        self.income, self.cost = income, cost
        self.year_income = self.year_income + income  # new values: arrays are shared
        self.year_cost = self.year_cost + cost
        position = self.reserves + owed - owes
        self.distressed = position < self.distress_threshold * self.annual_income
        floor = self.failure_threshold * self.annual_income
        self.periods_below_floor = select(position < floor, self.periods_below_floor + 1, 0)
