"""What the model lacks, pattern by pattern: written by people, read by the tests and
the validation page.

``MISSING`` names the mechanism a failing pattern needs (pytest marks it
``xfail(strict=True)`` with this reason, so an unexpected pass is noticed as well as a
new failure). ``UNTIED`` names the patterns that pass with their mechanism knocked
out, and what else produces them. Keep both in step with ``alliancesim validate``.
"""

from __future__ import annotations

MISSING: dict[str, str] = {
    "V2": "no scale effect: at trust 0.7, P(financial model agreed) barely moves with value "
    "(40k-120k people), scope (2-4 members) or duration (3-15 years); the 1-in-20 loss screen "
    "and the CARA variance term are too small against the reserves to turn members away",
    "V5": "the small parties who choose (GP federation, small trusts) decline loss sharing no "
    "more often than the large statutory bodies: reserves, risk appetite and income at stake "
    "do not separate them; only the charities' constitutional bar (an input) keeps anyone out",
    "V7": "leniency makes the money soft (forfeited share falls with leniency), but the "
    "negotiated outcome share is ~0.9%, just under 1-3%: the commissioner halves the share "
    "(15 -> 7.5 -> 3.75 -> 1.9 -> 0.94%) and the members accept only the last step",
    "V10": "(a) each member's financial incentive falls with N (s/N), though its effort rises "
    "with N (more ties, more reciprocity), and (b) trust holds; (c) fails: 'dominant' is "
    "made by tripling the acute unit costs, which also makes the shift worth more, and no "
    "mechanism lets a dominant member's money and casting voice lower the others' "
    "cooperation",
    "V11": "subcontractors are squeezed, but the commissioner's capability decays whenever "
    "a lead vehicle exists (agents/commissioner.py monitor, keyed on lead_in_place) and not "
    "with the services it no longer sees: the slope on the number subcontracted is zero",
    "V14": "the model's governance is slower under unanimity (deterministic: boards' paces "
    "are fixed by kind) but passed covers do not favour the largest member under majority: "
    "cover votes follow trust and surplus, not size, so there is no dominance to curb",
    "V15": "beds and placements fall ~14% but year-3 spend falls ~4%, not 20-25%: no "
    "decommissioning of bed-based fixed cost, contract running costs, and the 23% envelope "
    "is bargained down to ~1.4% (providers believe integration saves the generic 5% a year)",
    "V16": "the overlay signs in every negotiation, but bed use falls ~0.1%, not ~20%: with no "
    "money at stake and no relational tie from the overlay's terms, members change almost "
    "no services (length of stay is not modelled apart from bed days)",
    "V17": "every party, the lead included, refuses to join at its first decision (month ~8): "
    "at the preset's low trust (0.35-0.5) the fear that its money is lost in the system "
    "outweighs the joint work for all, so nothing is signed; the model has no path to the "
    "JV of the lead and the GP federation as the fallback of the wider talks",
}

UNTIED: dict[str, str] = {
    "V1": "the saving a party expects is the belief scaled by its trust in its partners "
    "(negotiation expected_saving): at trust 0.3 a gain/pain share is a losing bet whatever "
    "its risk aversion, so the pattern holds with the risk-aversion channel off; no user "
    "switch takes trust out of the valuation",
    "V9": "the loser's income falls by the arithmetic of the terms (the shift takes tariff "
    "income away), and with the payment incentive off the acute trust still works less than "
    "its partners: its resistance does not come from its margin",
}

# Diagnoses the page shows that mark no test: a pattern whose verdict differs between
# the quick run (the tests) and the full run (the page).
FULL_RUN_ONLY: dict[str, str] = {
    "V6": "in the full run (400 seeds) sharing still adds 0.035 joining providers with risk "
    "aversion off, most likely because halving each provider's pain share also eases the "
    "reserve-cover and loss-fear screens of the valuation, which are not risk aversion (not "
    "yet checked by knocking those out); the quick run (8 seeds) cannot see an effect that "
    "small",
}
