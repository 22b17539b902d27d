"""Signing the overlay without the money, and shocks that reshape rather than end a deal.

Seed 000 L627, L1087: Case A signed the alliance agreement with no payment mechanism;
L1202: shocks remodelled the deals; L121, L1704: the main provider decides.
Each case builds the parties by hand and checks its premise with the rule's own
functions before asserting what the talks do.
"""

from __future__ import annotations

import random

from alliancesim.agents.negotiation import (
    ABANDONED,
    Agreement,
    Economics,
    Negotiation,
    Party,
    Proposal,
    negotiate_scenario,
)
from alliancesim.scenario import load_preset

ECONOMICS = Economics(savings_belief=0.05, spend_sd=0.03, baseline_sd=0.02, data_quality=0.4)
PARAMS = load_preset("default").negotiation
BARE_OVERLAY = PARAMS.overlay_stake  # the stake of the agreement signed alone


class ScriptedRandom(random.Random):
    """Returns the given draws in order, then 0.99 (no further shock)."""

    def __init__(self, draws: list[float]):
        super().__init__(0)
        self.draws = list(draws)

    def random(self) -> float:
        return self.draws.pop(0) if self.draws else 0.99


def provider(name: str, value_m: float, weight: float, trust: float, others: list[str]) -> Party:
    return Party(
        name,
        "community",
        False,
        round(value_m * 1_000_000_00),
        reserves_pence=round(value_m * 1_000_000_00),
        risk_appetite=0.6,
        incentive_weight=weight,
        failure_floor=0.3,
        trust={o: trust for o in others if o != name},
    )


def talks(
    members: dict[str, tuple[float, float, float]],
    vehicle: str = "alliance",
    outcome_share: float = 0.0,
    draws: list[float] | None = None,
) -> Negotiation:
    """``members``: name -> (annual value £m, weight on the system, trust in partners)."""
    names = ["icb", *members]
    parties = {
        "icb": Party("icb", "ccg", True, 500_000_000_00, trust={n: 0.6 for n in members}),
        **{n: provider(n, v, w, t, names) for n, (v, w, t) in members.items()},
    }
    lead = next(iter(members)) if vehicle == "lead_provider" else None
    proposal = Proposal(
        "alliance",
        vehicle,
        tuple(members),
        lead,
        True,
        0.5,
        0.5,
        0.01,
        outcome_share,
        10,
        lead_capitation=vehicle == "lead_provider",
        overlay_fallback=vehicle == "alliance",  # an alliance agreement overlays the contracts
        lead_pays_members=vehicle == "lead_provider",
    )
    return Negotiation(proposal, parties, ECONOMICS, PARAMS, ScriptedRandom(draws or []))


def leadership_shock_at(negotiation: Negotiation, who: str) -> None:
    """A leadership shock (first draw) hitting ``who`` (second draw)."""
    names = sorted(negotiation.parties)
    p = negotiation.params
    negotiation.rng = ScriptedRandom(
        [
            p.policy_shock_share + 0.5 * p.leadership_shock_share,
            (names.index(who) + 0.5) / len(names),
        ]
    )
    negotiation.shock()


# ------------------------------------------------------------ the overlay alone
def test_a_party_declining_the_payment_mechanism_still_signs_the_overlay_it_values():
    # the main provider weighs its own books (0.3) and half-trusts its partners
    negotiation = talks({"trust": (100, 0.3, 0.5), "mh": (30, 0.6, 0.8), "gp": (10, 0.6, 0.8)})
    full, bare = (negotiation.overlay_worth("trust", s) for s in (1.0, BARE_OVERLAY))
    assert full < 0 <= bare  # the premise: the money scares it, the agreement alone does not
    negotiation.join_overlay()
    assert negotiation.ended is None
    assert "trust" in negotiation.members and "trust" in negotiation.overlay_only
    assert "alliance agreement" in negotiation.declined["trust"]
    negotiation.screen_risk_share()
    assert "trust" not in negotiation.risk_members
    # the whole process on fresh talks: it ends in the overlay, the trust inside it
    whole = talks({"trust": (100, 0.3, 0.5), "mh": (30, 0.6, 0.8), "gp": (10, 0.6, 0.8)}).run()
    assert "trust" in whole.overlay_members and "trust" not in whole.risk_members
    assert whole.result != ABANDONED


def test_without_an_overlay_to_sign_alone_the_same_party_withdraws():
    # under a lead provider the money passes through the lead: no overlay-only footing
    negotiation = talks(
        {"lead": (100, 0.6, 0.8), "trust": (50, 0.3, 0.5), "gp": (10, 0.6, 0.8)},
        vehicle="lead_provider",
    )
    assert negotiation.overlay_worth("trust", 1.0) < 0
    negotiation.join_overlay()
    assert "trust" not in negotiation.members and "trust" not in negotiation.overlay_only


