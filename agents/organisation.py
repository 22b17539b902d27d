"""The base of every agent: an organisation with reserves and trust in the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
from alliancesim.agents.trust import EvidenceView, evidence_for
from alliancesim.model.elementwise import anywhere
from alliancesim.model.streams import TURNOVER

if TYPE_CHECKING:
    from alliancesim.model.payment.ledger import JournalEntry
    from alliancesim.model.simulation import HealthEconomyModel
    from alliancesim.scenario import OrganisationSpec


class Organisation(mesa.Agent):
    """A commissioner or provider: name, kind, reserves in pence, trust in each other one."""

    model: HealthEconomyModel

    def __init__(self, model: HealthEconomyModel, spec: OrganisationSpec):
        super().__init__(model)
        self.spec = spec
        self.name = spec.name
        self.kind = spec.kind.value
        self._reserves: int = spec.reserves_pence
        self.cooperation = 0.5  # what the others last saw of it, in [0, 1]
        self.transaction_cost = 0  # pence of staff time and advisers' fees this period

    @property
    def reserves(self) -> int:
        """Pence in reserve: the initial reserves plus every journal entry posted to it.

        Read-only: money moves only by a journal entry (``post`` in model/stages/booking.py,
        which calls :meth:`post`), so the reserves always reconcile to the ledger."""
        return self._reserves

    def post(self, entry: JournalEntry) -> None:
        """Apply one journal entry to its reserves: the only code that changes them."""
        # a new value, never in place: an array of reserves (one a replication, the
        # ensemble engine) may already be held by an output row
        if entry.payee == self.name:
            self._reserves = self._reserves + entry.amount
        if entry.payer == self.name:
            self._reserves = self._reserves - entry.amount

    @property
    def evidence(self) -> EvidenceView:
        """Its beta evidence about each other organisation (a view of the model's network)."""
        return EvidenceView(self.model.trust, self.name)

    def trust_in(self, other: str) -> float:
        """Its trust in ``other``: a float, or an (R,) array in an ensemble."""
        return self.model.trust.trust(self.name, other)

    def set_initial_trust(self, other: str, trust: float, prior_evidence: float) -> None:
        self.model.trust.set(self.name, other, evidence_for(trust, prior_evidence))

    def update_trust(self) -> None:
        """Update its own beliefs from this period's observations (one row of the network;
        the model updates every row at once with ``TrustNetwork.update``), then see
        whether its leadership changes."""
        self.model.trust.update_row(self.name, self.model.scenario_spec.trust.forgetting)
        self.change_leadership()

    def change_leadership(self) -> None:
        """With the turnover hazard, new leadership halves the good will it held (seed 000 s3.1).
        One draw a period from its own stream, keyed to its name (an (R,) array in an
        ensemble: the good will is halved, and the event recorded, where it happened)."""
        draw = self.model.streams(TURNOVER, self.name).random()
        changed = draw < self.model.scenario_spec.trust.turnover
        if anywhere(changed):
            self.model.trust.turnover(self.name, where=changed)
            self.model.record_event(
                self.name,
                "turnover",
                f"{self.name} changed leadership; good will built with partners is partly lost",
                where=changed,
            )
