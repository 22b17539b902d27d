"""Tidy analyses of run tables: paired differences on common random numbers, summaries.

Every contract model of one replication runs on the same seed, so a model is
compared with the baseline run by run (``point_id``, ``replication``, ``seed``)
and the interval is a t-interval on the paired differences: much narrower than
comparing two independent means.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

PAIR_KEYS = ("point_id", "replication", "seed")
MODEL = "contract_model"
#: Columns summarised per model when present (``savings_pence`` is derived if missing).
SUMMARY_METRICS = (
    "spend_pence",
    "savings_pence",
    "savings_share",
    "outcome_true",
    "provider_deficits",
    "failures",
    "mean_trust",
)


def t_interval(values: Sequence[float], confidence: float = 0.95) -> dict[str, float]:
    """Mean, t-interval, half-width, n and sd of a sample (nan interval when n < 2)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    if n > 1:
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))
    else:
        half = math.nan
    return {
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "half_width": half,
        "n": n,
        "sd": sd,
    }


def posterior_interval(
    values: Sequence[float],
    draws: Sequence[int],
    settings: Sequence[int],
    confidence: float = 0.95,
) -> dict[str, float]:
    """Mean over the posterior and its interval, split into parameters and noise.

    ``values`` are one measure per run; ``draws`` the posterior draw each run belongs
    to; ``settings`` the prior setting of that draw (draws of one particle, or of
    particles with equal values, share one). Runs are grouped by setting g, weighted
    by the share w_g of draws that picked it; m_g is the mean of its n_g runs and s2
    the pooled within-setting variance (df = N - G).

    - centre: c = sum w_g m_g, the posterior mean of the expected value;
    - noise: t(N - G) x sqrt(s2 x sum w_g^2 / n_g), the seed-to-seed error of c;
    - parameters: the 2.5% and 97.5% quantiles (weights w_g) of the settings' expected
      values. The m_g carry noise too, which would widen their spread, so they are
      first pulled towards c by sqrt(V / raw): raw = sum w_g (m_g - c)^2, and V = raw
      less the noise it carries, s2 x sum w_g (1 - w_g) / n_g (law of total variance;
      0 when every draw has one setting). ``param_low`` and ``param_high`` are c minus
      the lower and the upper minus c (the range can be lopsided); ``param_half`` half
      its width;
    - combined: [c - hypot(param_low, noise), c + hypot(param_high, noise)].

    With one setting this is the plain t-interval of the mean (:func:`t_interval`).
    Half-widths are nan when there are too few runs to tell them (one run per setting).
    """
    frame = pd.DataFrame(
        {
            "y": np.asarray(values, dtype=float),
            "draw": np.asarray(draws),
            "setting": np.asarray(settings),
        }
    )
    frame = frame[np.isfinite(frame["y"])]
    n = len(frame)
    nan = math.nan
    if n == 0:
        return {"mean": nan, "ci_low": nan, "ci_high": nan, "half_width": nan, "n": 0,
                "param_low": nan, "param_high": nan, "param_half": nan, "noise_half": nan,
                "draws": 0, "settings": 0}  # fmt: skip
    grouped = frame.groupby("setting", sort=True)
    counts = grouped.size().astype(float)
    means = grouped["y"].mean()
    weights = grouped["draw"].nunique().astype(float)
    weights = weights / weights.sum()
    centre = float((weights * means).sum())
    n_settings = len(counts)
    df_within = n - n_settings
    if df_within >= 1:
        residual = frame["y"] - frame["setting"].map(means)
        within = float((residual**2).sum() / df_within)
        noise_var = within * float((weights**2 / counts).sum())
        noise_half = float(stats.t.ppf(0.5 + confidence / 2, df_within) * math.sqrt(noise_var))
    else:
        within, noise_half = 0.0, nan  # no replicate runs: the spread stays unshrunk
    raw = float((weights * (means - centre) ** 2).sum())
    carried = within * float((weights * (1 - weights) / counts).sum())
    pull = math.sqrt(max(0.0, raw - carried) / raw) if raw > 0 else 0.0
    expected = centre + pull * (means - centre)
    tail = (1 - confidence) / 2
    param_low = max(0.0, centre - _weighted_quantile(expected, weights, tail, above=True))
    param_high = max(0.0, _weighted_quantile(expected, weights, 1 - tail) - centre)
    low = centre - math.hypot(param_low, noise_half)
    high = centre + math.hypot(param_high, noise_half)
    return {
        "mean": centre,
        "ci_low": low,
        "ci_high": high,
        "half_width": (high - low) / 2,
        "n": n,
        "param_low": param_low,
        "param_high": param_high,
        "param_half": (param_low + param_high) / 2,
        "noise_half": noise_half,
        "draws": int(frame["draw"].nunique()),
        "settings": n_settings,
    }