def test_when_no_one_values_even_the_overlay_the_talks_are_abandoned():
    members = {"trust": (100, 0.3, 0.1), "mh": (30, 0.3, 0.1), "gp": (10, 0.3, 0.1)}
    negotiation = talks(members)
    assert all(negotiation.overlay_worth(m, BARE_OVERLAY) < 0 for m in members)
    agreement = talks(members).run()
    assert agreement.result == ABANDONED
    assert agreement.overlay_members == () and set(agreement.declined) == set(members)


def test_the_main_providers_exit_ends_an_alliance_even_with_most_of_the_scope_left():
    # the main provider holds 40% of the scope: the rest is enough by value, not by purpose
    members = {"acute": (40, 0.1, 0.1), "com": (30, 0.6, 0.9), "mh": (30, 0.6, 0.9)}
    negotiation = talks(members)
    assert negotiation.overlay_worth("acute", BARE_OVERLAY) < 0
    negotiation.join_overlay()
    assert negotiation.scope(negotiation.members) >= PARAMS.min_scope_share * 100_000_000_00
    assert negotiation.ended == "main_provider_withdrew"
    assert negotiation.result().result == ABANDONED


def over65s_talks(overlay_stake: float, seeds: range) -> list[Agreement]:
    scenario = load_preset("over65s_alliance", negotiation__overlay_stake=overlay_stake)
    return [negotiate_scenario(scenario, "alliance_proposed", seed) for seed in seeds]


def test_a_heavier_overlay_stake_makes_the_main_provider_refuse_even_the_overlay():
    # Case A signed the bare agreement (seed 000 L627). Were the agreement alone feared
    # as much as pooled money (stake 1), the integrated trust would refuse even that,
    # and without the main provider the talks end (seed 000 L121, L1704).
    seeds = range(6)
    outcomes = {}
    for stake in (0.25, 1.0):
        agreements = over65s_talks(stake, seeds)
        outcomes[stake] = (
            sum("integrated_trust" not in a.overlay_members for a in agreements),
            sum(a.result == ABANDONED for a in agreements),
        )
    (refused_light, abandoned_light), (refused_heavy, abandoned_heavy) = outcomes.values()
    assert refused_heavy > refused_light
    assert abandoned_heavy > abandoned_light


# ------------------------------------------------------------ shocks reshape
def test_a_leadership_shock_in_a_large_deal_drops_the_mechanism_not_the_talks():
    members = {
        "trust": (100, 0.4, 0.6),
        "mh": (30, 0.6, 0.8),
        "la": (30, 0.6, 0.8),
        "gp": (10, 0.6, 0.8),
        "vcs": (5, 0.6, 0.8),
    }
    negotiation = talks(members)
    negotiation.join_overlay()
    negotiation.screen_risk_share()
    assert "trust" in negotiation.risk_members  # it joined in full
    others = [m for m in negotiation.risk_members if m != "trust"]
    leadership_shock_at(negotiation, "trust")
    assert negotiation.leadership == ["trust"]
    # the premise: its new leaders no longer want the money in, but value the agreement
    assert (
        negotiation.overlay_worth("trust", 1.0)
        < 0
        <= negotiation.overlay_worth("trust", BARE_OVERLAY)
    )
    assert negotiation.ended is None
    assert "trust" in negotiation.members and "trust" not in negotiation.risk_members
    assert negotiation.risk_members == others  # the rest bargain on without it


def test_the_same_exit_ends_a_small_deal_but_only_reshapes_a_large_one():
    minor = (10, 0.3, 0.5)  # overlay-only at first; its new leaders will not stay at all
    small = talks({"trust": (100, 0.6, 0.8), "gp": minor})
    large = talks(
        {"trust": (100, 0.6, 0.8), "mh": (30, 0.6, 0.8), "la": (30, 0.6, 0.8), "gp": minor}
    )
    for negotiation in (small, large):
        negotiation.join_overlay()
        assert "gp" in negotiation.overlay_only
        leadership_shock_at(negotiation, "gp")
        assert negotiation.overlay_worth("gp", BARE_OVERLAY) < 0
        assert "gp" not in negotiation.members
    assert small.ended == "too_few_members" and small.result().result == ABANDONED
    assert large.ended is None and large.members == ["trust", "mh", "la"]


def test_new_commissioner_leaders_drop_outcome_payments_and_the_talks_go_on():
    negotiation = talks({"trust": (100, 0.6, 0.8), "mh": (30, 0.6, 0.8)}, outcome_share=0.01)
    negotiation.join_overlay()
    leadership_shock_at(negotiation, "icb")
    assert negotiation.outcome_share == 0.0
    assert negotiation.ended is None and negotiation.members == ["trust", "mh"]
    assert any(e["kind"] == "negotiation.drop_outcome" for e in negotiation.events)
