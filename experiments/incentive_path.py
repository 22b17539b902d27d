"""The incentive path of one provider under each contract model: what its terms pay it
for a unit of integration effort, its ties to its partners, the reciprocity they carry,
and the effort and admission push it chooses (the table of the validity audit).

    python -m alliancesim.experiments.incentive_path [PRESET] [--provider NAME]
        [--month M] [--seed S]

Read it beside ``run``'s channel decomposition: the decomposition says how much of a
saving each channel carries, this table says why, for one organisation at one month.
"""

from __future__ import annotations

import argparse
import sys

from alliancesim.agents.decisions import reciprocity
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import ScenarioError, load_preset

HEADER = (
    "| contract model | margin per effort (share of income) | tie: money + relationship "
    "| reciprocity | effort | admission push |\n|---|---|---|---|---|---|"
)


def incentive_row(model: HealthEconomyModel, provider: str) -> dict[str, float]:
    """The provider's incentive path at the model's current month."""
    behaviour = model.scenario_spec.behaviour
    org = model.orgs[provider]
    view = model.views[provider]
    income = max(1, org.annual_income)
    profit, _system, slope, _pooled = model.marginal_returns(org)
    profit += view.withhold_value * (1 - view.leniency) * slope
    return {
        "margin": (profit - behaviour.effort_spend_share * income) / income,
        "money_tie": sum(view.financial_ties.values()),
        "relational_tie": behaviour.relational_tie * sum(view.forum_ties.values()),
        "reciprocity": reciprocity(
            behaviour.reciprocity_weight, view.years_left, model.expected_cooperation(org)
        ),
        "effort": org.effort,
        "push": org.push,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alliancesim.experiments.incentive_path")
    parser.add_argument("preset", nargs="?", default="default")
    parser.add_argument(
        "--provider", default="", help="default: the main provider under the first model"
    )
    parser.add_argument("--month", type=int, default=18, help="months run first (>= 1)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        scenario = load_preset(args.preset, economy__periods=max(1, args.month))
    except ScenarioError as error:
        print(error.message, file=sys.stderr)
        return 2
    lines = [HEADER]
    provider = args.provider
    for name in scenario.scenario.compare or list(scenario.contract_models):
        model = HealthEconomyModel(scenario, name, args.seed, record_ledger=False).run()
        provider = provider or model.main_provider  # one provider across the models
        if provider not in model.views:
            print(
                f"--provider: '{provider}' is not a provider of {args.preset}; allowed: "
                f"{', '.join(sorted(model.views))}",
                file=sys.stderr,
            )
            return 2
        row = incentive_row(model, provider)
        lines.append(
            f"| {name} | {row['margin']:+.3f} | {row['money_tie']:.2f} + "
            f"{row['relational_tie']:.2f} | {row['reciprocity']:.3f} | {row['effort']:.2f} | "
            f"{row['push']:.4f} |"
        )
    print(f"{args.preset}: {provider} after {args.month} months, seed {args.seed}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
