"""The reach study: draws inside the priors' ranges, the share inside the case range and
the rank correlations computed right (on a stand-in target whose answer is known), and
bad input refused with exit code 2."""

from __future__ import annotations

import numpy as np
import pytest
from alliancesim.experiments.calibration import reach
from alliancesim.experiments.calibration.config import CaseTarget, Prior
from alliancesim.experiments.calibration.targets import TARGETS, Target

HEADER = '[calibration]\nname = "t"\ndescription = "t"\nseed = 1\nparticles = 10\ngenerations = 1\n'
RECIPROCITY = "behaviour.reciprocity_weight"
TIE = "behaviour.relational_tie"


def prior(key: str, low: float, high: float) -> Prior:
    return Prior(key, low, high, default=low, source="test")


def case(name: str, low: float, high: float) -> CaseTarget:
    return CaseTarget(name, low, high, scale=1.0, source="test", target=TARGETS[name])


def stand_in(overrides, seed: int) -> float:
    return 2.0 * overrides[RECIPROCITY] - 0.5 * overrides[TIE]  # up with one, down with other


def flat(overrides, seed: int) -> float:
    return 0.01


def test_latin_hypercube_draws_cover_each_range_once_per_stratum() -> None:
    priors = [prior(RECIPROCITY, 0.0, 0.6), prior(TIE, 0.0, 1.0)]
    points = reach.draws(priors, 10, seed=5)
    assert points.shape == (10, 2)
    for k, p in enumerate(priors):
        strata = np.floor((points[:, k] - p.low) / (p.high - p.low) * 10).astype(int)
        assert sorted(strata) == list(range(10))
    assert np.array_equal(points, reach.draws(priors, 10, seed=5))


def test_reach_of_stand_in_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TARGETS, "stand_in", Target("stand_in", "V15", "known", stand_in))
    monkeypatch.setitem(TARGETS, "flat", Target("flat", "V15", "constant", flat))
    priors = [prior(RECIPROCITY, 0.0, 0.6), prior(TIE, 0.0, 1.0)]
    wanted = [case("stand_in", 0.0, 0.6), case("flat", 0.0, 0.005)]
    found, constant = reach.reach(priors, wanted, 20, seed=3)
    points = reach.draws(priors, 20, seed=3)
    expected = 2.0 * points[:, 0] - 0.5 * points[:, 1]
    assert found.values == pytest.approx(tuple(expected))
    assert found.inside == pytest.approx(np.mean((expected >= 0.0) & (expected <= 0.6)))
    assert found.correlations[0] > 0.5 and found.correlations[1] < 0.0
    assert constant.inside == 0.0
    assert all(np.isnan(rho) for rho in constant.correlations)
    text = reach.table(priors, [found, constant], 20)
    assert "stand_in" in text and "flat" in text.splitlines()[2]


def test_unknown_target_or_prior_exits_2_naming_the_key(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        HEADER + '[[priors]]\nkey = "behaviour.reciprocity_weight"\n'
        '[[targets]]\nname = "v99_nothing"\nlow = 0\nhigh = 1\nscale = 1\nsource = "x"\n'
    )
    assert reach.main([str(bad), "--draws", "4"]) == 2
    err = capsys.readouterr().err
    assert "targets[0].name" in err and "v99_nothing" in err and "v15_saving" in err
    bad.write_text(
        HEADER + '[[priors]]\nkey = "economy.population"\n'
        '[[targets]]\nname = "v16_saving"\nlow = 0\nhigh = 1\nscale = 1\nsource = "x"\n'
    )
    assert reach.main([str(bad), "--draws", "4"]) == 2
    assert "priors[0].key" in capsys.readouterr().err
