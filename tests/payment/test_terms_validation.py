"""Invalid terms are rejected on construction, with a message naming the term."""

from __future__ import annotations

import pytest
from alliancesim.model.payment.terms import (
    ContractTerms,
    CorridorBand,
    GainBand,
    LinePayment,
    OutcomeTerms,
    RiskShareTerms,
    ServicePayment,
)
from pydantic import ValidationError


def line(**kw):
    return LinePayment(**{"basis": "block", "annual_value_pence": 100, **kw})


def contract(**kw):
    base = dict(
        name="c",
        vehicle="bilateral",
        commissioners=("ccg",),
        members=("a", "b"),
        payments=(ServicePayment(payer="ccg", provider="a", line="s", terms=line()),),
    )
    return ContractTerms(**{**base, **kw})


def test_shares_not_summing_to_one_are_rejected_by_name():
    with pytest.raises(ValidationError, match="gain_shares must sum to 1"):
        RiskShareTerms(target_annual_pence=1, gain_shares={"a": 0.5}, pain_shares={"a": 1.0})
    with pytest.raises(ValidationError, match="outcome metric weights must sum to 1"):
        OutcomeTerms(withhold_by_year=(0.1,), metrics={"x": 0.3})


def test_negative_money_is_rejected():
    with pytest.raises(ValidationError, match="annual_value_pence"):
        line(annual_value_pence=-1)
    with pytest.raises(ValidationError, match="target_annual_pence"):
        RiskShareTerms(target_annual_pence=-5, gain_shares={"a": 1}, pain_shares={"a": 1})


def test_outcome_schedule_longer_than_contract_is_rejected():
    with pytest.raises(ValidationError, match="longer than the contract"):
        contract(duration_years=2, outcome=OutcomeTerms(withhold_by_year=(0, 0.1, 0.15)))
    with pytest.raises(ValidationError, match="at_risk_by_year"):
        contract(
            duration_years=1, outcome=OutcomeTerms(withhold_by_year=(0.1,), at_risk_by_year=(0, 1))
        )


def test_unknown_vehicle_names_the_allowed_values():
    with pytest.raises(ValidationError, match="vehicle") as info:
        contract(vehicle="joint_venture")
    assert "bilateral" in str(info.value) and "prime_contractor" in str(info.value)


def test_unknown_basis_names_the_allowed_values():
    with pytest.raises(ValidationError, match="basis") as info:
        LinePayment(basis="bundled")
    assert "capitation" in str(info.value) and "cost_plus_fee" in str(info.value)


def test_a_party_cannot_be_both_commissioner_and_member():
    with pytest.raises(ValidationError, match="both a commissioner and a member"):
        contract(commissioners=("ccg", "a"))


def test_bands_must_be_ordered():
    with pytest.raises(ValidationError, match="corridor"):
        RiskShareTerms(
            target_annual_pence=1,
            gain_shares={"a": 1},
            pain_shares={"a": 1},
            corridor=(
                CorridorBand(from_ratio=1.08, provider_share=0.2),
                CorridorBand(from_ratio=1.03, provider_share=0.5),
            ),
        )
    with pytest.raises(ValidationError, match="gain_bands"):
        RiskShareTerms(
            target_annual_pence=1,
            gain_shares={"a": 1},
            pain_shares={"a": 1},
            gain_bands=(
                GainBand(below_ratio=0.9, provider_share=0.5),
                GainBand(below_ratio=0.95, provider_share=0.2),
            ),
        )


def test_management_fee_needs_a_lead():
    with pytest.raises(ValidationError, match="management_fee_share"):
        contract(management_fee_share=0.025)


def test_unknown_keys_are_rejected():
    with pytest.raises(ValidationError, match="pain_kap"):
        RiskShareTerms(
            target_annual_pence=1, gain_shares={"a": 1}, pain_shares={"a": 1}, pain_kap=1
        )
