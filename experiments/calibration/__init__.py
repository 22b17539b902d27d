"""Calibration: infer the behavioural priors from the patterns the cases report (ABC-SMC),
and carry the posterior into the headline comparisons (issue 13)."""
