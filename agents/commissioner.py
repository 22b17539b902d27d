"""Commissioner agents: integrated care boards / CCGs and councils."""

from __future__ import annotations

from alliancesim.agents.organisation import Organisation


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
        return 0.8 * self.capability

    def monitor(self, lead_provider_in_place: bool) -> None:
        """Capability decays while a lead provider runs the system, recovers otherwise."""
        decay = self.model.scenario_spec.behaviour.capability_decay
        if lead_provider_in_place:
            self.capability = max(0.05, self.capability - decay)
        else:
            self.capability = min(self.spec.capability, self.capability + decay / 2)
