"""The shorthand's tiered gain share (``risk_share.gain_bands``) and outcome ramp
(``outcome.at_risk_by_year``): the builder maps them onto the payment core's terms,
bad values name the file, the key, the value and what is allowed (exit 2), and the
Bedfordshire MSK preset settles Circle's surplus as seed 001 L253 says: the first 5%
of the tranche kept, the rest split 50/50 with the CCG."""

import re
from importlib import resources
from pathlib import Path

import pytest
from alliancesim.experiments.replication import run_replication
from alliancesim.model.contracts import ContractBuilder
from alliancesim.model.economy import HealthEconomy
from alliancesim.model.payment.terms import GainBand, annual_value
from alliancesim.scenario import ScenarioError, load_preset, load_scenario
from typer.testing import CliRunner

from alliancesim.cli import build_app

MSK_TEXT = (
    resources.files("alliancesim.scenario") / "presets" / "msk_prime_contractor.toml"
).read_text(encoding="utf-8")
MSK_BANDS = "gain_bands = [{ below_ratio = 0.92625, provider_share = 0.5 }]"
BANDS_KEY = "contract_models.prime_contractor.risk_share.gain_bands"


def built(scenario, model_name: str, contract_year: int = 0):
    economy = HealthEconomy(scenario.economy, None)  # no draws needed to build terms
    (terms,) = [
        t
        for t in ContractBuilder(scenario, economy.lines).build(model_name, contract_year)
        if t.name == model_name
    ]
    return terms


