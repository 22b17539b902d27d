"""Diagnostics of a calibration: marginals and pairs figures, which targets constrain which
priors, the posterior predictive check, and which priors the patterns leave unconstrained.

Written into the output folder at the end of ``alliancesim calibrate`` and re-made by
``alliancesim calibrate --diagnose OUT``: ``figures/marginals.png``, ``figures/pairs.png``,
``predictive.parquet`` and ``diagnostics.md``.

Rules (docs/calibration.md, "Method"):
- A prior is **unconstrained** when its weighted 90% credible interval covers at least
  80% of its prior range (``UNCONSTRAINED_COVER``).
- **Which targets constrain which priors**: among the first generation's particles (drawn
  from the prior, kept under the loose first epsilon), keep those closest on one target
  alone (gap to the case range at most that target's median gap); the ratio of the kept
  particles' spread (sd) of a prior to the spread of all first-generation particles says
  how much that target alone narrows it. Below ``CONSTRAINS_RATIO`` the target constrains
  the prior; near 1 it says nothing about it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from alliancesim.experiments.calibration.config import Calibration, CaseTarget
from alliancesim.experiments.calibration.posterior import read_manifest
from alliancesim.experiments.calibration.sampler import statistic, stream_seed

UNCONSTRAINED_COVER = 0.8  # a 90% interval over >= 80% of the prior range
CONSTRAINS_RATIO = 0.8  # a target alone narrows a prior's spread below 80%
PREDICTIVE = "predictive.parquet"
REPORT = "diagnostics.md"

MapFn = Callable[[Callable[..., Any], list], Iterable[Any]]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    values, weights = np.asarray(values)[order], np.asarray(weights)[order]
    cumulative = np.cumsum(weights) - 0.5 * weights
    cumulative /= weights.sum()
    return float(np.interp(q, cumulative, values))


def posterior_summary(posterior: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
    """Each prior: prior range, weighted posterior mean, sd, median and 90% interval, the
    share of the prior range the interval covers, and whether the patterns constrain it."""
    rows = []
    w = posterior["weight"].to_numpy()
    for prior in calibration.priors:
        x = posterior[prior.key].to_numpy()
        mean = float(np.sum(w * x) / w.sum())
        sd = float(math.sqrt(max(0.0, np.sum(w * (x - mean) ** 2) / w.sum())))
        q05, q50, q95 = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        cover = (q95 - q05) / (prior.high - prior.low)
        rows.append(
            {
                "prior": prior.key,
                "prior_low": prior.low,
                "prior_high": prior.high,
                "default": prior.default,
                "mean": mean,
                "sd": sd,
                "median": q50,
                "q05": q05,
                "q95": q95,
                "interval_share_of_range": cover,
                "constrained": bool(cover < UNCONSTRAINED_COVER),
            }
        )
    return pd.DataFrame(rows)


def constraint_table(particles: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
    """Rows: targets; columns: priors; cells: spread ratio (see the module's rules)."""
    first = particles[particles["generation"] == particles["generation"].min()]
    table = {}
    for case in calibration.targets:
        gaps = first[case.column].map(case.gap) / case.scale
        kept = first[gaps <= gaps.median()]
        ratios = {}
        for prior in calibration.priors:
            spread = first[prior.key].std(ddof=0)
            narrowed = kept[prior.key].std(ddof=0)
            ratios[prior.key] = float(narrowed / spread) if spread > 0 else float("nan")
        table[case.name] = ratios
    return pd.DataFrame.from_dict(table, orient="index")


def _simulate_draw(targets: tuple[CaseTarget, ...], values: dict[str, float], seed: int) -> dict:
    return {t.column: statistic(t, values, seed) for t in targets}


def predictive_draws(
    posterior: pd.DataFrame, calibration: Calibration, map_fn: MapFn | None = None
) -> pd.DataFrame:
    """Each target's statistic re-simulated at ``predictive_draws`` weighted posterior draws,
    each with a fresh seed (not the seed the particle was accepted with)."""
    n = calibration.predictive_draws
    if n == 0 or posterior.empty:
        return pd.DataFrame()
    rng = np.random.default_rng(stream_seed(calibration.seed, "predictive"))
    weights = posterior["weight"].to_numpy()
    picks = rng.choice(len(posterior), size=n, replace=True, p=weights / weights.sum())
    keys = [p.key for p in calibration.priors]
    jobs = []
    for draw, index in enumerate(picks):
        values = {key: float(posterior.iloc[index][key]) for key in keys}
        jobs.append((calibration.targets, values, stream_seed(calibration.seed, "draw", draw)))
    mapper = map_fn or (lambda fn, items: [fn(*item) for item in items])
    results = list(mapper(_simulate_draw, jobs))
    rows = []
    for draw, ((_, values, seed), stats) in enumerate(zip(jobs, results, strict=True)):
        rows.append({"draw": draw, "particle": int(picks[draw]), "seed": seed, **values, **stats})
    return pd.DataFrame(rows)


def predictive_summary(draws: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
    rows = []
    for case in calibration.targets:
        if draws.empty:
            break
        s = draws[case.column].to_numpy(dtype=float)
        inside = np.mean([case.gap(v) == 0.0 for v in s])  # a nan draw counts as outside
        near = np.mean([case.gap(v) <= case.scale for v in s])
        finite = s[np.isfinite(s)]
        if finite.size == 0:
            finite = np.array([np.nan])
        rows.append(
            {
                "target": case.name,
                "case_low": case.low,
                "case_high": case.high,
                "median": float(np.median(finite)),
                "q05": float(np.quantile(finite, 0.05)),
                "q95": float(np.quantile(finite, 0.95)),
                "no_value": int(np.sum(~np.isfinite(s))),
                "share_inside": float(inside),
                "share_within_scale": float(near),
            }
        )
    return pd.DataFrame(rows)


def plot_marginals(posterior: pd.DataFrame, calibration: Calibration, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(calibration.priors)
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 3.2), squeeze=False)
    for ax, prior in zip(axes[0], calibration.priors, strict=True):
        width = prior.high - prior.low
        ax.hist(
            posterior[prior.key],
            bins=20,
            range=(prior.low, prior.high),
            weights=posterior["weight"],
            density=True,
            alpha=0.6,
            label="posterior",
        )
        ax.plot([prior.low, prior.high], [1 / width, 1 / width], "k--", label="prior")
        ax.axvline(prior.default, color="grey", lw=0.8, label="default")
        ax.set_xlabel(prior.key)
        ax.set_ylabel("density")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_pairs(posterior: pd.DataFrame, calibration: Calibration, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    priors = calibration.priors
    n = len(priors)
    fig, axes = plt.subplots(n, n, figsize=(2.8 * n + 0.5, 2.8 * n + 0.5), squeeze=False)
    w = posterior["weight"].to_numpy()
    sizes = 4 + 60 * w / w.max()
    for i, row_prior in enumerate(priors):
        for j, col_prior in enumerate(priors):
            ax = axes[i][j]
            if i == j:
                ax.hist(
                    posterior[col_prior.key],
                    bins=20,
                    range=(col_prior.low, col_prior.high),
                    weights=w,
                    alpha=0.6,
                )
            else:
                ax.scatter(posterior[col_prior.key], posterior[row_prior.key], s=sizes, alpha=0.4)
                ax.set_ylim(row_prior.low, row_prior.high)
            ax.set_xlim(col_prior.low, col_prior.high)
            if i == n - 1:
                ax.set_xlabel(col_prior.key, fontsize=8)
            if j == 0:
                ax.set_ylabel(row_prior.key, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _markdown_table(frame: pd.DataFrame, index: bool = False) -> str:
    frame = frame.reset_index() if index else frame
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    lines = [header, rule]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.3g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plain_words(summary: pd.DataFrame) -> list[str]:
    """One sentence per prior: constrained or not, with its 90% interval."""
    lines = []
    for row in summary.itertuples():
        interval = f"{row.q05:.3g} to {row.q95:.3g}"
        share = f"{row.interval_share_of_range:.0%}"
        if row.constrained:
            lines.append(
                f"- `{row.prior}`: the patterns narrow it to {interval} (90% interval, "
                f"{share} of the prior range {row.prior_low:g} to {row.prior_high:g})."
            )
        else:
            lines.append(
                f"- `{row.prior}`: **unconstrained**: the patterns leave it where the prior "
                f"put it; its 90% interval {interval} covers {share} of the prior range "
                f"{row.prior_low:g} to {row.prior_high:g}. Quote results as conditional on "
                f"this prior."
            )
    return lines


def write_diagnostics(
    out_dir: Path, calibration: Calibration, map_fn: MapFn | None = None
) -> list[str]:
    """Write figures, the predictive draws and diagnostics.md; the short summary lines."""
    posterior = pd.read_parquet(out_dir / "posterior.parquet")
    particles = pd.read_parquet(out_dir / "particles.parquet")
    generations = pd.read_parquet(out_dir / "generations.parquet")
    figures = out_dir / "figures"
    figures.mkdir(exist_ok=True)
    plot_marginals(posterior, calibration, figures / "marginals.png")
    plot_pairs(posterior, calibration, figures / "pairs.png")
    summary = posterior_summary(posterior, calibration)
    constraints = constraint_table(particles, calibration)
    draws = predictive_draws(posterior, calibration, map_fn)
    if not draws.empty:
        draws.to_parquet(out_dir / PREDICTIVE, index=False)
    check = predictive_summary(draws, calibration)
    words = plain_words(summary)

    last = generations.iloc[-1]
    manifest = read_manifest(out_dir) or {}
    simulations = int(manifest.get("simulations") or generations["simulations"].sum())
    lines = [
        f"# Calibration diagnostics: {calibration.name}",
        "",
        calibration.description,
        "",
        f"{len(generations)} generations, {simulations} simulations (with pyabc's first "
        f"sample from the prior, which sets the first epsilon), "
        f"final epsilon {last['epsilon']:.4g}, last acceptance rate "
        f"{last['acceptance_rate']:.3f}; {len(posterior)} particles in the posterior.",
        "",
        "## What the patterns say about each prior",
        "",
        *words,
        "",
        f"A prior is called unconstrained when its weighted 90% credible interval covers at "
        f"least {UNCONSTRAINED_COVER:.0%} of its prior range.",
        "",
        "## Posterior summary",
        "",
        _markdown_table(summary),
        "",
        "![marginals](figures/marginals.png)",
        "",
        "![pairs](figures/pairs.png)",
        "",
        "## Which targets constrain which priors",
        "",
        "Spread (sd) of each prior among the first generation's particles closest on that "
        "target alone (gap at most the target's median gap), over its spread among all "
        f"first-generation particles. Below {CONSTRAINS_RATIO:g}: the target alone narrows "
        "the prior; near 1: it says nothing about it.",
        "",
        _markdown_table(constraints, index=True).replace("| index |", "| target |", 1),
        "",
        "## Posterior predictive check",
        "",
        f"Each target's statistic re-simulated at {calibration.predictive_draws} weighted "
        "posterior draws with fresh seeds: median, 90% interval, the share of draws inside "
        "the case range and the share within one distance unit (scale) of it (a case value "
        "given as one number is a range of width 0, so few draws land exactly inside it); "
        "no_value counts draws whose statistic has no value (nan), which count as outside.",
        "",
        _markdown_table(check) if not check.empty else "(no predictive draws requested)",
        "",
    ]
    (out_dir / REPORT).write_text("\n".join(lines), encoding="utf-8")

    short = [f"calibration {calibration.name}: posterior of {len(posterior)} particles"]
    for row in summary.itertuples():
        flag = "" if row.constrained else "  (unconstrained)"
        short.append(
            f"  {row.prior}: median {row.median:.3g}, 90% {row.q05:.3g} to {row.q95:.3g} "
            f"(prior {row.prior_low:g} to {row.prior_high:g}){flag}"
        )
    for row in check.itertuples():
        short.append(
            f"  {row.target}: predictive median {row.median:.3g}, 90% {row.q05:.3g} to "
            f"{row.q95:.3g}, {row.share_inside:.0%} inside the case range "
            f"{row.case_low:g} to {row.case_high:g}"
        )
    short.append(f"diagnostics: {REPORT} and figures/")
    return short
