"""Outside shocks during the talks, and the reviews they set off.

Shocks (policy change, leadership change, commissioner finances) arrive with a Weibull
hazard that grows with the months already spent (docs/case-figures.md s7: shape 2.5, scale
29 months) and reopen, reshape or end the deal: a policy change reopens the terms; new
leaders know their partners less well and review the deal (seed 000 L1202, L1383); a
commissioner in financial trouble withdraws the outcome-linked payments (seed 000 L1381).
"""

from __future__ import annotations

import math

from alliancesim.agents.trust import evidence_for, staff_turnover


def shock_probability(month: float, shape: float, scale: float) -> float:
    """Chance of an outside shock in the month ending at ``month`` (Weibull hazard).

    Cumulative hazard H(m) = (m / scale) ** shape; shape > 1 makes the hazard
    grow with the length of negotiation (docs/case-figures.md s7: shape 2.5 and
    scale 29 give P(shock by 18 months) ~ 0.25 and by 30 months ~ 0.65).
    """
    if month <= 0:
        return 0.0
    start = max(0.0, month - 1.0)
    increment = (month / scale) ** shape - (start / scale) ** shape
    return 1.0 - math.exp(-increment)


class Shocks:
    """Shocks and the reviews after them, for :class:`~.talks.Negotiation` (a part of it:
    may reopen the terms, change a party's trust, membership or the outcome share)."""

    def shock(self) -> None:
        """An outside shock: policy change, leadership change or commissioner finances."""
        p = self.params
        draw = self.rng.random()
        names = sorted(self.parties)
        if draw < p.policy_shock_share:
            kind, who = "policy", self.lead_commissioner
            self.shocks.append((self.month, kind, who))
            self.say(
                who,
                "shock",
                f"Month {self.month:.0f}: national policy changes; the design must be "
                f"reworked ({p.shock_rework_months:.0f} months) and the terms reopen.",
            )
            self.pending_rework += p.shock_rework_months
            self.reopened = True
        elif draw < p.policy_shock_share + p.leadership_shock_share:
            who = names[int(self.rng.random() * len(names))]
            kind = "leadership"
            self.shocks.append((self.month, kind, who))
            party = self.parties[who]
            party.trust = {
                k: staff_turnover(evidence_for(v, party.prior_evidence)).trust
                for k, v in party.trust.items()
            }
            self.leadership.append(who)
            self.say(
                who,
                "shock",
                f"Month {self.month:.0f}: {who} changes its leadership; the new leaders "
                "know their partners less well and review the deal.",
            )
            if party.is_commissioner:
                self.review_mechanism(who)
            elif who in self.members:
                self.review_membership(who)
        else:
            kind, who = "finances", self.lead_commissioner
            self.shocks.append((self.month, kind, who))
            for c in self.commissioners:
                c.distressed = True
            old = self.outcome_share
            self.outcome_share = 0.0
            self.say(
                who,
                "shock",
                f"Month {self.month:.0f}: {who}'s finances worsen; with no new money it "
                f"withdraws the outcome-linked payments ({old:.1%}) and presses for "
                "savings (seed 000 L1381).",
            )

    def review_membership(self, who: str) -> None:
        """New leaders at a member review the deal, the money first (seed 000 L1202: the
        models were "substantially remodelled", the payment models never resolved).

        They keep out of the payment mechanism if the design as proposed is no longer
        worth it, or its gain/pain share no longer pays; they leave only if even the
        overlay alone is worth less than nothing to them. The talks end only if the
        deal is no longer viable without them (:meth:`check_viable`): in a deal with
        many members most exits reshape it, in a small one any exit ends it.
        """
        self.join_overlay([who])
        if who in self.risk_members and self.member_value(who, self.target, self.risk_members) < 0:
            self.decline_risk(who, self.risk_reason(who, self.target))

    def review_mechanism(self, who: str) -> None:
        """New commissioner leaders back outcome payments less (seed 000 L1383: a change
        of CCG leadership "weakened commissioner support for the development of outcome
        payments"): the outcome-linked share is dropped, the talks go on."""
        if self.outcome_share <= 0:
            return
        old = self.outcome_share
        self.outcome_share = 0.0
        self.say(
            who,
            "drop_outcome",
            f"{who}'s new leaders back outcome payments less; the outcome-linked share "
            f"({old:.1%}) is dropped and the talks go on (seed 000 L1383).",
        )
