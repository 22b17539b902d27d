"""The tables ``run`` prints and ``report.md`` shows, for a policy analyst.

Two tables, both tidy (one row per contract model, organisation and measure)
so that ``--format csv|json`` can hand them to scripts, and both printable in
under 100 columns:

- the **policy table**: per contract model, commissioner spend and the saving
  against the status quo (£m over the stated horizon, and %), the fall in acute
  activity and the outcome index, each with its 95% interval over replications
  (simulation noise only: the spread of the mean over random seeds, not
  uncertainty in the model's priors, and the heading says the results are
  conditional on the priors; under ``run --posterior`` the interval adds the
  parameter uncertainty, see :func:`analysis.posterior_interval`);
- the **risk table**, who carries the risk: each provider's cumulative surplus or
  deficit, the pain it paid and the gain it received under a risk share, how
  often it failed or exited, and the commissioners' returned risk.

Money is nominal: pounds of each year as paid, neither deflated nor discounted.
A short plain-language reading (:func:`reading`) is generated from the numbers.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from alliancesim.experiments.analysis import (
    MODEL,
    models_in_order,
    posterior_interval,
    t_interval,
    with_savings,
)

INTERVAL_NAME = "95% interval (simulation noise)"
POSTERIOR_INTERVAL_NAME = "95% interval (parameters and simulation noise)"
#: One line saying results at fixed priors are conditional on them (run and report.md).
CONDITIONAL = (
    "At fixed behavioural priors (the scenario's values): results are conditional on them; "
    "see --posterior."
)
#: Run columns a posterior run adds: the draw of each run and its prior setting (the
#: particle drawn, or the first particle with the same values).
DRAW_KEYS = ("draw", "setting")
NO_INTERVAL = "no interval (1 replication)"
NOMINAL = "nominal (cash as paid each year; not adjusted for inflation or discounted)"
PERIOD_NAMES = {12: ("month", "months"), 4: ("quarter", "quarters"), 52: ("week", "weeks")}
#: Event kinds counted as a failure or an exit (hand-back) of an organisation.
FAILURE_KINDS = ("failure",)
EXIT_KINDS = ("exit", "hand_back", "handback", "termination")
#: Ledger line items of a risk share: pain a provider pays the commissioners, gain
#: (a share of the underspend, and the underspend's first call on members' overspends)
#: the commissioners pay a provider.
PAIN_ITEMS = ("pain_share",)
GAIN_ITEMS = ("gain_share", "underspend_first_call")
COMMISSIONERS = "commissioners"
WIDTH = 99  # printed lines stay under 100 columns
TIDY_COLUMNS = ["table", MODEL, "row", "measure", "unit", "mean", "ci_low", "ci_high", "n"]
#: Under --posterior the tidy rows add the two parts of the interval (half-widths).
PART_COLUMNS = ["param_low", "param_high", "param_half", "noise_half"]


@dataclass(frozen=True)
class Measure:
    """One column of the policy table: a run column, how to show it, what it means."""

    column: str
    header: tuple[str, str]
    unit: str
    scale: float
    digits: int
    baseline_blank: bool = False  # the status quo's own value is meaningless (0 by design)


POLICY_MEASURES = (
    Measure("spend_pence", ("Commissioner", "spend £m"), "£m", 1e-8, 1),
    Measure("savings_pence", ("Saving £m vs", "status quo"), "£m", 1e-8, 1, True),
    Measure("savings_share", ("Saving %", "of spend"), "%", 100.0, 2, True),
    Measure("acute_shift", ("Fall in acute", "activity %[2]"), "%", 100.0, 1, True),
    Measure("outcome_true", ("Outcome", "index[1]"), "index 0-1", 1.0, 3),
)


@dataclass(frozen=True)
class Context:
    """What the tables need to say about the run: horizon, baseline, replications."""

    name: str
    status_quo: str
    periods: int
    periods_per_year: int
    reps: int
    seed: int | None
    outcome_base: float | None = None
    posterior: str | None = None  # the posterior folder as given (run --posterior)
    draws: int = 0  # posterior draws (K)

    @classmethod
    def from_scenario(
        cls,
        scenario: dict[str, Any],
        reps: int,
        seed: int | None,
        posterior: dict[str, Any] | None = None,
    ) -> Context:
        """From a scenario record (``Scenario.model_dump`` or the manifest's ``scenario``)
        and, for a run over a posterior, the manifest's ``posterior`` record."""
        meta = scenario.get("scenario") or {}
        economy = scenario.get("economy") or {}
        return cls(
            name=str(meta.get("name", "run")),
            status_quo=str(meta.get("status_quo", "status_quo")),
            periods=int(economy.get("periods") or 120),
            periods_per_year=int(economy.get("periods_per_year") or 12),
            reps=int(reps),
            seed=seed,
            outcome_base=economy.get("outcome_base"),
            posterior=str(posterior.get("folder")) if posterior else None,
            draws=int(posterior.get("draws") or 0) if posterior else 0,
        )

    @property
    def horizon(self) -> str:
        """E.g. "over 10 years (120 months)"."""
        one, many = PERIOD_NAMES.get(self.periods_per_year, ("period", "periods"))
        years = self.periods / self.periods_per_year
        year_text = f"{years:g} year{'' if years == 1 else 's'}"
        return f"over {year_text} ({self.periods} {one if self.periods == 1 else many})"

    @property
    def interval(self) -> str:
        if self.reps < 2:
            return NO_INTERVAL
        return POSTERIOR_INTERVAL_NAME if self.posterior else INTERVAL_NAME

    @property
    def priors_line(self) -> str:
        """One line: over which prior settings the results hold."""
        if not self.posterior:
            return CONDITIONAL
        return (
            f"Over the posterior in {self.posterior}: {self.draws} draw"
            f"{'s' if self.draws != 1 else ''} of the behavioural priors, the replications "
            "shared out over them."
        )


# ------------------------------------------------------------------ tidy tables
LEDGER_COLUMNS = [
    "point_id", "replication", "seed", *DRAW_KEYS, MODEL, "line_item", "payer", "payee", "amount",
]  # fmt: skip
EVENT_COLUMNS = ["point_id", "replication", "seed", *DRAW_KEYS, MODEL, "actor", "kind"]


def read_columns(path: Any, columns: list[str]) -> pd.DataFrame | None:
    """The columns of a Parquet table that it has, or None when there is no table."""
    import pyarrow.parquet as pq

    if not path.is_file():
        return None
    present = set(pq.read_schema(path).names)
    return pd.read_parquet(path, columns=[c for c in columns if c in present])


def risk_inputs(out_dir: Any) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The ledger and events columns the risk table needs, from a run directory."""
    return (
        read_columns(out_dir / "ledger.parquet", LEDGER_COLUMNS),
        read_columns(out_dir / "events.parquet", EVENT_COLUMNS),
    )


def _row(
    table: str,
    model: str,
    row: str,
    measure: str,
    unit: str,
    values: Any,
    draws: pd.DataFrame | None = None,
) -> dict:
    """One tidy row. With ``draws`` (the ``draw`` and ``setting`` of each value, in
    the same order) the interval is :func:`analysis.posterior_interval`, and the row
    keeps its two parts; otherwise the t-interval of simulation noise alone."""
    numbers = pd.Series(values, dtype=float).to_numpy()
    if draws is None:
        ci = t_interval(numbers)
    else:
        ci = posterior_interval(numbers, draws["draw"].to_numpy(), draws["setting"].to_numpy())
    found = {
        "table": table,
        MODEL: model,
        "row": row,
        "measure": measure,
        "unit": unit,
        "mean": ci["mean"],
        "ci_low": ci["ci_low"],
        "ci_high": ci["ci_high"],
        "n": ci["n"],
    }
    if draws is not None:
        found.update({k: ci[k] for k in PART_COLUMNS})
    return found


def over_posterior(frame: pd.DataFrame) -> bool:
    """Whether run rows come from a run over a posterior (they carry draw and setting)."""
    return set(DRAW_KEYS) <= set(frame.columns)


def _draws_of(frame: pd.DataFrame) -> pd.DataFrame | None:
    return frame[list(DRAW_KEYS)].reset_index(drop=True) if over_posterior(frame) else None


def _frame(rows: list[dict]) -> pd.DataFrame:
    parts = PART_COLUMNS if any("param_half" in r for r in rows) else []
    return pd.DataFrame(rows, columns=[*TIDY_COLUMNS, *parts])


def policy_table(runs: pd.DataFrame, status_quo: str = "status_quo") -> pd.DataFrame:
    """Per contract model and measure: mean and 95% interval, in display units."""
    runs = with_savings(runs, status_quo)
    rows = []
    for model in models_in_order(runs, status_quo):
        frame = runs[runs[MODEL] == model]
        for m in POLICY_MEASURES:
            if m.column in frame.columns:
                values = frame[m.column].astype(float) * m.scale
                rows.append(_row("policy", model, "", m.column, m.unit, values, _draws_of(frame)))
    return _frame(rows)


def providers_of(runs: pd.DataFrame) -> list[str]:
    prefix = "surplus_pence__"
    return [c.removeprefix(prefix) for c in runs.columns if c.startswith(prefix)]


def _run_keys(frame: pd.DataFrame) -> list[str]:
    return [k for k in ("point_id", "replication", "seed", *DRAW_KEYS) if k in frame.columns]


def _share_of_runs(events: pd.DataFrame | None, runs: pd.DataFrame, model: str, who: str,
                   kinds: Iterable[str]) -> pd.DataFrame:  # fmt: skip
    """Per run of ``model`` (its keys), ``_value`` 1 when ``who`` had an event of
    ``kinds`` in it, else 0."""
    keys = _run_keys(runs)
    own = runs.loc[runs[MODEL] == model, keys].reset_index(drop=True)
    if events is None or events.empty or not {"actor", "kind"} <= set(events.columns):
        return own.assign(_value=0.0)
    hit = events[(events[MODEL] == model) & (events["actor"] == who)]
    hit = hit[hit["kind"].isin(list(kinds))][keys].drop_duplicates()
    flagged = own.merge(hit.assign(_value=1.0), on=keys, how="left")
    return flagged.fillna({"_value": 0.0}).reset_index(drop=True)


def _ledger_by_run(ledger: pd.DataFrame | None, model: str, items: Iterable[str], side: str,
                   who: str | None) -> pd.DataFrame | None:  # fmt: skip
    """Per sampled run (with a ledger) of ``model`` (its keys), ``_value`` the pence of
    ``items`` paid (side=payer) or received (side=payee)."""
    if ledger is None or ledger.empty or "line_item" not in ledger.columns:
        return None
    own = ledger[ledger[MODEL] == model]
    keys = _run_keys(own)
    runs = own[keys].drop_duplicates()
    if runs.empty:
        return None
    picked = own[own["line_item"].isin(list(items))]
    if who is not None:  # else every payer or payee: all the commissioners together
        picked = picked[picked[side] == who]
    sums = picked.groupby(keys)["amount"].sum().rename("_value").reset_index()
    merged = runs.merge(sums, on=keys, how="left").reset_index(drop=True)
    merged["_value"] = merged["_value"].fillna(0).astype(float)
    return merged


def risk_table(
    runs: pd.DataFrame,
    status_quo: str = "status_quo",
    ledger: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Who carries the risk, per contract model and organisation (tidy, £m and %).

    Measures: ``surplus`` (cumulative surplus + or deficit - over the horizon, on
    an accruals basis, from runs.parquet), ``pain_paid`` and ``gain_received``
    (risk-share money, from the runs whose ledger was kept), ``failed`` and
    ``exited`` (% of runs with such an event). The ``commissioners`` row holds
    ``returned_risk`` (the cost of taking back a failed provider's patients),
    ``pain_received`` and ``gain_paid``. Runs over a posterior (``draw`` and
    ``setting`` columns) get the posterior interval with its two parts.
    """
    rows = []
    providers = providers_of(runs)
    pounds = 1e-8
    for model in models_in_order(runs, status_quo):
        frame = runs[runs[MODEL] == model]
        draws = _draws_of(frame)
        for org in providers:
            surplus = frame[f"surplus_pence__{org}"].astype(float) * pounds
            rows.append(_row("risk", model, org, "surplus", "£m", surplus, draws))
            for measure, items in (("pain_paid", PAIN_ITEMS), ("gain_received", GAIN_ITEMS)):
                side = "payer" if measure == "pain_paid" else "payee"
                money = _ledger_by_run(ledger, model, items, side, org)
                if money is not None:
                    rows.append(
                        _row(
                            "risk",
                            model,
                            org,
                            measure,
                            "£m",
                            money["_value"] * pounds,
                            _draws_of(money),
                        )  # fmt: skip
                    )
            for measure, kinds in (("failed", FAILURE_KINDS), ("exited", EXIT_KINDS)):
                share = _share_of_runs(events, runs, model, org, kinds)
                rows.append(
                    _row(
                        "risk",
                        model,
                        org,
                        measure,
                        "% of runs",
                        share["_value"] * 100,
                        _draws_of(share),
                    )  # fmt: skip
                )
        if "returned_risk_pence" in frame.columns:
            returned = frame["returned_risk_pence"].astype(float) * pounds
            rows.append(_row("risk", model, COMMISSIONERS, "returned_risk", "£m", returned, draws))
        for measure, items, side in (
            ("pain_received", PAIN_ITEMS, "payee"),
            ("gain_paid", GAIN_ITEMS, "payer"),
        ):
            money = _ledger_by_run(ledger, model, items, side, None)
            if money is not None:
                rows.append(
                    _row(
                        "risk",
                        model,
                        COMMISSIONERS,
                        measure,
                        "£m",
                        money["_value"] * pounds,
                        _draws_of(money),
                    )  # fmt: skip
                )
    return _frame(rows)


def decomposition_tidy(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The decomposition table in the common tidy shape (£m)."""
    if decomposition is None or decomposition.empty:
        return pd.DataFrame(columns=TIDY_COLUMNS)
    return pd.DataFrame(
        {
            "table": "decomposition",
            MODEL: decomposition[MODEL],
            "row": decomposition["component"],
            "measure": "saving_contribution",
            "unit": "£m",
            "mean": decomposition["mean_pence"] / 1e8,
            "ci_low": decomposition["ci_low_pence"] / 1e8,
            "ci_high": decomposition["ci_high_pence"] / 1e8,
            "n": decomposition["n"],
        },
        columns=TIDY_COLUMNS,
    )


# ------------------------------------------------------------------ printing
def _number(value: float, digits: int) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{round(value, digits) + 0.0:,.{digits}f}"


def _cell(row: pd.Series | None, digits: int, single: bool) -> str:
    if row is None:
        return ""
    text = _number(row["mean"], digits)
    half = (row["ci_high"] - row["ci_low"]) / 2
    if single or not math.isfinite(half):
        return text
    if "param_half" in row.index:  # over a posterior the interval can be lopsided
        return f"{text} {_range(row, digits, 99)}"
    return f"{text} ± {_number(half, digits)}"


def _lookup(table: pd.DataFrame) -> dict[tuple[str, str, str], pd.Series]:
    return {(r[MODEL], r["row"], r["measure"]): r for _, r in table.iterrows()}


def _range(row: pd.Series | None, digits: int, room: int) -> str:
    """'[low, high]' in at most ``room`` characters (fewer decimals if need be)."""
    if row is None or not math.isfinite(row["ci_low"]):
        return ""
    for shown in range(digits, -1, -1):
        text = f"[{_number(row['ci_low'], shown)}, {_number(row['ci_high'], shown)}]"
        if len(text) <= room:
            break
    return text


def format_policy_table(table: pd.DataFrame, context: Context) -> str:
    """The printed policy table with its title, units and footnotes (under 100 columns)."""
    if table.empty:
        return "(no runs)"
    single = context.reps < 2
    found = _lookup(table)
    models = list(dict.fromkeys(table[MODEL]))
    measures = [m for m in POLICY_MEASURES if m.column in set(table["measure"])]
    name_width = max(16, *(len(m) + 2 for m in models))
    width = 15 if single else 16
    header = [f"{'':<{name_width}}", f"{'contract model':<{name_width}}"]
    for m in measures:
        header[0] += f"{m.header[0]:>{width}}"
        header[1] += f"{m.header[1]:>{width}}"
    lines = [
        f"{context.name}: contract models compared {context.horizon}, "
        f"{context.reps} paired replication{'s' if context.reps != 1 else ''}",
        *wrap([context.priors_line]),
        f"Money: £m, {NOMINAL}.",
        (
            f"Cells: mean; {NO_INTERVAL}."
            if single
            else f"Cells: mean, and under it the {context.interval}."
            if context.posterior
            else f"Cells: mean ± half-width of the {context.interval}."
        ),
        "",
        *header,
    ]
    ranges = bool(context.posterior) and not single  # a lopsided interval: [low, high]
    for model in models:
        line = f"{model:<{name_width}}"
        under = f"{'':<{name_width}}"
        for m in measures:
            row = found.get((model, "", m.column))
            if m.baseline_blank and model == context.status_quo:
                cell, below = "baseline", ""
            elif ranges:
                cell = _cell(row, m.digits, True)
                below = _range(row, m.digits, width - 1)
            else:
                cell, below = _cell(row, m.digits, single), ""
            line += f"{cell:>{width}}"
            under += f"{below:>{width}}"
        lines += [line, under] if ranges else [line]
    if context.posterior and not single:
        lines += ["", *interval_parts(found, models, measures, context, name_width, width)]
    lines += ["", *wrap(policy_footnotes(context))]
    return "\n".join(lines)


def interval_parts(
    found: dict, models: list[str], measures: list[Measure], context: Context,
    name_width: int, width: int,
) -> list[str]:  # fmt: skip
    """The two parts of each ± above: parameters (between draws) / noise (within)."""
    lines = [
        *wrap(
            [
                "Of which: parameters ± (half the width of the 95% range of the expected value "
                "over the prior settings) / simulation noise ± (half-width)"
            ]
        ),
        "",
    ]
    for model in models:
        line = f"{model:<{name_width}}"
        for m in measures:
            row = found.get((model, "", m.column))
            if (m.baseline_blank and model == context.status_quo) or row is None:
                cell = ""
            else:
                cell = f"{_number(row['param_half'], m.digits)} / {_number(row['noise_half'], m.digits)}"
            line += f"{cell:>{width}}"
        lines.append(line)
    return lines


def wrap(paragraphs: Iterable[str], indent: str = "    ") -> list[str]:
    """Each paragraph folded to :data:`WIDTH` columns, continuation lines indented."""
    lines = []
    for text in paragraphs:
        lines += textwrap.wrap(text, WIDTH, subsequent_indent=indent) or [""]
    return lines


def policy_footnotes(context: Context) -> list[str]:
    base = (
        f" ({context.outcome_base:g} is the economy's base outcome before any integration)"
        if context.outcome_base is not None
        else ""
    )
    one, _ = PERIOD_NAMES.get(context.periods_per_year, ("period", "periods"))
    return [
        "Commissioner spend: payments to providers plus returned risk, monitoring and "
        "contract costs.",
        f"Saving: {context.status_quo} spend minus the model's spend on the same seed.",
        f"[1] Outcome index: the population's true health outcome on a 0-1 scale, mean over "
        f"each {one}{base}; higher is better.",
        f"[2] Fall in acute activity: hospital activity in the last year, % below the "
        f"{context.status_quo} on the same seed.",
        (
            "The interval combines parameter uncertainty (how far the expected value moves "
            "between the posterior's prior settings) and simulation noise (seed to seed within "
            "a setting); see docs/experiments.md, 'Headlines over a posterior'."
            if context.posterior
            else "The interval is simulation noise only (seed to seed); it leaves out "
            "uncertainty in the model's assumptions (run with --posterior for it)."
        ),
    ]


RISK_HEADER = (
    ("surplus", "Surplus (+) or", "deficit (-) £m", 18, 2),
    ("pain_paid", "Pain", "paid £m", 9, 2),
    ("gain_received", "Gain", "got £m", 9, 2),
    ("failed", "Failed", "% runs", 8, 0),
    ("exited", "Exited", "% runs", 8, 0),
)
COMMISSIONER_HEADER = (
    ("returned_risk", "returned risk £m"),
    ("pain_received", "pain received £m"),
    ("gain_paid", "gain paid £m"),
)


def format_risk_table(table: pd.DataFrame, context: Context) -> str:
    """The printed risk table (under 100 columns): one block per contract model."""
    if table.empty:
        return "(no runs)"
    single = context.reps < 2
    found = _lookup(table)
    measures = set(table["measure"])
    columns = [c for c in RISK_HEADER if c[0] in measures]
    if context.posterior and not single:  # room for 'mean [low, high]'
        columns = [(*c[:3], 24, c[4]) if c[0] == "surplus" else c for c in columns]
    org_width = max(27, *(len(r) + 4 for r in table["row"]))
    ledger_runs = table.loc[table["measure"] == "pain_paid", "n"]
    notes = [
        "Surplus: income minus costs over the horizon, with money owed at the end; "
        + (
            "no interval (1 replication)."
            if single
            else f"[low, high] = {context.interval}."
            if context.posterior
            else f"± = {context.interval}."
        ),
    ]
    if "pain_paid" in measures:
        notes.append(
            "Pain paid / gain got: risk-share money (gain includes the underspend's first call "
            f"on overspends), mean of the {int(ledger_runs.max())} runs with a ledger."
        )
    else:
        notes.append("Pain and gain: not shown (no ledger kept; run with --ledger sample).")
    notes.append(
        "Failed: ran out of reserves; exited: handed its contract back (% of runs in which "
        "it happened)."
    )
    lines = [
        f"Who carries the risk, {context.horizon}: £m, nominal",
        *wrap([context.priors_line]),
        *wrap(notes),
        "",
        f"{'':<{org_width}}" + "".join(f"{c[1]:>{c[3]}}" for c in columns),
        f"{'contract model / provider':<{org_width}}" + "".join(f"{c[2]:>{c[3]}}" for c in columns),
    ]
    for model in dict.fromkeys(table[MODEL]):
        lines.append(str(model))
        orgs = [r for r in dict.fromkeys(table.loc[table[MODEL] == model, "row"])]
        for org in orgs:
            if org == COMMISSIONERS:
                continue
            line = f"  {org:<{org_width - 2}}"
            for measure, _, _, width, digits in columns:
                row = found.get((model, org, measure))
                with_interval = measure == "surplus" and not single
                cell = _cell(row, digits, not with_interval)
                line += f"{cell:>{width}}"
            lines.append(line)
        parts = [
            f"{label} {_cell(found.get((model, COMMISSIONERS, measure)), 2, True)}"
            for measure, label in COMMISSIONER_HEADER
            if (model, COMMISSIONERS, measure) in found
        ]
        if parts:
            lines += wrap([f"  {COMMISSIONERS}: " + ", ".join(parts)], indent="    ")
    return "\n".join(lines)


def reading(policy: pd.DataFrame, risk: pd.DataFrame, context: Context) -> list[str]:
    """A short plain-language reading of the two tables, generated from the numbers."""
    found = _lookup(policy)
    sentences = []
    models = [m for m in dict.fromkeys(policy[MODEL]) if m != context.status_quo]
    sq_outcome = found.get((context.status_quo, "", "outcome_true"))
    ranked = sorted(
        models,
        key=lambda m: (
            -(found[(m, "", "savings_pence")]["mean"]) if (m, "", "savings_pence") in found else 0.0
        ),
    )
    for model in ranked:
        saving = found.get((model, "", "savings_pence"))
        share = found.get((model, "", "savings_share"))
        if saving is None:
            continue
        verb = "spends less than" if saving["mean"] > 0 else "spends more than"
        amount = abs(saving["mean"])
        text = f"{context.horizon.capitalize()}, {model} {verb} the {context.status_quo} by "
        text += f"£{_number(amount, 1)}m"
        if share is not None:
            text += f" ({_number(abs(share['mean']), 1)}% of its spend)"
        if context.reps < 2:
            text += f"; {NO_INTERVAL}."
        elif context.posterior:
            low, high = saving["ci_low"], saving["ci_high"]
            text += (
                f"; 95% interval over the posterior £{_number(low, 1)}m to £{_number(high, 1)}m "
                f"(parameters ±{_number(saving['param_half'], 1)}, "
                f"noise ±{_number(saving['noise_half'], 1)})"
            )
            text += (
                ", which includes no saving at all."
                if low <= 0 <= high
                else ", so the sign holds over the posterior."
            )
        else:
            low, high = saving["ci_low"], saving["ci_high"]
            text += f"; 95% interval £{_number(low, 1)}m to £{_number(high, 1)}m"
            text += (
                ", which includes no saving at all."
                if low <= 0 <= high
                else (", so the difference is not simulation noise.")
            )
        outcome = found.get((model, "", "outcome_true"))
        if outcome is not None and sq_outcome is not None:
            change = outcome["mean"] - sq_outcome["mean"]
            direction = "higher" if change > 0 else "lower" if change < 0 else "the same"
            text += (
                f" Its outcome index is {_number(outcome['mean'], 3)}, "
                f"{direction} than the {context.status_quo}'s {_number(sq_outcome['mean'], 3)}."
            )
        sentences.append(text)
    sentences += _risk_reading(risk, context)
    return sentences


def _risk_reading(risk: pd.DataFrame, context: Context) -> list[str]:
    sentences = []
    if risk.empty:
        return sentences
    for model, frame in risk.groupby(MODEL, sort=False):
        surplus = frame[frame["measure"] == "surplus"]
        if surplus.empty:
            continue
        in_deficit = surplus[surplus["mean"] < 0]
        text = (
            f"Under {model}, {len(in_deficit)} of {len(surplus)} providers end the horizon "
            "in deficit on average"
        )
        if not in_deficit.empty:
            worst = in_deficit.loc[in_deficit["mean"].idxmin()]
            text += f"; the largest is {worst['row']}'s £{_number(-worst['mean'], 1)}m"
        failed = frame[(frame["measure"] == "failed") & (frame["mean"] > 0)]
        if failed.empty:
            text += "; no provider failed in any run."
        else:
            names = ", ".join(
                f"{r['row']} in {_number(r['mean'], 0)}% of runs" for _, r in failed.iterrows()
            )
            text += f"; failures: {names}."
        sentences.append(text)
    return sentences


# ------------------------------------------------------------------ other formats
def tidy_tables(*tables: pd.DataFrame) -> pd.DataFrame:
    """The tables stacked in one tidy frame (``table`` column names each)."""
    kept = [t for t in tables if t is not None and not t.empty]
    if not kept:
        return pd.DataFrame(columns=TIDY_COLUMNS)
    tidy = pd.concat(kept, ignore_index=True)
    return tidy[[*TIDY_COLUMNS, *(c for c in PART_COLUMNS if c in tidy.columns)]]


def to_json(tidy: pd.DataFrame, context: Context) -> str:
    payload = {
        "scenario": context.name,
        "horizon": context.horizon,
        "periods": context.periods,
        "periods_per_year": context.periods_per_year,
        "replications": context.reps,
        "root_seed": context.seed,
        "money": "nominal pounds; £m columns in millions",
        "interval": context.interval,
        "priors": context.priors_line,
        **({"posterior": context.posterior, "draws": context.draws} if context.posterior else {}),
        "rows": json.loads(tidy.to_json(orient="records")),
    }
    return json.dumps(payload, indent=1)


def to_markdown(policy: pd.DataFrame, risk: pd.DataFrame, context: Context) -> str:
    """Both tables as Markdown (for report.md and ``--format markdown``)."""
    single = context.reps < 2
    found = _lookup(policy)
    measures = [m for m in POLICY_MEASURES if m.column in set(policy["measure"])]
    lines = [
        context.priors_line,
        "",
        f"Contract models compared {context.horizon}; money in £m, {NOMINAL}. "
        + (
            f"Cells: mean ({NO_INTERVAL})."
            if single
            else f"Cells: mean [{context.interval}] over {context.reps} paired replications"
            + (" (parameters ± half-width, noise ± half-width)." if context.posterior else ".")
        ),
        "",
        "| contract model | " + " | ".join(" ".join(m.header) for m in measures) + " |",
        "|---|" + "---:|" * len(measures),
    ]
    for model in dict.fromkeys(policy[MODEL]):
        cells = []
        for m in measures:
            row = found.get((model, "", m.column))
            if m.baseline_blank and model == context.status_quo:
                cells.append("baseline")
            else:
                cells.append(_bracket(row, m.digits, single))
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines += ["", *(f"- {note}" for note in policy_footnotes(context)), ""]
    if not risk.empty:
        rfound = _lookup(risk)
        present = set(risk["measure"])
        cols = [c for c in RISK_HEADER if c[0] in present]
        lines += [
            f"Who carries the risk {context.horizon} (£m nominal; surplus: income minus costs "
            "with money owed at the end; pain and gain: risk-share money from the runs with a "
            "ledger; failed / exited: % of runs):",
            "",
            "| contract model | organisation | "
            + " | ".join(f"{c[1]} {c[2]}" for c in cols)
            + " |",
            "|---|---|" + "---:|" * len(cols),
        ]
        for model in dict.fromkeys(risk[MODEL]):
            for org in dict.fromkeys(risk.loc[risk[MODEL] == model, "row"]):
                if org == COMMISSIONERS:
                    continue
                cells = [
                    _bracket(rfound.get((model, org, c[0])), c[4], single or c[0] != "surplus")
                    for c in cols
                ]
                lines.append(f"| {model} | {org} | " + " | ".join(cells) + " |")
        lines.append("")
        for model in dict.fromkeys(risk[MODEL]):
            parts = [
                f"{label} {_number(rfound[(model, COMMISSIONERS, m)]['mean'], 2)}"
                for m, label in COMMISSIONER_HEADER
                if (model, COMMISSIONERS, m) in rfound
            ]
            if parts:
                lines.append(f"- {model}, {COMMISSIONERS}: " + ", ".join(parts))
        lines.append("")
    return "\n".join(lines)


def _bracket(row: pd.Series | None, digits: int, single: bool) -> str:
    """'mean [low, high]', and over a posterior '(parameters ±p, noise ±n)' after it."""
    if row is None:
        return ""
    text = _number(row["mean"], digits)
    if single or not math.isfinite(row["ci_low"]):
        return text
    text += f" [{_number(row['ci_low'], digits)}, {_number(row['ci_high'], digits)}]"
    if "param_half" in row.index and isinstance(row["param_half"], float):
        text += (
            f" (parameters ±{_number(row['param_half'], digits)}, "
            f"noise ±{_number(row['noise_half'], digits)})"
        )
    return text


# ------------------------------------------------------------------ negotiation
NEGOTIATION_NOTES = (
    "agreed: the contract is signed as bargained; scaled: a scaled-down agreement is signed "
    "(fewer partners share the risk, the outcome-linked payment is dropped, or, when time "
    "runs out, an alliance overlay with no money at stake); abandoned: the status quo "
    "contracts continue.",
    "Negotiation cost: staff time of every party spent in the talks (median per run). "
    "Transaction cost: that negotiation cost plus re-bargaining, governance disputes and "
    "the commissioners' monitoring and contract management (median per run, ",
)


def format_negotiation(
    summary: dict[str, dict[str, Any]], transaction: dict[str, float], horizon: str
) -> str:
    """Per negotiated contract model: results, months and the two costs, each defined."""
    lines = [
        f"{'contract model':<18}{'runs':>6}{'agreed':>8}{'scaled':>8}{'abandoned':>11}"
        f"{'months':>8}{'negotiation':>13}{'transaction':>13}",
        f"{'':<18}{'':>6}{'%':>8}{'%':>8}{'%':>11}{'median':>8}{'cost £k':>13}{'cost £k':>13}",
    ]
    for name, row in summary.items():
        lines.append(
            f"{name:<18}{row['runs']:>6}{row['share_agreed']:>8.0%}"
            f"{row['share_scaled_down']:>8.0%}{row['share_abandoned']:>11.0%}"
            f"{row['median_months']:>8.1f}{row['median_cost_pence'] / 1e5:>13,.0f}"
            f"{transaction.get(name, math.nan) / 1e5:>13,.0f}"
        )
    lines += ["", *wrap([*NEGOTIATION_NOTES[:-1], f"{NEGOTIATION_NOTES[-1]}{horizon})."])]
    return "\n".join(lines)
