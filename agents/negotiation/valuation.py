"""What a package of terms is worth to each side, in certainty equivalents.

Every party values a design against its outside option, the status quo, in certainty
equivalents as a share of its own annual income (CARA, anchors s2.1):

    CE_i = E[payoff_i] - (r_i / 2) Var[payoff_i]

with r_i from its risk appetite, reserves and distress
(:func:`alliancesim.agents.decisions.risk_aversion`), trust in the partners (how much of
the saving it expects them to deliver), trust in the commissioner (how much of a promised
gain it believes will be paid: anchors s2.7, "shrink the value of promises by trust"), and
trust in the financial model (``trust.data_quality``: a doubtful baseline is an error that
persists over every year of the term, so its variance grows with the square of the
duration).

The rules are pure functions of shares of income; :class:`PackageValues` applies them to
one party, or to the commissioners, with the state of the talks (who is in the risk share,
the outcome-linked share on the table).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from alliancesim.agents.negotiation.inputs import Economics, Party

Z_95 = 1.645  # one-sided 1-in-20 loss


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def expected_positive(mean: float, sd: float) -> float:
    """E[max(X, 0)] for X ~ N(mean, sd^2): the expected underspend against a target."""
    if sd <= 0:
        return max(mean, 0.0)
    z = mean / sd
    return mean * normal_cdf(z) + sd * normal_pdf(z)


def promise_honoured(trust_in_commissioner: float, doubt: float) -> float:
    """Share of a promised gain a party believes it will be paid (anchors s2.7: u x T).

    Trust 1 gives 1; trust 0 gives ``1 - doubt``. Losses need no belief: they are taken.
    """
    return 1.0 - doubt * (1.0 - trust_in_commissioner)


def risk_share_value(
    exposure: float,
    gain_share: float,
    pain_share: float,
    mean_saving: float,
    target: float,
    economics: Economics,
    years: int,
    honoured: float,
    aversion: float,
) -> float:
    """Certainty equivalent a year, as a share of income, of a gain/pain share.

    ``exposure`` is the party's part of the provider side's share, times the
    scope's value over its own income (1 when shares go by value). The system
    saving against plan is N(mean_saving, spend_sd^2) a year; the gain above the
    target is paid at ``gain_share`` (believed ``honoured``), the loss below it
    taken at ``pain_share``. The variance adds the baseline error, which persists
    over all ``years`` of the term (its variance in the total grows with years^2,
    so per year with years): long deals are riskier (V2).
    """
    mu = mean_saving - target
    sd = economics.spend_sd
    gain = expected_positive(mu, sd)
    loss = gain - mu
    expected = exposure * (gain_share * honoured * gain - pain_share * loss)
    variance = (exposure * 0.5 * (gain_share + pain_share)) ** 2 * (
        sd**2 + years * economics.baseline_sd**2
    )
    return expected - 0.5 * aversion * variance


def outcome_value(
    share: float, leniency: float, attainment: float, attainment_sd: float, aversion: float
) -> float:
    """Certainty equivalent a year (share of income) of an outcome-linked withhold.

    Money is lost only when the commissioner is not lenient and attainment falls
    short (seed 000 L1430, L1440: paid "regardless of performance").
    """
    at_risk = share * (1.0 - leniency)
    return -at_risk * (1.0 - attainment) - 0.5 * aversion * (at_risk * attainment_sd) ** 2


def overlay_value(
    weight_on_system: float,
    trust_in_partners: float,
    data_quality: float,
    savings_belief: float,
    loss_fear: float,
    running_cost: float,
    stake: float = 1.0,
) -> float:
    """Value a year (share of income) of joining the alliance, before any money at risk is priced.

    Best for service: the system saving it expects partners to help deliver.
    Best for self: the fear that its money or activity is "lost" in a system it
    does not trust and whose numbers it doubts (seed 000 L740, L1295-1297),
    times ``stake``, how much of its money the design puts in joint hands: 1
    when money is pooled or passes through a lead, ``negotiation.overlay_stake``
    (a judgement prior, 0.25 by default) for the alliance agreement alone, which
    leaves its service contract as it is (seed 000 L147, L1087).
    """
    service = weight_on_system * trust_in_partners
    fear = (1.0 - weight_on_system) * (1.0 - trust_in_partners) * (1.0 - data_quality) * loss_fear
    return savings_belief * (service - stake * fear) - running_cost


def one_in_twenty_loss(
    exposure: float, pain_share: float, mean_saving: float, target: float, sd: float
) -> float:
    """The loss a year (share of income) it would have to cover one year in twenty."""
    return max(0.0, exposure * pain_share * (target - mean_saving + Z_95 * sd))


class PackageValues:
    """The values of the package on the table, for :class:`~.talks.Negotiation` (a part of
    it: reads its parties, members, economics, params and the shares on the table)."""

    def expected_saving(self, party: Party, partners: Iterable[str]) -> float:
        """The saving it expects: the belief, scaled by the cooperation it expects."""
        return self.economics.savings_belief * party.mean_trust(partners)

    def member_value(self, name: str, target: float, risk_members: list[str]) -> float:
        """A member's certainty equivalent a year (share of income) of the whole package."""
        party = self.parties[name]
        p = self.params
        aversion = party.aversion * (p.control_total_aversion if party.control_total else 1.0)
        value = 0.0
        if name in risk_members:
            # losses on the whole scope fall on the risk sharers, by value
            exposure = self.scope(self.members) / max(1, self.scope(risk_members))
            value += risk_share_value(
                exposure,
                self.gain_share,
                self.pain_share,
                self.expected_saving(party, self.members),
                target,
                self.economics,
                self.proposal.duration_years,
                promise_honoured(party.trust_in(self.lead_commissioner), p.promise_doubt),
                aversion,
            )
        if name == self.proposal.lead and self.proposal.lead_capitation and not self.lead_block:
            # a lead on capitation carries the whole scope's overspend and underspend
            value += risk_share_value(
                self.scope(self.members) / max(1, party.value_pence),
                1.0,
                1.0,
                self.expected_saving(party, self.members),
                0.0,
                self.economics,
                self.proposal.duration_years,
                1.0,
                aversion,
            )
        if self.outcome_share > 0:
            attainment = 0.5 + 0.5 * self.economics.data_quality * party.trust_in(
                self.lead_commissioner
            )
            value += outcome_value(
                self.outcome_share,
                self.parties[self.lead_commissioner].leniency,
                attainment,
                p.outcome_attainment_sd,
                aversion,
            )
        return value

    def commissioner_gain(self, target: float) -> float:
        """The commissioners' expected gain (pence a year) over the overlay alone."""
        commissioner = self.parties[self.lead_commissioner]
        scope = self.scope(self.members)
        mean = self.expected_saving(commissioner, self.members)
        sd = self.economics.spend_sd
        mu = mean - target
        gain = expected_positive(mu, sd)
        loss = gain - mu
        with_share = mean - self.gain_share * gain + self.pain_share * loss
        overlay_only = mean * self.params.overlay_saving_share
        return scope * (with_share - overlay_only)

    def providers_gain(self, target: float, risk_members: list[str]) -> float:
        return sum(
            self.member_value(m, target, risk_members) * self.parties[m].value_pence
            for m in risk_members
        )
