"""What the model lacks, pattern by pattern: written by people, read by the tests and
the validation page.

``MISSING`` names the mechanism a failing pattern needs (pytest marks it
``xfail(strict=True)`` with this reason, so an unexpected pass is noticed as well as a
new failure). ``UNTIED`` names the patterns that pass with their mechanism knocked
out, and what else produces them. Keep both in step with ``alliancesim validate``.
"""

from __future__ import annotations

MISSING: dict[str, str] = {
    "V10": "(a) dilution and (b) trust hold; (c) fails: 'dominant' is made by tripling the "
    "acute unit costs, which also makes the shift worth more, and no mechanism lets a "
    "dominant member's voice lower the others' cooperation in an imposed alliance",
    "V15": "beds and placements fall 18% but year-3 spend falls ~5%, not 20-25%: no "
    "decommissioning of bed-based fixed cost, contract running costs, and the 23% envelope "
    "is bargained down to ~1.4% (providers believe integration saves the generic 5% a year)",
}

UNTIED: dict[str, str] = {}