def _weighted_quantile(
    values: pd.Series, weights: pd.Series, q: float, above: bool = False
) -> float:
    """The first value (in order) whose cumulative weight reaches ``q`` (passes it when
    ``above``), so that equal weights give symmetric lower and upper quantiles."""
    order = np.argsort(values.to_numpy(), kind="stable")
    sorted_values = values.to_numpy()[order]
    cumulative = np.cumsum(weights.to_numpy()[order])
    reached = cumulative > q + 1e-12 if above else cumulative >= q - 1e-12
    return float(sorted_values[int(np.argmax(reached))])


def replications_needed(sd: float, target_half_width: float, confidence: float = 0.95) -> int:
    """About how many replications give a t-interval of ``+/- target_half_width``."""
    if not (sd > 0 and target_half_width > 0):
        return 2
    z = stats.norm.ppf(0.5 + confidence / 2)
    n = math.ceil((z * sd / target_half_width) ** 2)
    for _ in range(5):  # refine with the t quantile at that n
        n = math.ceil(
            (stats.t.ppf(0.5 + confidence / 2, max(n - 1, 1)) * sd / target_half_width) ** 2
        )
    return max(n, 2)


def _groups(runs: pd.DataFrame, by: Sequence[str] | None) -> list[str]:
    if by is not None:
        return list(by)
    if "point_id" in runs.columns and runs["point_id"].nunique() > 1:
        return ["point_id"]
    return []


def paired_differences(
    runs: pd.DataFrame,
    metric: str,
    baseline_model: str = "status_quo",
    by: Sequence[str] | None = None,
    confidence: float = 0.95,
    target_relative: float = 0.10,
    wide_relative: float = 0.25,
) -> pd.DataFrame:
    """Mean paired difference ``model - baseline`` of ``metric`` per model (and point).

    Columns: [by...], contract_model, baseline, metric, mean_diff, ci_low, ci_high,
    half_width, n, sd, note. ``note`` says how many replications would give a
    half-width of ``target_relative`` x |mean| when the interval is wider than
    ``wide_relative`` x |mean|.
    """
    if metric not in runs.columns:
        raise KeyError(f"metric '{metric}' not in runs; allowed: {', '.join(_numeric(runs))}")
    models = list(dict.fromkeys(runs[MODEL]))
    if baseline_model not in models:
        raise KeyError(f"baseline '{baseline_model}' not in runs; allowed: {', '.join(models)}")
    keys = [k for k in PAIR_KEYS if k in runs.columns]
    groups = _groups(runs, by)
    base = runs.loc[runs[MODEL] == baseline_model, list(dict.fromkeys(keys + groups + [metric]))]
    base = base.rename(columns={metric: "_base"})
    rows = []
    for model in models:
        if model == baseline_model:
            continue
        own = runs.loc[runs[MODEL] == model, list(dict.fromkeys(keys + groups + [metric]))]
        paired = own.merge(base, on=list(dict.fromkeys(keys + groups)), how="inner")
        paired["_diff"] = paired[metric].astype(float) - paired["_base"].astype(float)
        for group_key, frame in paired.groupby(groups, sort=True) if groups else [((), paired)]:
            ci = t_interval(frame["_diff"], confidence)
            row = dict(
                zip(
                    groups, group_key if isinstance(group_key, tuple) else (group_key,), strict=True
                )
            )
            row.update(
                {
                    MODEL: model,
                    "baseline": baseline_model,
                    "metric": metric,
                    "mean_diff": ci["mean"],
                    "ci_low": ci["ci_low"],
                    "ci_high": ci["ci_high"],
                    "half_width": ci["half_width"],
                    "n": ci["n"],
                    "sd": ci["sd"],
                    "note": _precision_note(ci, metric, target_relative, wide_relative, confidence),
                }
            )
            rows.append(row)
    return pd.DataFrame(rows)


