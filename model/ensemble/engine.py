"""The ensemble engine: R replications of one scenario and contract model, stepped
together through the agent model's own stages (issue 14).

``EnsembleModel`` is a ``HealthEconomyModel`` whose random streams are the R
replications' streams read together (``model/ensemble/streams.py``). Every value that
comes from a draw is then an array with a leading replication axis, and every stage
(``model/stages/``) computes it with the same rule functions as one run does
(``model/elementwise.py``), so the per-period Python work is paid once for all R
replications. Values every replication shares (the period, the contracts in force,
who has failed) stay plain Python values.

Replications stepped together share their structure: the contracts in force, which
providers have failed, who governs. Where a stage reaches a branch that would change
the structure in some replications only, it asks ``model.diverges(condition, why)``:
the replications that take the branch leave the ensemble (their results here are
dropped) and are run again from their seeds, which gives the same numbers because the
two engines draw from the same streams: by the agent model, or, for a branch whose code
runs on arrays (a failure), by an ensemble of those that left together
(``runs.run_many``). ``departures`` records who left, when and why.

The agent model is the readable reference and the dashboard's engine; nothing here
changes a rule, and ``equivalence.py`` checks the two engines against each other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from alliancesim.model import streams
from alliancesim.model.elementwise import ARRAY
from alliancesim.model.ensemble.priors import prior_arrays, with_prior_arrays
from alliancesim.model.ensemble.streams import EnsembleStreams
from alliancesim.model.ensemble.views import replica
from alliancesim.model.payment.ledger import RowNote
from alliancesim.model.simulation import HealthEconomyModel, event_record
from alliancesim.model.stages import booking
from alliancesim.scenario import Scenario


class EnsembleModel(HealthEconomyModel):
    """R replications (one a seed) of one scenario and contract model, in lock step.

    ``agreements``: each replication's own agreement when the contract is negotiated
    (``model/ensemble/runs.py`` groups replications whose agreements lead to the same
    run); their events are each replication's, their terms, costs and leadership
    changes the same for all.

    ``priors``: ``{dotted prior key: one value a replication}`` (``priors.py``):
    replication r runs the scenario with those priors set to its values, held in the
    ensemble's scenario as arrays over replications."""

    def __init__(
        self,
        scenario: Scenario,
        contract_model: str,
        seeds: Sequence[int],
        agreements: Sequence[Any] | None = None,
        record_ledger: bool = False,
        priors: Mapping[str, Sequence[Any]] | None = None,
    ):
        self.seeds = tuple(int(seed) for seed in seeds)
        if not self.seeds:
            raise ValueError("an ensemble needs at least one seed")
        self.size = len(self.seeds)
        self.active = np.ones(self.size, dtype=bool)
        # replication -> (period, why, whether the branch runs on arrays)
        self.departures: dict[int, tuple[int, str, bool]] = {}
        self.event_lists: list[list[dict]] = [[] for _ in self.seeds]
        self._agreements = list(agreements) if agreements else None
        # each replication's own value of the priors that vary (``priors.py``)
        self.priors = prior_arrays(scenario, priors, self.size)
        spec = scenario.contract_models.get(contract_model)
        if (
            self.priors
            and self._agreements is None
            and spec
            and spec.negotiate
            and not spec.contracts
        ):
            raise ValueError(
                f"contract model '{contract_model}' is negotiated: with priors that differ "
                "between replications each negotiates under its own scenario, so pass their "
                "agreements (runs.agreements_for(scenario, contract_model, seeds, priors)) "
                "or call runs.run_many"
            )
        scenario = with_prior_arrays(scenario, self.priors)
        self._block = scenario.economy.periods  # draws a stream makes ahead: one a period
        self._planned = scenario  # (Mesa's Model keeps a _scenario of its own)
        super().__init__(
            scenario,
            contract_model,
            self.seeds[0],
            record_ledger=record_ledger,
            negotiated=self._agreements[0] if self._agreements else None,
        )
        self.prepare_leniency()

    def make_streams(self, seed: int) -> EnsembleStreams:
        """Every replication's named streams, read together; those every period draws
        from (demand, leadership turnover) are made now, in one pass."""
        made = EnsembleStreams(self.seeds, block=self._block)
        made.prepare(
            [(streams.DEMAND_SHOCK, "")]
            + [(streams.DEMAND_NOISE, line.name) for line in self._planned.economy.service_lines]
            + [(streams.TURNOVER, org.name) for org in self._planned.organisations]
        )
        return made

    def prepare_leniency(self) -> None:
        """Each later contract year's leniency draws of the contracts in force now, in
        one pass (a contract built later draws on first use)."""
        years = range(1, -(-self.periods // self.periods_per_year))
        self.streams.prepare_draws(
            (streams.LENIENCY, f"{c.name}@{year}") for c in self.contracts for year in years
        )

    def adopt(self, agreement: Any) -> Any:
        """Each replication's own negotiation: its trace, its cost to each party (pence
        a replication) and its leadership changes (trust turnover where and as often as
        they happened). Replications stepped together agree on everything else
        (``runs.run_key``): the costs and changes are money and trust, not structure."""
        own = self._agreements or [agreement] * self.size
        self.record_negotiation(agreement)
        for name in agreement.cost_by_party:  # the same parties in each, in this order
            costs = np.array([a.cost_by_party[name] for a in own], dtype=np.int64)
            booking.charge_transaction_cost(self, name, costs)
        changes = [Counter(a.leadership_changes) for a in own]
        for name in dict.fromkeys(n for a in own for n in a.leadership_changes):
            times = np.array([c[name] for c in changes])
            for time in range(1, int(times.max()) + 1):  # each halves that row: order-free
                self.trust.turnover(name, where=times >= time)
        return agreement

    def record_negotiation(self, agreement: Any) -> None:
        """Each replication's own negotiation trace (they share its outcome, not its
        story)."""
        for index, own in enumerate(self._agreements or [agreement] * self.size):
            for event in own.events:
                details = {k: v for k, v in event.items() if k not in ("actor", "kind", "text")}
                self.event_lists[index].append(
                    event_record(self.period, event["actor"], event["kind"], event["text"], details)
                )

    def record_event(
        self, actor: str, kind: str, text: str, where: Any = None, **details: Any
    ) -> None:
        """The event, in the trace of each replication where it happened (all of them
        unless ``where`` is an array of flags); details that are arrays, and a text
        made by ``row_note``, are each replication's own."""
        if where is None or not isinstance(where, ARRAY):
            if where is not None and not where:
                return
            indices = range(self.size)
        else:
            indices = np.flatnonzero(where)
        for index in indices:
            own = {k: pick(v, index) for k, v in details.items()}
            own_text = text.text(index) if isinstance(text, RowNote) else text
            self.event_lists[index].append(event_record(self.period, actor, kind, own_text, own))

    def diverges(self, condition: Any, why: str, arrays: bool = False) -> Any:
        """A structural branch: taken by all or by none, or split.

        On a split every replication that takes the branch leaves the ensemble
        (``departures``: period, why, and whether the branch runs on arrays) and the
        branch is answered False for the rest. A branch whose code runs on arrays
        (``arrays=True``) is answered True when every replication still here takes it:
        ``runs.run_many`` steps replications that left together at such a branch as an
        ensemble of their own. Other branches (their code names amounts for one run)
        are finished by the agent model."""
        if not isinstance(condition, ARRAY):
            return condition
        taken = np.logical_and(condition, self.active)
        if not taken.any():
            return False
        if arrays and np.array_equal(taken, self.active):
            return True
        for index in np.flatnonzero(taken):
            self.departures[int(index)] = (self.period, why, arrays)
        self.active = np.logical_and(self.active, np.logical_not(taken))
        return False

    def run(self) -> EnsembleModel:
        """Every period to the end of the contract term. Replications that have left go
        on being computed with the rest (cheaper than taking them out) and are ignored;
        numpy's warnings about their values are silenced with everyone's."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            super().run()
        return self


def pick(value: Any, index: int) -> Any:
    """Replication ``index``'s part of a value: an array's element (as a Python number),
    inside dicts, lists, tuples and named tuples; anything else is shared
    (``views.replica``)."""
    return replica(value, index)
