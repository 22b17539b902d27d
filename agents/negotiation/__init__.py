"""Pre-contract negotiation: a process over months that ends agreed, scaled down or abandoned.

MODEL.md s3 step 1. The commissioner proposes a design (vehicle, members, outcome-linked
share, gain and pain shares, savings target, duration). Every party values it against its
outside option, the status quo, in certainty equivalents as a share of its own annual
income; the members decide whether to join the alliance at all and whether to share its
risk; the savings target is bargained by Zeuthen's concession protocol, whose limit is the
asymmetric Nash bargaining solution; months cost staff time and fees, boards approve at the
pace of the slowest, and outside shocks reopen, reshape or end the deal.

The package keeps a module per job; this module keeps the import path
``alliancesim.agents.negotiation`` and every name it has always offered:

- :mod:`.inputs`: the parties, the commissioner's proposal, the economics, ``Decide``;
- :mod:`.valuation`: certainty equivalents of a risk share, an outcome-linked withhold and
  the overlay, and what the package on the table is worth to each side;
- :mod:`.overlay`: joining in full, the overlay alone, or withdrawing; whether the deal
  can go on;
- :mod:`.bargaining`: Nash and Zeuthen rules, the risk-share screen and the rounds over
  the savings target;
- :mod:`.outcome_share`: the outcome-linked share conceded until it is accepted;
- :mod:`.timeline`: each month's cost, the boards' approvals, the deadline;
- :mod:`.shocks`: outside shocks (Weibull hazard) and the reviews they set off;
- :mod:`.agreement`: the result constants, :class:`Agreement` and how the talks close;
- :mod:`.talks`: :class:`Negotiation`, the stages in order, and :func:`negotiate`;
- :mod:`.from_scenario`: a negotiation set up from a scenario, :func:`negotiate_scenario`;
- :mod:`.rebargain`: rebargaining the target mid-contract from a running model;
- :mod:`.summary`: negotiations across runs.

Everything here is plain-Python scalar maths on the model's ``random`` stream; a
negotiation costs well under a millisecond.
"""

from __future__ import annotations

from alliancesim.agents.negotiation.agreement import (
    ABANDONED,
    AGREED,
    RESULTS,
    SCALED_DOWN,
    Agreement,
)
from alliancesim.agents.negotiation.bargaining import (
    bargaining_power,
    nash_product,
    nash_split,
    zeuthen_concedes,
)
from alliancesim.agents.negotiation.from_scenario import (
    economics_from_scenario,
    negotiate_scenario,
    parties_from_scenario,
    proposal_from_spec,
    scenario_trust,
    scope_values,
    subcontracted,
)
from alliancesim.agents.negotiation.inputs import Decide, Economics, Party, Proposal
from alliancesim.agents.negotiation.rebargain import parties_from_model, rebargain_target
from alliancesim.agents.negotiation.shocks import shock_probability
from alliancesim.agents.negotiation.summary import format_summary, summarise
from alliancesim.agents.negotiation.talks import Negotiation, describe_proposal, negotiate
from alliancesim.agents.negotiation.timeline import approval_pace, negotiation_cost_month
from alliancesim.agents.negotiation.valuation import (
    Z_95,
    expected_positive,
    normal_cdf,
    normal_pdf,
    one_in_twenty_loss,
    outcome_value,
    overlay_value,
    promise_honoured,
    risk_share_value,
)

__all__ = [
    "ABANDONED",
    "AGREED",
    "RESULTS",
    "SCALED_DOWN",
    "Z_95",
    "Agreement",
    "Decide",
    "Economics",
    "Negotiation",
    "Party",
    "Proposal",
    "approval_pace",
    "bargaining_power",
    "describe_proposal",
    "economics_from_scenario",
    "expected_positive",
    "format_summary",
    "nash_product",
    "nash_split",
    "negotiate",
    "negotiate_scenario",
    "negotiation_cost_month",
    "normal_cdf",
    "normal_pdf",
    "one_in_twenty_loss",
    "outcome_value",
    "overlay_value",
    "parties_from_model",
    "parties_from_scenario",
    "promise_honoured",
    "proposal_from_spec",
    "rebargain_target",
    "risk_share_value",
    "scenario_trust",
    "scope_values",
    "shock_probability",
    "subcontracted",
    "summarise",
    "zeuthen_concedes",
]
