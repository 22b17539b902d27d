"""Patterns V7-V13 of docs/validation.md: behaviour under contract.

Each check runs the conditions it compares on common random numbers (one seed
per replication, shared by every condition), computes its statistic from the
model's outputs and returns pass or fail. Nothing here sets an outcome: the
conditions differ only in initial conditions or contract terms.
"""

from __future__ import annotations

from alliancesim.agents.negotiation import ABANDONED, negotiate_scenario
from alliancesim.experiments.validation.common import (
    Interval,
    mean_interval,
    model_spec,
    paired,
    paired_seeds,
    pairs,
    pattern_result,
    per_seed,
    preset,
    run,
    shiftable_activity,
    stepped,
    total,
    trend,
    variant,
    wilson_interval,
    with_models,
)
from alliancesim.experiments.validation.suite import PatternResult, pattern
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import Scenario

ACUTE = "acute_trust"  # the main provider of the default preset


# --------------------------------------------------------------------------- V7
V7_TITLE = "Outcome money stays small and soft"


V7_LENIENCY = (0.0, 0.5, 0.9)  # strict, the preset's default, near-certain forgiveness


def forfeited_share(model) -> float | None:
    """Share of the outcome money at stake that providers actually forfeited."""
    at_stake = model.totals["outcome_at_risk"]
    if at_stake <= 0:
        return None
    return (at_stake - model.totals["outcome_paid"]) / at_stake


def v7_talks() -> Scenario:
    """The default preset with its outcomes-based contract negotiated (from a 10-15%
    withhold, seed 001 L342, L364-366)."""
    return preset("default", {"contract_models.outcomes_based.negotiate": True})


def v7_negotiated_share(talks: Scenario, seed: int) -> float | None:
    """The outcome-linked share one negotiation settles on (``None`` if abandoned: no
    contract, no share). The pattern averages it over its seeds; the calibration target
    ``v7_outcome_share`` reads one."""
    agreement = negotiate_scenario(talks, "outcomes_based", seed)
    return None if agreement.result == ABANDONED else agreement.outcome_share


@pattern(
    "V7",
    V7_TITLE,
    mechanism="commissioner leniency: outcome money paid whatever the performance (seed 000 "
    "L1440), which providers price in when they bargain the share down",
    knockout={"organisations.icb.leniency": 0.0, "organisations.council.leniency": 0.0},
)
def outcome_money_small_and_soft(quick: bool, seed: int) -> PatternResult:
    """Two halves, on paired seeds.

    Small: the negotiation of the default preset's outcomes-based contract, proposed at a
    10-15% withhold (seed 001 L342, L364-366); the share the parties settle on comes out
    of the negotiation (members reject a share they doubt they can earn; the commissioner
    cuts it to keep them).

    Soft: the outcomes-based contract run with both commissioners' leniency at 0, 0.5
    (the preset's) and 0.9; the share of the outcome money at stake that providers
    actually forfeit.

    Evidence: outcome-linked payments were "a very small proportion of the value of the
    service contracts (1-2%)" (seed 000 L1145); outcome money was paid "regardless of
    performance" (seed 000 L1430-1440).

    Statistic: the mean per-seed slope of the forfeited share on leniency (per unit of
    leniency), with its 95% t interval. Pass: the slope's upper bound below zero, the
    forfeited share at the default leniency below 0.10 (upper bound), and the mean
    negotiated outcome share inside 1-3% (its 95% interval within [0.01, 0.03])."""
    seeds = paired_seeds(seed, pairs(quick))
    talks = v7_talks()
    shares = [v for v in (v7_negotiated_share(talks, s) for s in seeds) if v is not None]
    share = mean_interval(shares)
    runs = [
        preset(
            "default",
            {"organisations.icb.leniency": level, "organisations.council.leniency": level},
        )
        for level in V7_LENIENCY
    ]

    def forfeited(s: int) -> list[float | None]:
        return [forfeited_share(run(scenario, "outcomes_based", s)) for scenario in runs]

    rows = [row for row in per_seed(seeds, forfeited) if all(v is not None for v in row)]
    slope_i = trend(V7_LENIENCY, rows)
    levels = [mean_interval([r[k] for r in rows]) for k in range(len(V7_LENIENCY))]
    default = levels[1]
    passed = slope_i.below(0) and default.below(0.10) and share.low >= 0.01 and share.high <= 0.03
    note = (
        f"negotiated outcome share (proposed 15%): {share}; forfeited share at leniency "
        f"{', '.join(f'{lv}: {i}' for lv, i in zip(V7_LENIENCY, levels, strict=True))}. "
        "Pass: slope below zero, forfeited at the default below 0.10, negotiated share "
        "within [0.01, 0.03]."
    )
    return pattern_result(
        "V7",
        V7_TITLE,
        f"default preset, outcomes-based contract negotiated from 15%, and run at leniency "
        f"{', '.join(str(x) for x in V7_LENIENCY)}; {len(seeds)} paired seeds",
        "slope of the forfeited share of outcome money on leniency",
        slope_i,
        passed,
        note,
    )