def msk_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in MSK_TEXT, f"the preset no longer contains {old!r}"
    path = tmp_path / "msk.toml"
    path.write_text(MSK_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


# ------------------------------------------------------------------ mapping
def test_builder_maps_the_msk_bands_and_ramp_onto_the_payment_terms():
    terms = built(load_scenario("msk_prime_contractor"), "prime_contractor")
    risk, outcome = terms.risk_share, terms.outcome
    assert risk.gain_bands == (GainBand(below_ratio=0.92625, provider_share=0.5),)
    assert (risk.measure, risk.provider_gain_share, risk.provider_pain_share) == ("costs", 1, 1)
    assert risk.gain_shares == {"circle": 1.0} and risk.pain_shares == {"circle": 1.0}
    # the target is the capitation before the outcome withhold (see the preset)
    assert risk.target_annual_pence == sum(annual_value(p.terms) for p in terms.payments)
    assert outcome.withhold_by_year == (0.025,)
    assert outcome.at_risk_by_year == (0.0, 0.625, 1.0)


def test_a_preset_without_bands_or_ramp_builds_flat_terms():
    terms = built(load_scenario("default"), "alliance")
    assert terms.risk_share.gain_bands == ()
    assert terms.outcome is None or terms.outcome.at_risk_by_year == ()


def test_set_overrides_reach_the_bands():
    scenario = load_preset(
        "msk_prime_contractor",
        contract_models__prime_contractor__risk_share__gain_bands=[
            {"below_ratio": 0.9, "provider_share": 0.25}
        ],
    )
    terms = built(scenario, "prime_contractor")
    assert terms.risk_share.gain_bands == (GainBand(below_ratio=0.9, provider_share=0.25),)


# ---------------------------------------------------------------- bad input
BAD_BANDS = [
    (
        "gain_bands = [{ below_ratio = 1.2, provider_share = 0.5 }]",
        f"{BANDS_KEY}.0.below_ratio",
        "1.2",
        "less than or equal to 1",
    ),
    (
        "gain_bands = [{ below_ratio = 0.9, provider_share = 0.5 },"
        " { below_ratio = 0.95, provider_share = 0.4 }]",
        BANDS_KEY,
        "0.9, 0.95",
        "allowed: strictly decreasing values in (0, 1]",
    ),
    (
        "gain_bands = [{ below_ratio = 0.9, provider_share = 1.5 }]",
        f"{BANDS_KEY}.0.provider_share",
        "1.5",
        "less than or equal to 1",
    ),
]


@pytest.mark.parametrize(("line", "key", "value", "allowed"), BAD_BANDS)
def test_bad_gain_band_names_file_key_value_and_allowed(tmp_path, line, key, value, allowed):
    path = msk_with(tmp_path, MSK_BANDS, line)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message and f"key '{key}'" in message
    assert value in message and allowed in message


@pytest.mark.parametrize(("line", "key", "value", "allowed"), BAD_BANDS)
def test_bad_gain_band_exits_2_without_a_traceback_or_output(tmp_path, line, key, value, allowed):
    path = msk_with(tmp_path, MSK_BANDS, line)
    out = tmp_path / "out"
    result = CliRunner().invoke(build_app(), ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    for fragment in (str(path), key, value, allowed):
        assert fragment in result.output.replace("\n", ""), fragment


def test_ramp_longer_than_the_contract_names_the_key_and_the_limit(tmp_path):
    path = msk_with(
        tmp_path, "at_risk_by_year = [0.0, 0.625, 1.0]", "at_risk_by_year = [0, 0, 0, 0, 0, 1]"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message and "outcome.at_risk_by_year has 6 years" in message
    assert "allowed: at most 5 years" in message


def test_ramp_share_above_one_is_rejected_with_the_bound(tmp_path):
    path = msk_with(tmp_path, "at_risk_by_year = [0.0, 0.625, 1.0]", "at_risk_by_year = [0.0, 1.5]")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "contract_models.prime_contractor.outcome.at_risk_by_year.1" in message
    assert "1.5" in message and "less than or equal to 1" in message


# ------------------------------------------------------- a settled MSK year
def msk_year_one(squeeze: float) -> dict:
    """One contract year of the MSK preset in which Circle holds back ``squeeze`` of
    every subcontract payment (it always squeezes; its subcontractors' reserves are
    deep enough that none fails), so its surplus on the tranche is set by the squeeze."""
    deep = 10**11
    scenario = load_preset(
        "msk_prime_contractor",
        economy__periods=12,
        contract_models__prime_contractor__subcontract_squeeze=squeeze,
        behaviour__squeeze_probability=1.0,
        behaviour__target_margin=1.0,
        organisations__acute_trust__reserves_pence=deep,
        organisations__community_msk__reserves_pence=deep,
        organisations__horizon__reserves_pence=deep,
    )
    result = run_replication(scenario, seed=11, models=["prime_contractor"])
    run = next(r for r in result.runs if r["contract_model"] == "prime_contractor")
    assert run["failures"] == 0
    ledger = [e for e in result.ledger if e["contract_model"] == "prime_contractor"]
    year_end = {e["line_item"]: e for e in ledger if e["period"] == 11}
    true_up = year_end["cost_true_up"]
    assert (true_up["payer"], true_up["payee"]) == ("circle", "ccg")  # costs below target
    cost, gross = map(int, re.search(r"cost (\d+), base paid (\d+)", true_up["note"]).groups())
    target = int(re.search(r"on target (\d+)", year_end["gain_share"]["note"]).group(1))
    return {
        "tranche": sum(e["amount"] for e in ledger if e["line_item"] == "capitation"),
        "cost": cost,
        "gross": gross,
        "target": target,
        "returned": true_up["amount"],
        "gain": year_end["gain_share"]["amount"],
    }


def test_msk_surplus_beyond_five_percent_of_the_tranche_is_split_fifty_fifty():
    year = msk_year_one(squeeze=0.25)
    assert year["target"] == year["gross"]  # target = capitation before the withhold
    surplus = year["tranche"] - year["cost"]  # Circle's surplus on the 95% tranche
    first = 0.05 * year["tranche"]
    assert surplus > first
    # band arithmetic: the first 7.375% of the target under it is Circle's, half the rest
    threshold = round((1 - 0.92625) * year["target"])
    underspend = year["target"] - year["cost"]
    assert year["returned"] == underspend
    assert year["gain"] == pytest.approx(threshold + 0.5 * (underspend - threshold), abs=1)
    # in the seed's terms: Circle keeps 5% of the tranche and half of the rest
    kept = surplus - year["returned"] + year["gain"]
    assert kept == pytest.approx(first + 0.5 * (surplus - first), abs=2)
    ccg_share = year["returned"] - year["gain"]
    assert ccg_share > 0 and ccg_share == pytest.approx(0.5 * (surplus - first), abs=2)


def test_msk_surplus_under_five_percent_of_the_tranche_stays_with_circle():
    # a squeeze that leaves Circle about 3% on the tranche on this seed's demand (0.1 sat
    # just under 5% on the old draw order and just over it on the named streams)
    year = msk_year_one(squeeze=0.08)
    surplus = year["tranche"] - year["cost"]
    assert 0 < surplus < 0.05 * year["tranche"]
    assert year["gain"] == year["returned"]  # the CCG keeps none of it
    assert surplus - year["returned"] + year["gain"] == surplus
