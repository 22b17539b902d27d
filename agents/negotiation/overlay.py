"""Joining the alliance at all, and on what footing: in full, the overlay alone, or not.

Each invited provider values the design as proposed and, where the design moves money and
the agreement can be signed without it (``GovernanceTerms.overlay_fallback``), the
agreement alone: it joins in full, signs the overlay and keeps its money out of the payment
mechanism (seed 000 L147, L627), or withdraws. Withdrawals are checked against what the
deal needs to go on (enough members and scope, the main provider, the lead that holds the
contract). What a deadline leaves when the overlay can be signed alone is decided where the
talks close (:mod:`.agreement`).
"""

from __future__ import annotations

from collections.abc import Iterable

from alliancesim.agents.negotiation.valuation import overlay_value


class OverlayMembership:
    """Membership of the overlay, for :class:`~.talks.Negotiation` (a part of it: reads and
    changes its members, overlay_only, declined and ended)."""

    def join_overlay(self, who: Iterable[str] | None = None) -> None:
        """Each invited provider decides whether to join at all, and on what footing.

        It values the design as proposed (fear scaled by the money the design puts in
        joint hands) and, in an alliance whose design moves money, the agreement alone
        (``negotiation.overlay_stake``). The first worth having: it joins in full; only the
        second: it signs the overlay and declines the payment mechanism (seed 000 L627:
        the agreement signed, no multilateral gain/loss share); neither: it withdraws.
        """
        for name in list(who or self.members):
            if name not in self.members:
                continue
            trust = self.parties[name].mean_trust(m for m in self.members if m != name)
            full = self.overlay_worth(name, self.design_stake())
            if full >= 0 and name not in self.overlay_only:
                if who is None:
                    self.say(name, "join", f"{name} agrees to work in the {self.proposal.vehicle}.")
                continue
            bare = (
                self.overlay_worth(name, self.params.overlay_stake)
                if self.proposal.overlay_alone_possible
                else full
            )
            if bare >= 0 and self.proposal.moves_money:
                if name not in self.overlay_only:
                    self.join_overlay_only(name, trust)
            elif bare < 0:
                self.withdraw(
                    name,
                    f"{name} {'will not join' if who is None else 'leaves'}: it trusts its "
                    f"partners only {trust:.2f} and doubts the financial model, so it fears "
                    "its money would be lost in the system more than it values the joint work",
                )
        self.check_viable()

    def design_stake(self) -> float:
        """How much of a member's money the design as proposed puts in joint hands."""
        return 1.0 if self.proposal.moves_money else self.params.overlay_stake

    def overlay_worth(self, name: str, stake: float) -> float:
        """:func:`overlay_value` for one party, with the trust it holds today."""
        party = self.parties[name]
        return overlay_value(
            party.incentive_weight * (0.5 if party.distressed else 1.0),
            party.mean_trust(m for m in self.members if m != name),
            self.economics.data_quality,
            self.economics.savings_belief,
            self.params.loss_fear,
            self.params.running_cost_share,
            stake,
        )

    def join_overlay_only(self, name: str, trust: float) -> None:
        """It signs the alliance agreement and shared governance but keeps its money out."""
        self.overlay_only.add(name)
        self.say(name, "join", f"{name} agrees to work in the alliance.")
        self.decline_risk(
            name,
            f"{name} signs the alliance agreement but keeps its money out of the payment "
            f"mechanism: it trusts its partners only {trust:.2f} and doubts the financial "
            "model, but values the joint work under its own contract (seed 000 L147, L627)",
        )

    def withdraw(self, name: str, reason: str) -> None:
        if name in self.members:
            self.members.remove(name)
        if name in self.risk_members:
            self.risk_members.remove(name)
        self.declined[name] = reason
        self.say(name, "withdraw", reason)

    def main_provider(self) -> str:
        """The invited provider the commissioners pay most in scope (ties: by name)."""
        return max(self.proposal.members, key=lambda m: (self.parties[m].value_pence, m))

    def check_viable(self) -> None:
        """Too few members, too little of the scope, or the main provider gone: abandoned.

        Talks are "dominated by binary relationships between the NHS commissioner and
        NHS provider who was the main recipient of their funding" (seed 000 L121, L1704),
        the provider whose activity the redesign is to move (L113): an alliance without
        it has nothing to reconfigure. Losing a smaller member reshapes the deal; the
        more members a deal has, the more of them it can lose and go on.
        """
        p = self.params
        total = self.scope(self.proposal.members)
        if self.proposal.lead_pays_members:
            if self.proposal.lead not in self.members:
                self.ended = "lead_withdrew"
        elif len(self.members) < p.min_members or self.scope(self.members) < (
            p.min_scope_share * total
        ):
            self.ended = "too_few_members"
        elif self.main_provider() not in self.members:
            self.ended = "main_provider_withdrew"