def _precision_note(
    ci: dict, metric: str, target_relative: float, wide_relative: float, confidence: float
) -> str:
    mean, half, n, sd = ci["mean"], ci["half_width"], ci["n"], ci["sd"]
    if n < 2 or not math.isfinite(half):
        return "too few paired runs for an interval"
    if half == 0 or (mean != 0 and half <= wide_relative * abs(mean)):
        return ""
    if mean == 0:
        return f"mean difference is exactly 0 (±{_display(metric, half)})"
    target = target_relative * abs(mean)
    needed = replications_needed(sd, target, confidence)
    return (
        f"interval wide (±{_display(metric, half)} on {_display(metric, mean)}): "
        f"run more replications: about {needed} needed for ±{_display(metric, target)}"
    )


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _numeric(frame: pd.DataFrame) -> list[str]:
    skip = {"point_id", "replication", "seed", "period"}
    return [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and c not in skip and not c.startswith("param.")
    ]


def with_savings(runs: pd.DataFrame, baseline_model: str = "status_quo") -> pd.DataFrame:
    """Add ``savings_pence`` (baseline spend - spend, paired) when the runs lack it."""
    if "savings_pence" in runs.columns or "spend_pence" not in runs.columns:
        return runs
    if baseline_model not in set(runs[MODEL]):
        return runs
    keys = [k for k in PAIR_KEYS if k in runs.columns]
    base = runs.loc[runs[MODEL] == baseline_model, [*keys, "spend_pence"]]
    base = base.rename(columns={"spend_pence": "_base_spend"})
    out = runs.merge(base, on=keys, how="left")
    out["savings_pence"] = out["_base_spend"] - out["spend_pence"]
    return out.drop(columns="_base_spend")


def summary_table(
    runs: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    baseline_model: str = "status_quo",
    by: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per model (and point): mean and t-interval of each metric, one tidy row each.

    Columns: [by...], contract_model, metric, mean, ci_low, ci_high, n.
    """
    runs = with_savings(runs, baseline_model)
    wanted = list(metrics) if metrics else [m for m in SUMMARY_METRICS if m in runs.columns]
    missing = [m for m in wanted if m not in runs.columns]
    if missing:
        raise KeyError(f"metrics {missing} not in runs; allowed: {', '.join(_numeric(runs))}")
    groups = _groups(runs, by)
    order = list(dict.fromkeys(runs[MODEL]))
    if baseline_model in order:
        order.remove(baseline_model)
        order.insert(0, baseline_model)
    rows = []
    for key, frame in runs.groupby([*groups, MODEL], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for metric in wanted:
            ci = t_interval(frame[metric].astype(float), confidence)
            rows.append(
                {
                    **dict(zip([*groups, MODEL], key, strict=True)),
                    "metric": metric,
                    "mean": ci["mean"],
                    "ci_low": ci["ci_low"],
                    "ci_high": ci["ci_high"],
                    "n": ci["n"],
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["_order"] = table[MODEL].map({m: i for i, m in enumerate(order)})
    table = table.sort_values([*groups, "_order"], kind="stable").drop(columns="_order")
    return table.reset_index(drop=True)


def _display(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "nan"
    if metric.endswith("_pence"):
        return f"£{value / 100 / 1e6:,.3f}m"
    return f"{value:.3g}"


def format_summary(table: pd.DataFrame) -> str:
    """A printable wide table: one row per model, cells 'mean [low, high]'."""
    if table.empty:
        return "(no runs)"
    cells = table.assign(
        cell=[
            f"{_display(m, a)} [{_display(m, lo)}, {_display(m, hi)}]"
            for m, a, lo, hi in zip(
                table["metric"], table["mean"], table["ci_low"], table["ci_high"], strict=True
            )
        ]
    )
    index = [
        c for c in cells.columns if c not in ("metric", "mean", "ci_low", "ci_high", "n", "cell")
    ]
    wide = cells.pivot_table(
        index=index, columns="metric", values="cell", aggfunc="first", sort=False
    )
    return wide.to_string()


def format_differences(table: pd.DataFrame) -> str:
    """A printable paired-difference table, with notes below."""
    if table.empty:
        return "(no paired runs)"
    metric = table["metric"].iloc[0]
    shown = table.drop(columns=["note", "sd", "half_width"]).copy()
    for col in ("mean_diff", "ci_low", "ci_high"):
        shown[col] = [_display(metric, v) for v in shown[col]]
    lines = [shown.to_string(index=False)]
    lines += [f"note ({r[MODEL]}): {r['note']}" for _, r in table.iterrows() if r["note"]]
    return "\n".join(lines)


def models_in_order(frame: pd.DataFrame, baseline: str) -> list[str]:
    """The contract models of a table in the order they first appear, the baseline first."""
    models = list(dict.fromkeys(frame[MODEL]))
    if baseline in models:
        models.remove(baseline)
        models.insert(0, baseline)
    return models
