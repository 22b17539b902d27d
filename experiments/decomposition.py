"""Channel decomposition: how much of each contract model's saving each behavioural channel carries.

For each channel ``c`` of :data:`scenario.CHANNELS`, every contract model *and*
the status quo are rerun with ``behaviour.channels.<c> = false`` on the same
seeds as the main run (common random numbers). The contribution of ``c`` to a
model's saving against the status quo is

    contribution_c = saving(all channels on) - saving(c off),

computed seed by seed and summarised by its mean and 95% t-interval over seeds
(simulation noise only). Contributions need not add up: channels interact
(switching one off can change what another does). What is left,
``total - sum of contributions``, is split in two by one more run with every
channel off:

- ``no_channel``: the saving with all channels off, the part that runs through
  no switchable channel (e.g. the payment terms' direct effect on spend);
- ``interaction``: ``total - sum of contributions - no_channel``, the part the
  channels carry only together.

So ``total = sum of contributions + no_channel + interaction``, seed by seed.

The knock-out runs go through the ordinary runner (:func:`runner.run_tasks`),
so they run on the workers or a Dask cluster and give the same numbers on any
number of workers. Their seeds are those of the main run's point 0
(``seeding.task_seed(root, 0, r)``), so replication ``r`` of a knock-out pairs
with replication ``r`` of the main run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from alliancesim.experiments.analysis import MODEL, t_interval, with_savings
from alliancesim.experiments.replication import ReplicationResult
from alliancesim.experiments.runner import Task, run_tasks
from alliancesim.experiments.seeding import check_root_seed, task_seed
from alliancesim.scenario import CHANNELS

ALL_OFF = "all_off"
TOTAL = "total"
NO_CHANNEL = "no_channel"
INTERACTION = "interaction"
CHANNEL_KEY = "behaviour.channels.{}"
#: ``run`` decomposes on at most this many replications unless told otherwise
#: (``--decomposition-reps``). The knock-outs are paired with the main run on the
#: same seeds, so their noise is the noise of a difference, far smaller than that
#: of the levels; 50 replications x 6 channels = 300 replications, about the cost of
#: the main run at 300 replications. The printed interval shows when that is too few.
DEFAULT_MAX_REPS = 50
COLUMNS = [
    MODEL,
    "component",
    "kind",
    "mean_pence",
    "ci_low_pence",
    "ci_high_pence",
    "half_width_pence",
    "n",
    "share_of_total",
]


def default_reps(reps: int) -> int:
    """Replications to decompose on when ``--decomposition-reps`` is not given."""
    return min(reps, DEFAULT_MAX_REPS)


def knockout_override(channel: str) -> dict[str, Any]:
    """The scenario override that switches ``channel`` off (every channel: ``all_off``)."""
    if channel == ALL_OFF:
        return {CHANNEL_KEY.format(c): False for c in CHANNELS}
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel '{channel}'; allowed: {', '.join(CHANNELS)}")
    return {CHANNEL_KEY.format(channel): False}


def knockout_tasks(channels: Sequence[str], reps: int, root_seed: int) -> list[Task]:
    """One task per (knock-out, replication); replication r gets the main run's seed r.

    ``channels`` are channel names or :data:`ALL_OFF`."""
    root = check_root_seed(root_seed)
    tasks = []
    for point_id, channel in enumerate(channels):
        for replication in range(reps):
            tasks.append(
                Task(
                    task_id=point_id * reps + replication,
                    point_id=point_id,
                    replication=replication,
                    seed=task_seed(root, 0, replication),
                    overrides=knockout_override(channel),
                )
            )
    return tasks


@dataclass(frozen=True)
class RunsOnly:
    """A replicate that keeps only the run rows (the knock-outs need no periods or ledger).

    A picklable wrapper, so it travels to loky and Dask workers.
    """

    replicate: Any

    def __call__(self, scenario, seed, replication=0, models=None, ledger=False):
        result = self.replicate(
            scenario, seed, replication=replication, models=models, ledger=False
        )
        return ReplicationResult(runs=list(result.runs))


def run_knockouts(
    scenario: Any,
    reps: int,
    seed: int,
    out_dir: str | Path,
    *,
    channels: Sequence[str] = CHANNELS,
    workers: int = 1,
    cluster: Any = None,
    models: Sequence[str] | None = None,
    replicate: Any = None,
    progress: bool = True,
) -> tuple[pd.DataFrame, int]:
    """Run every channel's knock-out, and all channels off, on the first ``reps`` seeds.

    The seeds are the main run's for root ``seed``. Returns (the run rows with a ``channel`` column, the number of failed runs).
    The rows are written under ``out_dir`` like any run (``runs.parquet``, manifest).
    """
    if replicate is None:
        from alliancesim.experiments.replication import run_replication

        replicate = run_replication
    channels = [*channels, ALL_OFF]
    tasks = knockout_tasks(channels, reps, seed)
    summary = run_tasks(
        tasks,
        scenario,
        out_dir,
        workers=workers,
        cluster=cluster,
        models=models,
        replicate=RunsOnly(replicate),
        progress=progress,
        root_seed=seed,
        ledger_rule="none",
        points=[knockout_override(c) for c in channels],
    )
    runs = pd.read_parquet(Path(out_dir) / "runs.parquet")
    if not runs.empty:
        runs["channel"] = runs["point_id"].map(dict(enumerate(channels)))
    return runs, summary.n_failed


def _savings(runs: pd.DataFrame, status_quo: str) -> pd.DataFrame:
    """(replication, seed, contract_model, saving) of the models other than the status quo."""
    runs = with_savings(runs, status_quo)
    keep = runs[runs[MODEL] != status_quo]
    return keep[["replication", "seed", MODEL, "savings_pence"]].astype({"savings_pence": float})


def decompose(
    all_on: pd.DataFrame,
    knocked_out: pd.DataFrame,
    status_quo: str = "status_quo",
    channels: Sequence[str] = CHANNELS,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The tidy decomposition table, paired by seed.

    ``all_on``: run rows with every channel on (the main run's ``runs``);
    ``knocked_out``: run rows with a ``channel`` column (from :func:`run_knockouts`),
    one value per channel and, optionally, :data:`ALL_OFF`. Only seeds present in
    every knock-out and in ``all_on`` are used, so every row comes from the same runs.
    Without an ``all_off`` run the whole remainder is reported as ``interaction``.

    Columns: contract_model, component (``total``, a channel, ``no_channel``,
    ``interaction``), kind (``total`` / ``channel`` / ``no_channel`` /
    ``interaction``), mean_pence, ci_low_pence, ci_high_pence, half_width_pence,
    n, share_of_total (mean / mean total).
    """
    channels = list(channels)
    base = _savings(all_on, status_quo).rename(columns={"savings_pence": TOTAL})
    keys = ["replication", "seed", MODEL]
    wide = base
    with_all_off = ALL_OFF in set(knocked_out["channel"])
    for channel in [*channels, ALL_OFF] if with_all_off else channels:
        off = _savings(knocked_out[knocked_out["channel"] == channel], status_quo)
        wide = wide.merge(off.rename(columns={"savings_pence": f"off:{channel}"}), on=keys)
    rows = []
    for model, frame in wide.groupby(MODEL, sort=False):
        contributions = {c: frame[TOTAL] - frame[f"off:{c}"] for c in channels}
        remainder = frame[TOTAL] - sum(contributions.values(), start=0.0 * frame[TOTAL])
        total_mean = float(frame[TOTAL].mean()) if len(frame) else math.nan
        parts = [(TOTAL, TOTAL, frame[TOTAL])]
        parts += [(c, "channel", contributions[c]) for c in channels]
        if with_all_off:
            no_channel = frame[f"off:{ALL_OFF}"]
            parts.append((NO_CHANNEL, NO_CHANNEL, no_channel))
            remainder = remainder - no_channel
        parts.append((INTERACTION, INTERACTION, remainder))
        for component, kind, values in parts:
            ci = t_interval(values.to_numpy(), confidence)
            rows.append(
                {
                    MODEL: model,
                    "component": component,
                    "kind": kind,
                    "mean_pence": ci["mean"],
                    "ci_low_pence": ci["ci_low"],
                    "ci_high_pence": ci["ci_high"],
                    "half_width_pence": ci["half_width"],
                    "n": ci["n"],
                    "share_of_total": ci["mean"] / total_mean if total_mean else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def channel_label(component: str) -> str:
    if component == TOTAL:
        return "saving, all channels on"
    if component == NO_CHANNEL:
        return "no channel (all channels off)"
    if component == INTERACTION:
        return "interaction (the remainder)"
    return component.replace("_", " ")


def _pounds_m(pence: float, digits: int = 1) -> str:
    if not math.isfinite(pence):
        return ""
    value = round(pence / 1e8, digits)
    return f"{value + 0.0:,.{digits}f}"  # + 0.0: no "-0.0"


def format_decomposition(table: pd.DataFrame, horizon: str, status_quo: str) -> str:
    """The printable decomposition (under 100 columns), with what it means."""
    if table.empty:
        return "(no decomposition)"
    n = int(table["n"].max())
    single = n < 2
    interval = "no interval (1 replication)" if single else "95% interval (simulation noise)"
    lines = [
        f"Channel decomposition of the saving against {status_quo}, £m {horizon}, nominal",
        f"Each channel switched off in every contract model and the {status_quo}, "
        f"on the same {n} seed{'s' if n != 1 else ''};",
        "contribution = saving with all channels on - saving with that channel off.",
        "Contributions need not add up: channels interact. No channel: the saving with every",
        "channel off (e.g. the payment terms' direct effect). Interaction: the remainder,",
        "saving - contributions - no channel, what the channels carry only together.",
        "",
        f"{'contract model / component':<34}{'£m':>9}  {interval:<32}{'% of saving':>12}",
    ]
    for model, frame in table.groupby(MODEL, sort=False):
        lines.append(str(model))
        for _, row in frame.iterrows():
            cell = (
                ""
                if single
                else f"[{_pounds_m(row['ci_low_pence'], 2)}, {_pounds_m(row['ci_high_pence'], 2)}]"
            )
            share = row["share_of_total"]
            share_text = f"{share:.0%}" if math.isfinite(share) else ""
            lines.append(
                f"  {channel_label(row['component']):<32}{_pounds_m(row['mean_pence'], 2):>9}  "
                f"{cell:<32}{share_text:>12}"
            )
    return "\n".join(lines)


def decomposition_reading(table: pd.DataFrame) -> list[str]:
    """Plain sentences generated from the decomposition numbers: which channel carries
    most of the saving, which works against it, and what is left with every channel off."""
    sentences = []
    for model, frame in table.groupby(MODEL, sort=False):
        total = frame[frame["kind"] == TOTAL].iloc[0]
        channels = frame[frame["kind"] == "channel"]
        rest = frame[frame["kind"] == INTERACTION].iloc[0]
        none = frame[frame["kind"] == NO_CHANNEL]
        without = ""
        if not none.empty:
            left = none.iloc[0]["mean_pence"]
            without = (
                f" With every channel off it saves £{_pounds_m(left)}m."
                if left >= 0
                else f" With every channel off it spends £{_pounds_m(-left)}m more."
            )
        moved = channels[channels["mean_pence"].abs() >= 0.5e6]  # at least £5,000
        if moved.empty:
            sentences.append(
                f"{model}: switching off any one channel leaves the saving of "
                f"£{_pounds_m(total['mean_pence'])}m as it is (no contribution reaches "
                f"£5,000), so no single switchable channel carries it.{without}"
            )
            continue
        parts = [f"{model}: of its £{_pounds_m(total['mean_pence'])}m saving"]
        carrying = moved[moved["mean_pence"] > 0]
        if not carrying.empty:
            top = carrying.loc[carrying["mean_pence"].idxmax()]
            parts.append(
                f", {channel_label(top['component'])} carries the most, "
                f"£{_pounds_m(top['mean_pence'])}m"
                f"{'' if _excludes_zero(top) else ' (its interval includes zero)'}"
            )
        against = moved[moved["mean_pence"] < 0]
        if not against.empty:
            worst = against.loc[against["mean_pence"].idxmin()]
            parts.append(
                f"; {channel_label(worst['component'])} works against it (without it the "
                f"saving is £{_pounds_m(-worst['mean_pence'])}m larger)"
            )
        parts.append(
            f"; the interaction of the channels accounts for £{_pounds_m(rest['mean_pence'])}m."
            f"{without}"
        )
        sentences.append("".join(parts))
    return sentences


def _excludes_zero(row: Any) -> bool:
    low, high = row["ci_low_pence"], row["ci_high_pence"]
    return bool(np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0))


def decomposition_markdown(table: pd.DataFrame, context: Any, with_reading: bool = True) -> str:
    """The decomposition as a Markdown section body (``context``: horizon, status_quo)."""
    if table.empty:
        return ""
    n = int(table["n"].max())
    single = n < 2
    lines = [
        f"Saving against {context.status_quo} attributed to each behavioural channel, £m "
        f"{context.horizon}, nominal. Each channel is switched off in every contract model and "
        f"in the {context.status_quo}, on the same {n} seeds; contribution = saving with all "
        "channels on - saving with that channel off, paired by seed. Contributions need not "
        "add up: channels interact. No channel is the saving with every channel off (e.g. the "
        "payment terms' direct effect); interaction is the remainder, saving - contributions - "
        "no channel, what the channels carry only together. "
        + (
            "No interval (1 replication)."
            if single
            else "Brackets: 95% interval (simulation noise)."
        ),
        "",
        "| contract model | component | £m | 95% interval | % of saving |",
        "|---|---|---:|---:|---:|",
    ]
    for _, row in table.iterrows():
        interval = (
            ""
            if single
            else f"[{_pounds_m(row['ci_low_pence'], 2)}, {_pounds_m(row['ci_high_pence'], 2)}]"
        )
        share = row["share_of_total"]
        lines.append(
            f"| {row[MODEL]} | {channel_label(row['component'])} | "
            f"{_pounds_m(row['mean_pence'], 2)} | {interval} | "
            f"{f'{share:.0%}' if math.isfinite(share) else ''} |"
        )
    lines.append("")
    if with_reading:
        lines += [*(f"- {s}" for s in decomposition_reading(table)), ""]
    return "\n".join(lines)
