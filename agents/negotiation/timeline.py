"""Time and its price: each month's staff time and fees, and the boards' approvals.

Each month costs every party staff time and advisers' fees, with a fixed part that weighs
more on small parties (seed 000 L1178: legal advice "costly for the smaller of the
contractual parties"). Approvals go through each member's internal governance, at the pace
of the slowest member. While time passes, outside shocks may arrive (:mod:`.shocks`), and
the talks end at the deadline.
"""

from __future__ import annotations

from alliancesim.agents.negotiation.inputs import Party
from alliancesim.agents.negotiation.shocks import shock_probability


def approval_pace(months_by_member: dict[str, float]) -> tuple[str, float]:
    """Approvals at the pace of the slowest member's internal governance."""
    slowest = max(months_by_member, key=lambda k: (months_by_member[k], k))
    return slowest, months_by_member[slowest]


def negotiation_cost_month(
    party: Party, commissioner_share: float, provider_share: float, fixed_pence: int
) -> int:
    """Staff time and advisers' fees for one month of negotiation, in pence.

    A proportional part (staff time grows with the stake) and a fixed part
    (legal advice, a seat at every meeting) that weighs more on small parties.
    """
    share = commissioner_share if party.is_commissioner else provider_share
    return round(fixed_pence + share * party.value_pence / 12.0)


class Timeline:
    """Months passing and approvals, for :class:`~.talks.Negotiation` (a part of it: moves
    its month, adds to its cost, may end it at the deadline)."""

    def spend_months(self, months: float) -> None:
        """Time passes: every party pays for it, and outside shocks may arrive."""
        p = self.params
        end = self.month + months
        while self.month < end - 1e-9 and self.ended is None:
            step = min(1.0, end - self.month)
            self.month += step
            for name, party in self.parties.items():
                self.cost[name] += round(
                    step
                    * negotiation_cost_month(
                        party,
                        p.commissioner_cost_share,
                        p.provider_cost_share,
                        p.fixed_monthly_cost_pence,
                    )
                )
            if self.rng.random() < step * shock_probability(
                self.month, p.shock_shape, p.shock_scale_months
            ):
                self.shock()
                end += self.pending_rework
                self.pending_rework = 0.0
            if self.month >= p.max_months and self.ended is None:
                self.ended = "deadline"

    def approve(self) -> None:
        """Each party's board (and regulator) approves; the slowest sets the pace."""
        p = self.params
        # drawn in name order, so the listing order does not decide who gets which draw
        signatories = sorted([c.name for c in self.commissioners] + list(self.members))
        months = {
            name: p.approval_months.get(self.parties[name].kind, 3.0)
            * (0.75 + 0.5 * self.rng.random())
            for name in signatories
        }
        slowest, pace = approval_pace(months)
        self.say(
            slowest,
            "approval",
            f"The agreement goes to each organisation's board; {slowest} is the slowest "
            f"and takes {pace:.1f} months.",
        )
        self.spend_months(pace)
