"""The ledger's outside accounts and reserves rebuilt from entries alone."""

from __future__ import annotations

from alliancesim.model.payment.ledger import (
    ADVISERS,
    NO_CONTRACT,
    STAFF_AND_SUPPLIERS,
    WRITTEN_OFF,
    JournalEntry,
    check_entries,
    outside_flows,
    reserves_from,
)

ENTRIES = [
    JournalEntry(0, "c", "tariff", "icb", "acute", 1_000, "tariff_payment", "nel"),
    JournalEntry(0, NO_CONTRACT, "delivery_cost", "acute", STAFF_AND_SUPPLIERS, 700, "costs"),
    JournalEntry(1, NO_CONTRACT, "dispute", "icb", ADVISERS, 50, "transaction_costs"),
    JournalEntry(1, "c", "write_off", "acute", WRITTEN_OFF, 20, "write_off"),
]


def test_reserves_are_initial_plus_entries_to_minus_entries_from():
    initial = {"icb": 10_000, "acute": 500}
    assert reserves_from(initial, ENTRIES) == {"icb": 8_950, "acute": 780}
    assert reserves_from(initial, ENTRIES, upto_period=0) == {"icb": 9_000, "acute": 800}


def test_outside_accounts_are_not_organisations_with_reserves():
    rebuilt = reserves_from({"icb": 0, "acute": 0}, ENTRIES)
    assert set(rebuilt) == {"icb", "acute"}


def test_money_paid_outside_by_account_and_line_item():
    assert outside_flows(ENTRIES) == {
        (STAFF_AND_SUPPLIERS, "delivery_cost"): 700,
        (ADVISERS, "dispute"): 50,
        (WRITTEN_OFF, "write_off"): 20,
    }


def test_entries_to_outside_accounts_are_checked_like_any_other():
    assert check_entries(ENTRIES) == []
    bad = JournalEntry(0, NO_CONTRACT, "delivery_cost", "acute", STAFF_AND_SUPPLIERS, 7.5, "c")
    assert [e.message for e in check_entries([bad])] == ["amount 7.5 is not integer pence"]
