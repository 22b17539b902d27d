"""The model behind one dashboard session: a contract model, its status quo twin
and a rival contract model, all on the same seed.

:class:`DashboardModel` is a :class:`HealthEconomyModel` whose ``__init__``
takes only keyword controls (what the sidebar shows), so SolaraViz can rebuild
it on Reset with ``type(model)(**params)``. It builds the scenario from a
preset with :meth:`Scenario.with_overrides`, runs the chosen contract model
itself, and steps two twins in lock step on the same seed (so they face the
same demand, common random numbers):

- ``status_quo``: the scenario's status quo contract model, the counterfactual
  for "spending and savings against the status quo";
- ``rival``: a second contract model (``compare_with``) for the compare page.

Nothing here imports Solara, so notebooks and tests can use it directly.
"""

from __future__ import annotations

from typing import Any

from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import (
    Scenario,
    ScenarioError,
    load_preset,
    preset_names,
)

DEFAULT_PRESET = "default"
DEFAULT_MODEL = "alliance"
DEFAULT_RIVAL = "lead_provider"


def preset_defaults(preset: str = DEFAULT_PRESET, model: str = DEFAULT_MODEL) -> dict[str, float]:
    """The controls' starting values, read from the preset so that the dashboard's
    first run is the same as ``alliancesim run`` on that preset."""
    scenario = load_preset(preset)
    spec = scenario.contract_models.get(model)
    risk_share = spec.risk_share if spec is not None else None
    return {
        "initial_trust": scenario.trust.initial,
        "savings_target": risk_share.target_savings if risk_share is not None else 0.04,
    }


DEFAULTS = preset_defaults()
DECISION_RULES = ["preset", "unanimity", "majority", "majority_fallback", "lead_decides"]
PAIN_CAPS = {
    "preset": None,
    "none": "none",
    "fee": "fee",
    "£1m": 100_000_000,
    "£5m": 500_000_000,
}


def pounds(pence: float, digits: int = 0) -> str:
    """Integer pence as pounds with thousands separators: 123456789 -> '£1,234,568'."""
    value = pence / 100
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.{digits}f}"


def contract_model_choices(preset: str = DEFAULT_PRESET) -> list[str]:
    """Contract models offered in the controls: the preset's own, status quo first."""
    return list(load_preset(preset).model_names)


def rival_choices(preset: str, model: str) -> list[str]:
    """Models the compare page may set against ``model``: the preset's others."""
    return [m for m in contract_model_choices(preset) if m != model]


def starting_controls(preset: str = DEFAULT_PRESET) -> dict[str, Any]:
    """The sidebar's values for a preset: its own terms, its first model that is not
    the status quo, and a different model to compare with."""
    base = load_preset(preset)
    model = pick_model(base, DEFAULT_MODEL)
    rivals = rival_choices(preset, model)
    rival = DEFAULT_RIVAL if DEFAULT_RIVAL in rivals else (rivals[0] if rivals else model)
    own = preset_defaults(preset, model)
    return dict(
        preset=preset,
        contract_model=model,
        compare_with=rival,
        negotiate=True,
        initial_trust=own["initial_trust"],
        risk_appetite_shift=0.0,
        savings_target=own["savings_target"],
        set_terms=False,
        outcome_share=0.01,
        gain_share=0.5,
        pain_share=0.5,
        pain_cap="preset",
        decision_rule="preset",
        seed=1,
    )


def pick_model(scenario: Scenario, wanted: str) -> str:
    """``wanted`` if the scenario has it, else its first compared model that is not the
    status quo (a preset may name its models differently)."""
    if wanted in scenario.contract_models:
        return wanted
    others = [n for n in scenario.model_names if n != scenario.scenario.status_quo]
    return others[0] if others else scenario.scenario.status_quo