# --------------------------------------------------------------------------- V8
V8_TITLE = "Activity tariffs resist the shift"


@pattern(
    "V8",
    V8_TITLE,
    mechanism="the tariff's margin on each admission: the acute trust loses it on every admission avoided, and keeps admissions up",
    knockout={
        "behaviour.channels.payment_incentive": False,
        "behaviour.channels.admission_push": False,
    },
)
def tariffs_resist_shift(quick: bool, seed: int) -> PatternResult:
    """Runs the default preset: the status quo (the acute trust paid by activity tariff) vs
    the same bilateral contracts with the acute lines on capitation, and vs the alliance
    gain share, on paired seeds.

    Evidence: admissions kept up under tariff (seed 000 L1569; seed 001 L606-608; seed 003
    L93).

    Statistic: paired reduction in last-year acute activity, capitation vs tariff, mean and
    95% t interval; beside it the alliance's reduction and the acute trust's admission push
    under the tariff minus under capitation. Pass: all three above zero. The knock-out
    switches off the payment-incentive and admission-push channels: the acute trust then
    sees no margin either way, and tariff and capitation must give the same activity."""
    base = preset("default")
    acute_lines = [line.name for line in base.economy.service_lines if line.provider == ACUTE]
    scenario = with_models(
        base,
        {
            "capitation": model_spec(
                base, "status_quo", payment={n: "capitation" for n in acute_lines}
            )
        },
        "V8 capitation",
    )
    seeds = paired_seeds(seed, pairs(quick))

    def shifts(s: int) -> tuple[float, float, float, float]:
        tariff = run(scenario, "status_quo", s)
        cap = run(scenario, "capitation", s)
        alliance = run(scenario, "alliance", s)
        base_acute = shiftable_activity(tariff)
        return (
            1.0 - shiftable_activity(cap) / base_acute,
            1.0 - shiftable_activity(alliance) / base_acute,
            tariff.orgs[ACUTE].push,
            cap.orgs[ACUTE].push,
        )

    cap_shift, alliance_shift, push_tariff, push_cap = zip(*per_seed(seeds, shifts), strict=True)
    cap_i, all_i = mean_interval(cap_shift), mean_interval(alliance_shift)
    push_i = mean_interval([a - b for a, b in zip(push_tariff, push_cap, strict=True)])
    passed = cap_i.above(0) and all_i.above(0) and push_i.above(0)
    note = (
        f"alliance vs tariff acute shift: {all_i}; acute admission push tariff minus "
        f"capitation: {push_i}. Pass: all three intervals above zero."
    )
    return pattern_result(
        "V8",
        V8_TITLE,
        f"default preset, tariff (status quo) vs capitation vs alliance, {len(seeds)} paired seeds",
        "paired reduction in last-year acute activity, capitation vs tariff",
        cap_i,
        passed,
        note,
    )


# --------------------------------------------------------------------------- V9
V9_TITLE = "Reconfiguration creates a loser"


