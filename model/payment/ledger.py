"""The double-entry ledger: immutable journal entries in integer pence.

Every payment the payment core settles is one :class:`JournalEntry`: a transfer
of a positive whole number of pence from a payer to a payee, stamped with the
period, the contract, the line item and the rule that produced it. A transfer
has two postings (``-amount`` on the payer, ``+amount`` on the payee), so each
entry balances to exactly zero by construction and any figure in a report can
be traced back to the entries behind it.

Balances are never stored beside the entries: they are derived by grouping and
summing (Beancount's ``realize``), so there is only one truth.

Money also leaves the organisations of the model: to the staff and suppliers who
deliver care, to advisers, and as debts written off. Each is a named **outside
account** (:data:`OUTSIDE_ACCOUNTS`), so that every change to an organisation's
reserves is an entry and its reserves are its initial reserves plus the entries
to it minus the entries from it (:func:`reserves_from`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

# Parties outside the model, as ledger accounts (docs/payment-core.md, "Outside accounts").
STAFF_AND_SUPPLIERS = "staff_and_suppliers"  # pay, agency staff, drugs, estates: delivery
ADVISERS = "advisers"  # staff time and advisers' fees: negotiation, rebargaining, disputes
WRITTEN_OFF = "written_off"  # debts that will never be paid (a failed lead's delayed payments)
OUTSIDE_ACCOUNTS = frozenset({STAFF_AND_SUPPLIERS, ADVISERS, WRITTEN_OFF})
# the contract field of money an organisation spends on its own account, under no contract
NO_CONTRACT = "no_contract"


class Posting(NamedTuple):
    """One side of a transfer: an account (an organisation) and a signed amount in pence."""

    account: str
    amount: int


class JournalEntry(NamedTuple):
    """One payment between two organisations, or an organisation and an outside account.

    Fields:
        period: the simulation period (0-based) in which the payment is settled.
        contract: name of the contract whose terms produced it (:data:`NO_CONTRACT`
            for money spent on an organisation's own account).
        line_item: what the money is for (``block``, ``tariff``, ``outcome_payment``,
            ``gain_share``, ``pain_share``, ``subcontract`` ...; to outside accounts
            ``delivery_cost``, ``integration_work``, ``outcome_work``, ``gaming``,
            ``returned_services``,
            ``contract_management``, ``outcome_monitoring``, ``transaction_cost``,
            ``dispute``, ``write_off``).
        payer: organisation the money leaves.
        payee: organisation the money reaches.
        amount: pence, a positive ``int`` (a refund is an entry the other way round);
            settling R replications at once, an ``int64`` array of pence >= 0, one per
            replication, 0 where that replication makes no such payment.
        rule: the settlement primitive that computed it (for the audit trail).
        note: free text for the teaching trace (e.g. ``"Q2 reconciliation"``); settling R
            replications at once, a :class:`RowNote` where the text quotes figures that
            differ between them.
    """

    period: int
    contract: str
    line_item: str
    payer: str
    payee: str
    amount: int
    rule: str
    note: str = ""

    @property
    def postings(self) -> tuple[Posting, Posting]:
        return (Posting(self.payer, -self.amount), Posting(self.payee, self.amount))


class RowNote(NamedTuple):
    """The note of an entry settled for many replications at once whose figures differ
    between them: ``render`` given one replication's values is the text its entry would
    carry had it been settled alone (``text``)."""

    render: Callable[..., str]
    values: dict[str, Any]

    def text(self, index: int) -> str:
        return self.render(
            **{
                k: v[index].item() if isinstance(v, np.ndarray) else v
                for k, v in self.values.items()
            }
        )


def row_note(render: Callable[..., str], **values: Any) -> str | RowNote:
    """``render(**values)``, the note's text; a :class:`RowNote` when a value is an array
    over replications (each replication's text is made when its ledger is read)."""
    if any(isinstance(v, np.ndarray) for v in values.values()):
        return RowNote(render, values)
    return render(**values)


class LedgerError(NamedTuple):
    """A problem found by :func:`check_entries`, returned as a value (never raised)."""

    entry: JournalEntry
    message: str


def check_entries(entries: Iterable[JournalEntry]) -> list[LedgerError]:
    """Check every entry: integer pence, strictly positive, two distinct parties.

    Returns the list of errors (empty when the ledger is sound). A transfer with
    an integer amount balances by construction; what can go wrong is a float
    that slipped in, a zero or negative amount, or a payment to oneself.
    """
    errors: list[LedgerError] = []
    for entry in entries:
        if type(entry.amount) is not int:
            errors.append(LedgerError(entry, f"amount {entry.amount!r} is not integer pence"))
        elif entry.amount <= 0:
            errors.append(LedgerError(entry, f"amount {entry.amount} is not positive"))
        if entry.payer == entry.payee:
            errors.append(LedgerError(entry, f"payer and payee are both {entry.payer!r}"))
        if not entry.contract or not entry.line_item:
            errors.append(LedgerError(entry, "entry has no contract or line item"))
    return errors


def net_position(entries: Iterable[JournalEntry], upto_period: int | None = None) -> dict[str, int]:
    """Net money received (positive) or paid (negative) by each organisation.

    The values always sum to zero: money is neither created nor lost.
    """
    return balances(entries, key=lambda posting, entry: posting.account, upto_period=upto_period)


def balances(
    entries: Iterable[JournalEntry],
    key: Callable[[Posting, JournalEntry], object],
    upto_period: int | None = None,
) -> dict:
    """Sum postings grouped by ``key(posting, entry)``, for entries up to a period.

    ``key`` picks the grouping, e.g. ``lambda p, e: (p.account, e.line_item)`` for
    each organisation's money by line item.
    """
    totals: dict = defaultdict(int)
    for entry in entries:
        if upto_period is not None and entry.period > upto_period:
            continue
        for posting in entry.postings:
            totals[key(posting, entry)] += posting.amount
    return dict(totals)


def reserves_from(
    initial: dict[str, int], entries: Iterable[JournalEntry], upto_period: int | None = None
) -> dict[str, int]:
    """Each organisation's reserves rebuilt from the ledger alone: its initial reserves
    plus the entries to it minus the entries from it (outside accounts left out).

    The model's reserves change only by posting entries, so this must equal them to
    the penny at every period; a reserve moved any other way breaks the equality.
    """
    net = net_position(entries, upto_period)
    return {name: amount + net.get(name, 0) for name, amount in initial.items()}


def outside_flows(entries: Iterable[JournalEntry]) -> dict[tuple[str, str], int]:
    """Pence paid to (+) or received from (-) each outside account, by line item."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        if entry.payee in OUTSIDE_ACCOUNTS:
            totals[entry.payee, entry.line_item] += entry.amount
        if entry.payer in OUTSIDE_ACCOUNTS:
            totals[entry.payer, entry.line_item] -= entry.amount
    return dict(totals)


def received_by(entries: Iterable[JournalEntry], organisation: str) -> int:
    """Gross pence an organisation received (not netted against what it paid)."""
    return sum(e.amount for e in entries if e.payee == organisation)


def paid_by(entries: Iterable[JournalEntry], organisation: str) -> int:
    """Gross pence an organisation paid out."""
    return sum(e.amount for e in entries if e.payer == organisation)