def build_scenario(
    *,
    preset: str = DEFAULT_PRESET,
    contract_model: str = DEFAULT_MODEL,
    initial_trust: float = DEFAULTS["initial_trust"],
    risk_appetite_shift: float = 0.0,
    savings_target: float = DEFAULTS["savings_target"],
    set_terms: bool = False,
    outcome_share: float = 0.01,
    gain_share: float = 0.5,
    pain_share: float = 0.5,
    pain_cap: str = "preset",
    decision_rule: str = "preset",
    negotiate: bool | None = None,
) -> tuple[Scenario, str, list[str]]:
    """The scenario the controls describe, the contract model to run, and notes in
    plain words on what was applied (shown on the dashboard).

    Scenario-wide controls (trust, risk appetite, savings target) apply to every
    contract model, the status quo included, so the twin stays a fair
    counterfactual. Contract terms apply only to the chosen contract model, only
    when ``set_terms`` is on, and only to terms that model has: the sliders
    change a risk share or an outcome payment, they do not add one.
    """
    if preset not in preset_names():
        preset = DEFAULT_PRESET
    base = load_preset(preset)
    model_name = pick_model(base, contract_model)
    notes: list[str] = []
    if model_name != contract_model:
        notes.append(f"preset '{preset}' has no '{contract_model}'; showing '{model_name}'")

    # A control left at the preset's own value leaves the preset as it is, so the
    # dashboard's first run is the run `alliancesim run` makes on that preset.
    own = preset_defaults(preset, model_name)
    overrides: dict[str, Any] = {}
    if abs(initial_trust - own["initial_trust"]) > 1e-9:
        overrides["trust.initial"] = initial_trust
        if base.trust.commissioner_provider is not None:
            overrides["trust.commissioner_provider"] = initial_trust
    move_target = abs(savings_target - own["savings_target"]) > 1e-9
    for org in base.organisations:
        if org.is_commissioner:
            if move_target:
                overrides[f"organisations.{org.name}.savings_target"] = savings_target
        elif risk_appetite_shift:
            appetite = org.trait("risk_appetite")
            shifted = min(1.0, max(0.0, appetite + risk_appetite_shift))
            overrides[f"organisations.{org.name}.risk_appetite"] = round(shifted, 4)
    spec = base.contract_models[model_name]
    prefix = f"contract_models.{model_name}"
    if spec.risk_share is not None and move_target:
        overrides[f"{prefix}.risk_share.target_savings"] = savings_target

    status_quo = base.scenario.status_quo
    if (
        negotiate is not None
        and model_name != status_quo
        and not spec.contracts
        and spec.negotiate != negotiate
    ):
        # the class sees the contract negotiated (or imposed) whatever the preset says
        overrides[f"{prefix}.negotiate"] = negotiate
        notes.append(
            "the dashboard negotiates this contract first (the preset imposes it)"
            if negotiate
            else "the contract is imposed without a negotiation (the preset negotiates it)"
        )
    if set_terms and model_name == status_quo:
        notes.append("the status quo keeps its standard terms; pick another contract model")
    elif set_terms:
        if spec.outcome is not None:
            first = spec.outcome.withhold_by_year[0]
            years = max(2, len(spec.outcome.withhold_by_year))
            overrides[f"{prefix}.outcome.withhold_by_year"] = [first] + [outcome_share] * (
                years - 1
            )
            notes.append(f"outcome payment: {outcome_share:.0%} at risk from year two")
        else:
            notes.append(f"'{model_name}' has no outcome payment; outcome share not used")
        if spec.risk_share is not None:
            overrides[f"{prefix}.risk_share.provider_gain_share"] = gain_share
            overrides[f"{prefix}.risk_share.provider_pain_share"] = pain_share
            notes.append(
                f"risk share: providers take {gain_share:.0%} of gains, {pain_share:.0%} of losses"
            )
            if PAIN_CAPS.get(pain_cap) is not None:
                overrides[f"{prefix}.risk_share.pain_cap"] = PAIN_CAPS[pain_cap]
                notes.append(f"pain cap: {pain_cap}")
        else:
            notes.append(f"'{model_name}' has no risk share; gain and pain shares not used")
        if decision_rule != "preset":
            overrides[f"{prefix}.governance.decision_rule"] = decision_rule
            notes.append(f"decisions by {decision_rule.replace('_', ' ')}")
    try:
        scenario = base.with_overrides(overrides, source="dashboard controls")
    except ScenarioError as error:
        notes.append(
            "these controls were rejected, so the preset is shown: " + "; ".join(error.problems)
        )
        scenario = base
    return scenario, model_name, notes


class DashboardModel(HealthEconomyModel):
    """One session's model: the chosen contract model plus two twins on its seed.

    Every keyword here is a control in the dashboard's sidebar; SolaraViz passes
    them all back on Reset.
    """

    def __init__(
        self,
        *,
        preset: str = DEFAULT_PRESET,
        contract_model: str = DEFAULT_MODEL,
        compare_with: str = DEFAULT_RIVAL,
        initial_trust: float = DEFAULTS["initial_trust"],
        risk_appetite_shift: float = 0.0,
        savings_target: float = DEFAULTS["savings_target"],
        set_terms: bool = False,
        outcome_share: float = 0.01,
        gain_share: float = 0.5,
        pain_share: float = 0.5,
        pain_cap: str = "preset",
        decision_rule: str = "preset",
        seed: int = 1,
        negotiate: bool | None = None,
        decide: Any = None,
    ):
        scenario, model_name, notes = build_scenario(
            preset=preset,
            contract_model=contract_model,
            initial_trust=initial_trust,
            risk_appetite_shift=risk_appetite_shift,
            savings_target=savings_target,
            set_terms=set_terms,
            outcome_share=outcome_share,
            gain_share=gain_share,
            pain_share=pain_share,
            pain_cap=pain_cap,
            decision_rule=decision_rule,
            negotiate=negotiate,
        )
        # the role-play's outside decisions, consulted by the negotiation
        super().__init__(scenario, model_name, int(seed), decide=decide)
        self.preset = preset
        self.notes = notes
        self.status_quo = HealthEconomyModel(
            scenario, scenario.scenario.status_quo, int(seed), record_ledger=False
        )
        self.rival = HealthEconomyModel(scenario, pick_model(scenario, compare_with), int(seed))
        self.twins = (self.status_quo, self.rival)

    def step(self) -> None:
        if not self.running:  # a finished contract term: Step does nothing
            return
        super().step()
        for twin in self.twins:
            if twin.running:
                twin.step()

    # -------------------------------------------------------------- summaries
    def cumulative_spend(self, model: HealthEconomyModel | None = None) -> int:
        return sum(r["spend_pence"] for r in (model or self).rows)

    def savings_to_date(self) -> int:
        """Status quo spend minus this model's spend over the periods run so far (pence)."""
        return self.cumulative_spend(self.status_quo) - self.cumulative_spend()