@pattern(
    "V9",
    V9_TITLE,
    mechanism="the payment terms: the shift cuts the acute trust's tariff income, so it resists",
    knockout={"behaviour.channels.payment_incentive": False},
)
def reconfiguration_creates_loser(quick: bool, seed: int) -> PatternResult:
    """Runs the default preset: the alliance (with and without its risk share) vs the status
    quo, on paired seeds.

    Evidence: the agreement "explicitly recognises" that the risk of shifting activity lies
    with the provider whose activity falls (seed 000 L1111; seed 001 L466).

    Statistic: relative change in the acute trust's income, alliance vs status quo, mean
    and 95% t interval; beside it the acute trust's integration effort minus its partners'
    without a risk share, and its effort with minus without the risk share. Pass: income
    change below zero (a loser) and the loser's effort below its partners' without a risk
    share."""
    base = preset("default")
    scenario = with_models(
        base,
        {"alliance_no_risk_share": model_spec(base, "alliance", risk_share=None)},
        "V9 no risk share",
    )
    seeds = paired_seeds(seed, pairs(quick))

    def mean_effort(model, name) -> float:
        return total(model, f"effort__{name}") / len(model.rows)

    def loser(s: int) -> tuple[float, float, float]:
        sq = run(scenario, "status_quo", s)
        alliance = run(scenario, "alliance", s)
        bare = run(scenario, "alliance_no_risk_share", s)
        sq_income = total(sq, f"income_pence__{ACUTE}")
        others = [p.name for p in bare.providers if p.name != ACUTE]
        return (
            (total(alliance, f"income_pence__{ACUTE}") - sq_income) / abs(sq_income),
            mean_effort(bare, ACUTE) - sum(mean_effort(bare, n) for n in others) / len(others),
            mean_effort(alliance, ACUTE) - mean_effort(bare, ACUTE),
        )

    income_change, resistance, risk_share_effect = zip(*per_seed(seeds, loser), strict=True)
    income_i, resist_i = mean_interval(income_change), mean_interval(resistance)
    effect_i = mean_interval(risk_share_effect)
    passed = income_i.below(0) and resist_i.below(0)
    note = (
        f"without a risk share, acute trust effort minus the other members' mean: {resist_i}; "
        f"acute trust effort with minus without the risk share: {effect_i}. Pass: income "
        "change below zero (a loser) and the loser's effort below its partners' without a "
        "risk share."
    )
    return pattern_result(
        "V9",
        V9_TITLE,
        f"default preset, alliance (with and without risk share) vs status quo, "
        f"{len(seeds)} paired seeds",
        "relative change in the acute trust's income, alliance vs status quo",
        income_i,
        passed,
        note,
    )


# -------------------------------------------------------------------------- V10
V10_TITLE = "Alliance dilution"


