"""Commissioner agents: integrated care boards / CCGs and councils."""

from __future__ import annotations

import numpy as np
from alliancesim.agents.organisation import Organisation
from alliancesim.model.elementwise import maximum, minimum, select


class Commissioner(Organisation):
    """Holds the budget, sets the savings target, monitors and pays.

    ``capability`` (how well it specifies and monitors) falls while it leaves a
    lead provider as a "black box" (seed 001 in the domain notes s4.1) and sets
    the audit intensity that holds gaming down. ``leniency`` is the probability
    it pays outcome money regardless of performance (seed 000 L1440).
    """

    def __init__(self, model, spec):
        super().__init__(model, spec)
        self.capability = spec.capability
        self.leniency = spec.leniency
        self.savings_target = spec.savings_target
        self.spend = 0  # pence paid out this period
        self.returned_risk = 0  # pence of cost it carries directly after a provider failed
        self.monitoring_cost = 0

    @property
    def audit(self) -> float:
        """Audit intensity: a float, or an (R,) array if its capability is one."""
        return 0.8 * self.capability

    def monitor(self, lead_provider_in_place: bool) -> None:
        """Capability decays while a lead provider runs the system, recovers otherwise.
        Capability and the flag may be arrays over replications (issue 14)."""
        decay = self.model.scenario_spec.behaviour.capability_decay
        capability = self.capability
        if isinstance(lead_provider_in_place, np.ndarray):
            self.capability = select(
                lead_provider_in_place,
                maximum(0.05, capability - decay),
                minimum(self.spec.capability, capability + decay / 2),
            )
        elif lead_provider_in_place:
            self.capability = maximum(0.05, capability - decay)  # max(0.05, c - decay)
        else:
            self.capability = minimum(self.spec.capability, capability + decay / 2)
