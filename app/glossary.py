"""Plain-words explanations of the ledger's line items, shown as tooltips.

Each entry paraphrases a term of docs/glossary.md (named in ``TERMS``, so
tests/app/test_classroom.py can check the glossary still has it).
"""

from __future__ import annotations

# line item -> (glossary term, explanation)
TERMS: dict[str, tuple[str, str]] = {
    "tariff": (
        "Payment by Results",
        "A national price paid for each unit of activity: the commissioner carries the risk "
        "of rising activity and the provider has an incentive to admit.",
    ),
    "block": (
        "Block contract",
        "A fixed sum paid whatever the number of patients treated: the provider carries the "
        "demand risk.",
    ),
    "capitation": (
        "Capitation",
        "A fixed sum per person for most or all of their care; the holder keeps any saving "
        "if care costs less, and carries any overspend.",
    ),
    "subcontract": (
        "Subcontract",
        "A payment from the lead or prime to another provider in its supply chain.",
    ),
    "outcome_payment": (
        "Withhold",
        "Money held back and paid only as the outcome targets are met (a withhold or an "
        "outcome pot).",
    ),
    "gain_share": (
        "Gain share / pain share",
        "Part of an underspend against the target, paid out to the parties sharing risk.",
    ),
    "pain_share": (
        "Gain share / pain share",
        "Part of an overspend against the target, borne by the parties sharing risk.",
    ),
    "netting": (
        "Netting-off",
        "At the year end, members' underspends cover other members' overspends before "
        "anything else happens.",
    ),
    "underspend_first_call": (
        "Order of calls on underspends",
        "The agreed first use of an underspend at the year end (for example: back to the "
        "commissioners, or to cover partners' overspends).",
    ),
    "management_fee": (
        "Management fee",
        "The payment to a prime contractor for running the supply chain.",
    ),
    "fee": (
        "Fee",
        "The alliance's payment for overheads and profit; also the usual cap on a pain share.",
    ),
    "blended": (
        "Blended payment / API",
        "A fixed payment for planned activity plus a variable share of the price for "
        "activity above or below plan.",
    ),
    "blended_reconciliation": (
        "Blended payment / API",
        "The quarterly true-up of a blended payment to the activity actually delivered.",
    ),
    "cost_true_up": (
        "Cost reimbursement plus fee",
        "Settling reimbursed costs to what they actually were (limb 1).",
    ),
    "takeback_premium": (
        "Relief",
        "The premium the commissioner pays to take back a handed-back contract's services "
        "while it re-procures them.",
    ),
    "informal_cover": (
        "Netting-off",
        "Alliance partners covering a member's overspend from their own underspends, by "
        "agreement during the year.",
    ),
    "delivery_cost": (
        "Delivery cost",
        "The provider's cost of running the line this month (staff and suppliers): a fixed "
        "part to plan and a variable part to activity.",
    ),
    "integration_work": (
        "Outside accounts",
        "Staff time the provider spends on joint work with its partners (multidisciplinary "
        "teams, data sharing), paid to its staff.",
    ),
    "outcome_work": (
        "Outside accounts",
        "Work on the measured outcomes, paid to the provider's staff.",
    ),
    "gaming": (
        "Gaming",
        "Staff time spent making the reported outcomes look better than the real ones.",
    ),
    "returned_services": (
        "Outside accounts",
        "What the commissioner pays, at a premium, to run a failed or departed provider's "
        "services itself.",
    ),
    "contract_management": (
        "Transaction costs",
        "The commissioner's cost of managing a contract for the month.",
    ),
    "outcome_monitoring": (
        "Transaction costs",
        "The commissioner's cost of measuring the outcome metrics it pays on.",
    ),
    "transaction_cost": (
        "Transaction costs",
        "Staff time and advisers' fees for negotiating or rebargaining the contract.",
    ),
    "dispute": (
        "Transaction costs",
        "Advisers' and staff time for a dispute over a pain share, by level of escalation.",
    ),
    "write_off": (
        "Write-off",
        "A debt that will never be paid, such as the payments a failed lead had delayed.",
    ),
    "relief": (
        "Relief",
        "Extra money the commissioner grants a contract holder that asked for it.",
    ),
    "settle_on_exit": (
        "Subcontract",
        "A lead paying what it had delayed to a subcontractor that has left.",
    ),
}

# rules settled once a year rather than every month (the year-end reconciliation)
YEAR_END_ITEMS = {"netting", "underspend_first_call", "gain_share", "pain_share", "outcome_payment"}


def explain(line_item: str) -> str:
    """The tooltip for a line item: the glossary term and what it means."""
    term = TERMS.get(line_item)
    if term is None:
        return line_item.replace("_", " ")
    return f"{term[0]}: {term[1]}"