def dilution_scenario(n: int, acute_member: bool = False):
    """One acute trust and ``n`` equal community providers sharing one community budget,
    in an alliance of the community providers with equal gain shares: only the number
    of members changes. With ``acute_member`` the acute trust is a member too, and then
    the mix of partners changes with ``n`` as well (the acute trust is half of a
    member's partners with two members and a sixth with six)."""
    base = preset("default")
    raw = base.model_dump(mode="json", by_alias=True, exclude_unset=False)
    acute = [line for line in raw["economy"]["service_lines"] if line["provider"] == ACUTE]
    community = next(
        line for line in raw["economy"]["service_lines"] if line["name"] == "community_contacts"
    )
    lines = list(acute)
    orgs = [o for o in raw["organisations"] if o["name"] in ("icb", ACUTE)]
    template = next(o for o in raw["organisations"] if o["name"] == "community_trust")
    for k in range(n):
        name = f"community_{k + 1}"
        lines.append(
            {
                **community,
                "name": f"contacts_{k + 1}",
                "provider": name,
                "demand_per_1000_per_year": community["demand_per_1000_per_year"] / n,
            }
        )
        orgs.append({**template, "name": name, "reserves_pence": template["reserves_pence"] // n})
    raw["economy"]["service_lines"] = lines
    raw["organisations"] = orgs
    raw["trust"]["pairs"] = [
        p
        for p in raw["trust"]["pairs"]
        if p["from"] in ("icb", ACUTE) and p["to"] in ("icb", ACUTE)
    ]
    alliance = raw["contract_models"]["alliance"]
    alliance["risk_share"]["shares"] = "equal"
    community_members = [f"community_{k + 1}" for k in range(n)]
    alliance["members"] = [ACUTE, *community_members] if acute_member else community_members
    raw["contract_models"] = {
        "status_quo": raw["contract_models"]["status_quo"],
        "alliance": alliance,
    }
    raw["scenario"]["compare"] = ["status_quo", "alliance"]
    from alliancesim.scenario import validate_scenario

    return validate_scenario(raw, f"V10 dilution with {n} community members")


V10_MEMBERS = (2, 3, 6)


def member_incentive(scenario, seed: int) -> tuple[float, float]:
    """(financial incentive, effort) of the community members, means over the run: the
    incentive is the model's own marginal profit per unit of a member's effort under its
    terms (``marginal_returns``: its margins plus its share of the system's saving), as a
    share of its annual income, read every period as the run goes."""
    model = stepped(scenario, "alliance", seed)
    members = [p for p in model.providers if p.name != ACUTE]
    incentive = effort = 0.0
    periods = 0
    while model.running:
        model.advance_period()
        model.steps += 1
        model.time += 1
        alive = [p for p in members if not p.failed]
        if not alive:
            continue
        periods += 1
        incentive += sum(
            model.marginal_returns(p)[0] / max(1, p.annual_income) for p in alive
        ) / len(alive)
        effort += sum(p.effort for p in alive) / len(alive)
    return incentive / max(1, periods), effort / max(1, periods)


@pattern(
    "V10",
    V10_TITLE,
    mechanism="the gain share s/N of each member (dilution: its own money rides less on its "
    "own effort as N grows) and reciprocity (trust)",
    knockout={
        "contract_models.alliance.risk_share.provider_gain_share": 0.0,
        "contract_models.alliance.risk_share.provider_pain_share": 0.0,
    },
)
def alliance_dilution(quick: bool, seed: int) -> PatternResult:
    """(a) A synthetic economy cut from the default preset: one acute trust and 2, 3 or 6
    equal community providers sharing one community budget, in an alliance of the
    community providers with equal gain shares (the acute trust stays on its bilateral
    contract, so only the number of members changes); each member's financial incentive
    at the default drives (the model's marginal profit per unit of its effort, its share
    of the saving included, as a share of its income), and its effort. (b) The default alliance with trust 0.2 and the reciprocity
    channel off, vs the default. (c) The default alliance with the acute trust dominant
    (its unit costs x3, so it holds most of the money), vs the default.

    Evidence: seed 004 L268 (free-riding in large teams); anchors s2.1, s2.5 (a share s/N
    of the gain; reciprocity sustains cooperation a share cannot).

    Statistic: (a) the mean per-seed slope of the members' financial incentive on the
    number of members, with its 95% t interval (the effort slope beside it). Pass: (a)
    slope below zero, (b) and (c) paired differences in the acute shift below zero. (c)
    has no mechanism yet by which a dominant member's money and voice lower the others'
    cooperation (see the gaps). The knock-out sets the gain and pain shares to zero: no
    share of the saving to dilute."""
    seeds = paired_seeds(seed, 5 if quick else 50)
    sizes = [dilution_scenario(n) for n in V10_MEMBERS]
    base = preset("default")
    distrust = variant(
        base,
        {
            "trust.initial": 0.2,
            "trust.commissioner_provider": 0.2,
            "behaviour.channels.reciprocity": False,
        },
        "V10 no trust",
    )
    dominant = variant(
        base,
        {
            "economy.service_lines.emergency_admissions.unit_cost_pence": 660_000,
            "economy.service_lines.excess_bed_days.unit_cost_pence": 90_000,
        },
        "V10 dominant acute member",
    )

    def shift(scenario, s) -> float:
        sq, alliance = run(scenario, "status_quo", s), run(scenario, "alliance", s)
        return 1.0 - shiftable_activity(alliance) / shiftable_activity(sq)

    measured = [[member_incentive(sc, s) for sc in sizes] for s in seeds]
    dilution = trend(V10_MEMBERS, [[m[0] for m in row] for row in measured])
    effort_slope = trend(V10_MEMBERS, [[m[1] for m in row] for row in measured])
    no_trust, _ = paired(seeds, lambda s: shift(distrust, s) - shift(base, s))
    dominance, _ = paired(seeds, lambda s: shift(dominant, s) - shift(base, s))
    passed = dilution.below(0) and no_trust.below(0) and dominance.below(0)
    note = (
        f"(a) slope of member effort per member added: {effort_slope}; "
        f"(b) acute shift without trust or reciprocity minus default: {no_trust}; "
        f"(c) acute shift with a dominant acute member (unit costs x3) minus default: "
        f"{dominance}. Pass: all three below zero."
    )
    return pattern_result(
        "V10",
        V10_TITLE,
        f"synthetic alliance of 2, 3, 6 community members (acute trust outside); default "
        f"preset with no trust/reciprocity and with a dominant member; {len(seeds)} "
        "paired seeds",
        "(a) slope of each member's financial incentive (share of income) per member added",
        dilution,
        passed,
        note,
    )


# -------------------------------------------------------------------------- V11
V11_TITLE = "Lead providers squeeze"


V11_SUBCONTRACTED = (
    ("acute_trust",),
    ("acute_trust", "mental_health_trust", "gp_federation"),
    ("acute_trust", "mental_health_trust", "gp_federation", "care_charity", "support_charity"),
)


@pattern(
    "V11",
    V11_TITLE,
    mechanism="a lead under its target margin squeezes its subcontractors' prices and delays "
    "their payments (anchors s2.10); the commissioner learns less of the services it no "
    "longer contracts",
    knockout={
        "behaviour.squeeze_probability": 0.0,
        "contract_models.lead_provider.subcontract_squeeze": 0.0,
        "contract_models.lead_provider.subcontract_delay_periods": 0,
    },
)
def lead_providers_squeeze(quick: bool, seed: int) -> PatternResult:
    """Runs the default preset's lead provider (the community trust subcontracting every
    other provider) against its alliance and status quo, on paired seeds; and lead
    provider contracts that subcontract 1, 3 and 5 of the other providers (the rest stay
    on their own contracts with the commissioner).

    Evidence: lead providers pass cost pressure down the supply chain (seed 000 L347;
    anchors s2.10); the commissioner is left with a "black box" and loses the capability
    to specify and monitor (seed 001, domain notes s4.1).

    Statistics: subcontractors' aggregate margin (payments the lead still delays at the
    end counted as owed), lead provider minus alliance, mean and 95% t interval; the
    commissioner's capability at the end, lead provider minus status quo; and the mean
    per-seed slope of the commissioner's end capability on the number of providers
    subcontracted. Pass: all three below zero: the capability must fall with the
    services it no longer sees, not merely because a lead exists."""
    scenario = preset("default")
    lead = scenario.contract_models["lead_provider"].lead
    seeds = paired_seeds(seed, pairs(quick))

    def squeeze(s: int) -> tuple[float, float]:
        lp, alliance, sq = (
            run(scenario, m, s) for m in ("lead_provider", "alliance", "status_quo")
        )
        subs = [p.name for p in lp.providers if p.name != lead]

        def margin(model) -> float:
            # accruals: payments the lead still delays at the end are owed, not squeezed
            owed = model.debts_at_end()
            income = sum(total(model, f"income_pence__{n}") + owed.get(n, 0) for n in subs)
            surplus = sum(total(model, f"surplus_pence__{n}") + owed.get(n, 0) for n in subs)
            return surplus / max(1.0, abs(income))

        return (
            margin(lp) - margin(alliance),
            lp.orgs[lp.lead_commissioner].capability - sq.orgs[sq.lead_commissioner].capability,
        )

    margin_gap, capability_gap = zip(*per_seed(seeds, squeeze), strict=True)
    margin_i, cap_i = mean_interval(margin_gap), mean_interval(capability_gap)
    scopes = with_models(
        scenario,
        {
            f"lead_{len(subs)}": model_spec(scenario, "lead_provider", members=[lead, *subs])
            for subs in V11_SUBCONTRACTED
        },
        "V11 subcontracted scope",
    )
    dose_seeds = seeds[: 3 if quick else 20]

    def end_capability(s: int) -> list[float]:
        return [
            run(scopes, f"lead_{len(subs)}", s).commissioners[0].capability
            for subs in V11_SUBCONTRACTED
        ]

    capability = trend(
        [len(subs) for subs in V11_SUBCONTRACTED], per_seed(dose_seeds, end_capability)
    )
    passed = margin_i.below(0) and cap_i.below(0) and capability.below(0)
    note = (
        f"commissioner capability at the end, lead provider minus status quo: {cap_i}; "
        f"slope of end capability per provider subcontracted (1, 3, 5; {len(dose_seeds)} "
        f"seeds): {capability}. Pass: all three below zero."
    )
    return pattern_result(
        "V11",
        V11_TITLE,
        f"default preset, lead provider vs alliance vs status quo, {len(seeds)} paired seeds; "
        "lead provider subcontracting 1, 3, 5 providers",
        "subcontractors' aggregate margin, lead provider minus alliance",
        margin_i,
        passed,
        note,
    )


# -------------------------------------------------------------------------- V12
V12_TITLE = "Failure returns risk"


def exit_period(model, holder: str) -> int | None:
    """The period the holder failed or handed its contract back, if it did."""
    for event in model.events:
        if event["actor"] == holder and event["kind"] in ("failure", "handback"):
            return int(event.get("period", 0))
    return None


def held_price(model, holder: str) -> float:
    """What the commissioners pay a period for the contracts the holder holds, at the
    price as bid, before the run (``contract_value`` of its contracts in year one; later
    indexation is not counted, which overstates it when indexation falls)."""
    from alliancesim.model.payment.terms import contract_value

    held = [t for t in model.contracts if t.lead == holder]
    return sum(contract_value(t) for t in held) / model.periods_per_year


def returned_cost_share(model, holder: str, price_per_period: float) -> float | None:
    """After the holder's exit, what the commissioners paid (payments and the premium on
    services returned to them) above what they would have paid at the held price for the
    same periods, as a share of the latter; ``None`` if the holder did not exit."""
    period = exit_period(model, holder)
    if period is None:
        return None
    after = [r for r in model.rows if r["period"] >= period]
    if not after or price_per_period <= 0:
        return None
    held = price_per_period * len(after)
    paid = sum(r["spend_pence"] + r["returned_risk_pence"] for r in after)
    return (paid - held) / held


@pattern(
    "V12",
    V12_TITLE,
    mechanism="a lead whose price is held below its costs (a bid under budget, falling "
    "indexation, an unfunded cost) on no reserves runs out of money or hands the contract "
    "back; its services return to the commissioner at a premium",
    knockout={
        "economy.shocks": [],
        "contract_models.lead_bid.price.bid": 0.0,
        "contract_models.lead_bid.price.rebase": "outturn",
        "contract_models.lead_bid.price.indexation": "demand_trend",
    },
)
def failure_returns_risk(quick: bool, seed: int) -> PatternResult:
    """Runs the older_people_lead_bid preset's lead_bid contract on paired seeds: a new
    lead vehicle bids 3.5% under the commissioner's maximum, holds the price for the term
    and carries an unfunded VAT-like cost from month one, with no reserves of its own: the
    stresses are the preset's stated inputs (seed 001 L292-L372; anchors P5), not a
    starting balance that guarantees failure. Whether and when the lead fails or hands
    the contract back is the run's result.

    Evidence: UnitingCare handed back its contract eight months in, and the services and
    the financial risk returned to the commissioner (seed 000 L417; NAO, anchors s3).

    Statistic: in the runs where the lead exits, the commissioners' cost after the exit
    above what they would have paid at the price as bid for the same months, as a share
    of it; mean and 95% t interval. Pass: the lead exits in most runs (Wilson lower bound
    above 0.5) and the returned cost's lower bound is above zero. The knock-out removes
    the stresses: no unfunded cost, the bid at the budget, re-based on outturn each year
    (the NHS default) instead of held."""
    scenario = preset("older_people_lead_bid")
    lead = scenario.contract_models["lead_bid"].lead
    seeds = paired_seeds(seed, pairs(quick))

    def exit_and_cost(s: int) -> tuple[bool, float | None]:
        # the price as bid, read from the contracts a model of this seed starts with
        price = held_price(HealthEconomyModel(scenario, "lead_bid", s, record_ledger=False), lead)
        model = run(scenario, "lead_bid", s)
        return exit_period(model, lead) is not None, returned_cost_share(model, lead, price)

    outcomes = per_seed(seeds, exit_and_cost)
    exits = sum(exited for exited, _ in outcomes)
    shares = [value for _, value in outcomes if value is not None]
    exited = wilson_interval(exits, len(seeds))
    returned = mean_interval(shares) if shares else Interval(float("nan"), 0.0, 0.0, 0)
    passed = exited.above(0.5) and bool(shares) and returned.above(0)
    note = (
        f"runs in which the lead failed or handed back: {exits}/{len(seeds)} {exited}; "
        f"{len(shares)} of them measured. Pass: exits in most runs and the "
        "returned cost above zero."
    )
    return pattern_result(
        "V12",
        V12_TITLE,
        f"older_people_lead_bid preset, lead_bid as priced and stressed, {len(seeds)} seeds",
        "commissioner cost after the lead's exit above the held price (share)",
        returned,
        passed,
        note,
    )


# -------------------------------------------------------------------------- V13
V13_TITLE = "Trust grows from joint work, not from the signature"


def provider_trust(model) -> float:
    alive = [p for p in model.providers if not p.failed]
    values = [a.trust_in(b.name) for a in alive for b in alive if a is not b]
    return sum(values) / len(values) if values else 0.0


@pattern(
    "V13",
    V13_TITLE,
    mechanism="trust updated from the joint work each party sees its partners do (conduct "
    "seen, beta reputation), which providers who weigh the system do unsigned",
    knockout={"behaviour.channels.system_benefit": False},
)
def trust_from_joint_work(quick: bool, seed: int) -> PatternResult:
    """Runs the default preset on paired seeds: (a) joint work without a signature (status
    quo, providers who weigh the system three times more) vs the status quo; (b) a
    signature without joint work (alliance, effort made ten times costlier) vs the status
    quo; (c) in the alliance, commissioner-to-main-provider trust vs inter-provider trust
    at the end.

    Evidence: talks dominated by the commissioner and its main provider, a rift that
    outlasted the contract (seed 000 L121, L1704, L1708); trust built by working together
    (seed 001 L716).

    Statistic: (a) the paired difference in end inter-provider trust, mean and 95% t
    interval. Pass (the pattern: trust grows from joint work whether or not the contract
    is signed; the rift does not heal by contract alone): (a) above zero; (b) not above
    zero (its lower bound at or below zero: the signature alone raises no trust); (c)
    below zero. The knock-out switches off the system-benefit channel that drives the
    unsigned joint work."""
    base = preset("default")
    keen = variant(base, {"behaviour.system_benefit_weight": 3.0}, "V13 joint work unsigned")
    idle = variant(base, {"behaviour.effort_cost": 10.0}, "V13 signature without work")
    seeds = paired_seeds(seed, pairs(quick))

    def trusts(s: int) -> tuple[float, float, float]:
        sq = provider_trust(run(base, "status_quo", s))
        work = provider_trust(run(keen, "status_quo", s)) - sq
        signature = provider_trust(run(idle, "alliance", s)) - sq
        alliance = run(base, "alliance", s)
        commissioner, main = alliance.lead_commissioner, alliance.main_provider
        rift = alliance.orgs[commissioner].trust_in(main) - provider_trust(alliance)
        return work, signature, rift

    work, signature, rift = zip(*per_seed(seeds, trusts), strict=True)
    work_i, sig_i, rift_i = (mean_interval(v) for v in (work, signature, rift))
    passed = work_i.above(0) and sig_i.low <= 0 and rift_i.below(0)
    note = (
        f"(b) signed alliance with little joint work minus status quo: {sig_i}; "
        f"(c) commissioner->main provider trust minus inter-provider trust in the alliance "
        f"at the end: {rift_i}. Pass: (a) above zero, (b) not above zero (the signature "
        "alone raises no trust), (c) below zero."
    )
    return pattern_result(
        "V13",
        V13_TITLE,
        f"default preset, status quo with and without joint work, "
        f"alliance without joint work, {len(seeds)} paired seeds",
        "(a) end inter-provider trust, joint work without signature minus status quo",
        work_i,
        passed,
        note,
    )
