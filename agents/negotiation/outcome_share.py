"""The outcome-linked share, conceded until the members accept it.

The commissioner halves the outcome-linked share before it loses a member, in the risk
share's rounds and on its own. Without a risk share, the share (and a lead's capitation
risk: a lead that would carry the whole scope's overspend leads on a block contract
instead) is conceded until every member accepts the terms.
"""

from __future__ import annotations


class OutcomeShareTerms:
    """The outcome-linked share's concessions, for :class:`~.talks.Negotiation` (a part of
    it: changes its outcome_share and lead_block)."""

    def concede_outcome(self) -> bool:
        """The commissioner halves the outcome-linked share before losing a member."""
        p = self.params
        if self.outcome_share <= p.min_outcome_share:
            return False
        old = self.outcome_share
        self.outcome_share = old / 2 if old / 2 >= p.min_outcome_share else 0.0
        self.say(
            self.lead_commissioner,
            "concede_outcome",
            f"{self.lead_commissioner} cuts the outcome-linked share from {old:.1%} to "
            f"{self.outcome_share:.1%} to keep the providers at the table.",
        )
        return True

    def settle_outcome_share(self) -> None:
        """No risk share: the outcome-linked share (and a lead's capitation risk) is
        conceded until every member accepts it."""
        p = self.params
        while self.ended is None and self.members:
            self.rounds += 1
            worst = min(self.members, key=lambda m: (self.member_value(m, 0.0, []), m))
            # an outside refusal (role-play) counts only while there is a share to refuse
            refusing = [m for m in self.members if self.ask(m, "outcome_share", 0.0) == "refuse"]
            refusing = refusing if self.outcome_share > 0 else []
            worst = refusing[0] if refusing else worst
            if not refusing and self.member_value(worst, 0.0, []) >= -p.outcome_tolerance:
                self.say(
                    worst,
                    "accept",
                    f"Round {self.rounds}: every provider accepts the terms "
                    f"(outcome-linked share {self.outcome_share:.1%}).",
                )
                self.spend_months(p.round_months)
                return
            if self.outcome_share > 0:
                self.say(
                    worst,
                    "reject_outcome",
                    f"Round {self.rounds}: {worst} rejects having {self.outcome_share:.1%} "
                    "of its income at risk on outcomes it doubts it can reach.",
                )
                if not self.concede_outcome():
                    self.outcome_share = 0.0
            elif worst == self.proposal.lead and self.proposal.lead_capitation:
                self.lead_block = True
                self.declined[worst] = (
                    f"{worst} declines to hold the capitated budget: it would carry the whole "
                    "scope's overspend; it leads on a block contract instead"
                )
                self.say(worst, "decline_risk", self.declined[worst])
            else:
                self.say(worst, "accept", f"Round {self.rounds}: {worst} accepts.")
                self.spend_months(p.round_months)
                return
            self.spend_months(p.round_months)
