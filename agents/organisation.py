"""The base of every agent: an organisation with reserves and trust in the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
from alliancesim.agents.trust import Evidence, evidence_for, staff_turnover, update_evidence

if TYPE_CHECKING:
    from alliancesim.experiments.scenario import OrganisationSpec
    from alliancesim.model.simulation import HealthEconomyModel


NOTHING_SEEN = (0.5, 0.0)  # no observation this period: (neutral, weight 0)


class Organisation(mesa.Agent):
    """A commissioner or provider: name, kind, reserves in pence, trust in each other one."""

    model: HealthEconomyModel

    def __init__(self, model: HealthEconomyModel, spec: OrganisationSpec):
        super().__init__(model)
        self.spec = spec
        self.name = spec.name
        self.kind = spec.kind.value
        self.reserves = spec.reserves_pence
        self.evidence: dict[str, Evidence] = {}
        self.cooperation = 0.5  # what the others last saw of it, in [0, 1]

    def trust_in(self, other: str) -> float:
        evidence = self.evidence.get(other)
        return evidence.trust if evidence is not None else 0.5

    def set_initial_trust(self, other: str, trust: float, prior_evidence: float) -> None:
        self.evidence[other] = evidence_for(trust, prior_evidence)

    def update_trust(self) -> None:
        """Update beta evidence about every other organisation from this period's observations."""
        spec = self.model.scenario_spec.trust
        observations = self.model.observations.get(self.name, {})
        rift = self.model.rift_partner(self.name)
        forgetting, sticky = spec.forgetting, spec.rift_stickiness
        evidence = self.evidence
        for other, held in evidence.items():
            observation, weight = observations.get(other, NOTHING_SEEN)
            good_news = sticky if other == rift else 1.0
            evidence[other] = update_evidence(held, observation, weight, forgetting, good_news)
        if self.model.random.random() < spec.turnover:
            # new leadership: the good will it held about others halves
            self.evidence = {k: staff_turnover(v) for k, v in self.evidence.items()}
            self.model.record_event(
                self.name,
                "turnover",
                f"{self.name} changed leadership; good will built with partners is partly lost",
            )
