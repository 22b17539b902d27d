"""The risk share: who can share losses, and Zeuthen's rounds over the savings target.

The savings target is bargained by Zeuthen's concession protocol between the commissioner
and the members who share risk (anchors s2.7): each round the side whose own offer gives
the smaller weighted Nash product (the side with less to lose from a breakdown) concedes
part of the gap. The protocol converges to the asymmetric Nash bargaining solution
(Harsanyi 1956) and leaves a trace a student can follow round by round; :func:`nash_split`
is the closed form it approaches, pinned by a hand-worked test. Bargaining power is size
(annual contract value): the negotiations were "dominated by the CCG and its largest
provider" (seed 000 L121).

Before the rounds, members that cannot bear losses, or could not cover a one-in-twenty
bad year, decline the risk share (seed 000 L119, L1335). An outside decision (role-play)
may accept, refuse or counter an offer in each round.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from alliancesim.agents.negotiation.valuation import one_in_twenty_loss


def bargaining_power(sizes: dict[str, float], exponent: float = 1.0) -> dict[str, float]:
    """Power from size: theta_j proportional to size_j ** exponent, summing to one."""
    weighted = {k: max(v, 0.0) ** exponent for k, v in sizes.items()}
    total = sum(weighted.values())
    if total <= 0:
        return {k: 1.0 / len(sizes) for k in sizes}
    return {k: v / total for k, v in weighted.items()}


def nash_split(
    surplus: float, disagreement: dict[str, float], power: dict[str, float]
) -> dict[str, float]:
    """Asymmetric Nash bargaining over a transferable surplus (anchors s2.7).

    Each party gets its disagreement payoff plus its power's share of what is
    left: ``x_i = d_i + theta_i (S - sum d)``. Two parties with S = 100,
    d = (20, 10), theta = (0.6, 0.4) get 62 and 38. No agreement when the
    surplus does not cover the disagreement payoffs (returns {}).
    """
    rest = surplus - sum(disagreement.values())
    if rest < 0:
        return {}
    total = sum(power.values()) or 1.0
    return {k: disagreement[k] + power[k] / total * rest for k in disagreement}


def nash_product(gains: Iterable[float], powers: Iterable[float]) -> float:
    """Weighted Nash product of gains over disagreement; zero if any gain is not positive."""
    product = 1.0
    for gain, power in zip(gains, powers, strict=True):
        if gain <= 0:
            return 0.0
        product *= gain**power
    return product


def zeuthen_concedes(product_at_first_offer: float, product_at_second_offer: float) -> int:
    """Which side concedes (0 the first, 1 the second): the one whose own offer
    gives the smaller Nash product, i.e. with the smaller risk limit (Harsanyi's
    reading of Zeuthen). Ties: the first side (the proposer) concedes."""
    return 0 if product_at_first_offer <= product_at_second_offer else 1


class RiskShareBargaining:
    """The risk share's screening and rounds, for :class:`~.talks.Negotiation` (a part of
    it: reads and changes its risk_members, target, offers and outcome share)."""

    def powers(self, risk_members: list[str]) -> tuple[float, float]:
        sizes = {
            "commissioners": float(sum(c.value_pence for c in self.commissioners)),
            "providers": float(self.scope(risk_members)),
        }
        power = bargaining_power(sizes, self.params.power_exponent)
        return power["commissioners"], power["providers"]

    def screen_risk_share(self) -> None:
        """Constraints first: who cannot share losses at all (seed 000 L119, L1335)."""
        p = self.params
        self.risk_members = []
        for name in self.members:
            party = self.parties[name]
            if name in self.overlay_only:
                continue  # declined when it joined
            if not party.may_bear_losses:
                self.decline_risk(
                    name,
                    f"{name} declines to share losses: its constitution bars spending "
                    "charitable funds on statutory services",
                )
                continue
            exposure = self.scope(self.members) / max(
                1, self.scope([m for m in self.members if self.parties[m].may_bear_losses])
            )
            loss = (
                one_in_twenty_loss(
                    exposure,
                    self.pain_share,
                    self.expected_saving(party, self.members),
                    self.target,
                    math.sqrt(
                        self.economics.spend_sd**2
                        + self.proposal.duration_years * self.economics.baseline_sd**2
                    ),
                )
                * party.value_pence
            )
            if loss > p.reserve_cover * party.loss_capacity_pence:
                self.decline_risk(
                    name,
                    f"{name} declines to share losses: a bad year could cost it "
                    f"£{loss / 100:,.0f}, more than it could absorb "
                    f"(£{party.loss_capacity_pence / 100:,.0f}); it is too small to share "
                    "the financial risk",
                )
                continue
            self.risk_members.append(name)

    def decline_risk(self, name: str, reason: str) -> None:
        if name in self.risk_members:
            self.risk_members.remove(name)
        self.declined[name] = reason
        self.say(name, "decline_risk", reason)

    def bargain(self) -> None:
        """Zeuthen rounds over the savings target between commissioners and risk sharers."""
        p = self.params
        c = self.lead_commissioner
        offer_c = self.proposal.target_savings  # the commissioner's offer
        offer_p = 0.0  # the providers' opening ask: a target at plan, no saving built in
        rounds = 0
        while self.ended is None and self.risk_members:
            if rounds >= p.max_rounds:
                self.say(
                    c,
                    "stalemate",
                    "The parties could not agree the financial model after "
                    f"{rounds} rounds; the risk share is dropped.",
                )
                self.risk_members = []
                return
            rounds += 1
            self.rounds += 1
            powers = self.powers(self.risk_members)

            def product(t: float, powers: tuple[float, float] = powers) -> float:
                return nash_product(
                    (
                        self.commissioner_gain(t),
                        self.providers_gain(t, self.risk_members),
                    ),
                    powers,
                )

            at_c, at_p = product(offer_c), product(offer_p)
            if at_c <= 0 and at_p <= 0 and offer_c - offer_p > p.tolerance:
                # each side opens at the edge of the zone of agreement, if there is one
                grid = [offer_p + (offer_c - offer_p) * k / 20 for k in range(21)]
                zone = [t for t in grid if product(t) > 0]
                if zone:
                    offer_p, offer_c = zone[0], zone[-1]
                    at_c, at_p = product(offer_c), product(offer_p)
            offer_c, offer_p, asked = self.outside_offers(offer_c, offer_p)
            if asked == "refused":
                if not self.risk_members:
                    return
                self.spend_months(p.round_months)
                continue
            if asked:
                at_c, at_p = product(offer_c), product(offer_p)
            gap = offer_c - offer_p
            if at_c <= 0 and at_p <= 0:
                # no target suits both sides: the commissioner first cuts the
                # outcome-linked share, then the member who gains least drops out
                if not self.concede_outcome():
                    worst = self.least_willing(offer_p)
                    self.decline_risk(worst, self.risk_reason(worst, offer_p))
            elif gap <= p.tolerance:
                self.target = 0.5 * (offer_c + offer_p)
                worst = self.least_willing(self.target)
                if self.member_value(worst, self.target, self.risk_members) >= 0:
                    self.say(
                        c,
                        "terms",
                        f"Round {self.rounds}: terms agreed in principle: savings target "
                        f"{self.target:.1%}; providers take {self.gain_share:.0%} of any "
                        f"underspend and {self.pain_share:.0%} of any overspend, shared by "
                        f"{', '.join(self.risk_members)}; outcome-linked share "
                        f"{self.outcome_share:.1%}.",
                        target_savings=round(self.target, 4),
                    )
                    self.spend_months(p.round_months)
                    return
                if not self.concede_outcome():
                    self.decline_risk(worst, self.risk_reason(worst, self.target))
                offer_c = offer_p = self.target
            else:
                trust = sum(
                    self.parties[m].mean_trust(self.members + [c]) for m in self.risk_members
                ) / len(self.risk_members)
                # suspicious parties concede in smaller steps (they haggle longer)
                step = p.concession_rate * (0.5 + trust) * gap
                if zeuthen_concedes(at_c, at_p) == 0:
                    offer_c -= step
                    self.say(
                        c,
                        "round",
                        f"Round {self.rounds}: the providers ask for a savings target of "
                        f"{offer_p:.1%}; {c} has more to lose from a breakdown and lowers "
                        f"its target to {offer_c:.1%}.",
                        offer_commissioner=round(offer_c, 4),
                        offer_providers=round(offer_p, 4),
                    )
                else:
                    offer_p += step
                    self.say(
                        ", ".join(self.risk_members),
                        "round",
                        f"Round {self.rounds}: {c} asks for a savings target of {offer_c:.1%}; "
                        f"the risk-sharing providers have more to lose from a breakdown and "
                        f"raise their offer to {offer_p:.1%}.",
                        offer_commissioner=round(offer_c, 4),
                        offer_providers=round(offer_p, 4),
                    )
            self.spend_months(p.round_months)
            if self.reopened:
                # a policy shock: the commissioner re-proposes its opening target
                offer_c, offer_p = self.proposal.target_savings, 0.0
                self.reopened = False

    def outside_offers(self, offer_c: float, offer_p: float) -> tuple[float, float, str]:
        """Outside decisions this round (role-play): "accept" takes the other side's
        offer, "refuse" walks away from the risk share, a number counters within the
        offers on the table. Returns the offers and what happened ("" if nothing)."""
        if self.decide is None:
            return offer_c, offer_p, ""
        c = self.lead_commissioner
        answer = self.ask(c, "savings_target", offer_p)
        if answer == "refuse":
            self.say(
                c,
                "stalemate",
                f"Round {self.rounds}: {c} refuses the providers' {offer_p:.1%}; the risk "
                "share is dropped.",
            )
            self.risk_members = []
            return offer_c, offer_p, "refused"
        if answer == "accept":
            return offer_p, offer_p, "accepted"
        if isinstance(answer, float):
            return min(offer_c, max(answer, offer_p)), offer_p, "countered"
        for name in list(self.risk_members):
            answer = self.ask(name, "share_risk", offer_c)
            if answer == "refuse":
                self.decline_risk(
                    name,
                    f"Round {self.rounds}: {name} refuses to share losses at a "
                    f"{offer_c:.1%} savings target",
                )
                return offer_c, offer_p, "refused"
            if answer == "accept":
                return offer_c, offer_c, "accepted"
            if isinstance(answer, float):
                return offer_c, max(offer_p, min(answer, offer_c)), "countered"
        return offer_c, offer_p, ""

    def least_willing(self, target: float) -> str:
        return min(
            self.risk_members, key=lambda m: (self.member_value(m, target, self.risk_members), m)
        )

    def risk_reason(self, name: str, target: float) -> str:
        party = self.parties[name]
        why = []
        if party.control_total:
            why.append("it is held to its own control total")
        if party.trust_in(self.lead_commissioner) < 0.5:
            why.append(
                f"it doubts {self.lead_commissioner} would pay a gain "
                f"(trust {party.trust_in(self.lead_commissioner):.2f})"
            )
        why.append(
            f"it expects its partners to deliver only part of the saving "
            f"(trust {party.mean_trust(self.members):.2f})"
        )
        return (
            f"{name} declines to share losses at a {target:.1%} savings target: the "
            f"possible loss outweighs the expected gain because " + "; ".join(why)
        )
