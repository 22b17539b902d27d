"""The posterior as input to ``run --posterior``: reading and checking it, drawing from
it, and the interval that splits parameter uncertainty from simulation noise."""

import math

import numpy as np
import pandas as pd
import pytest
from alliancesim.experiments.analysis import posterior_interval, t_interval
from alliancesim.experiments.posterior_draws import (
    default_draws,
    draw_settings,
    load_posterior,
    split_replications,
)
from alliancesim.experiments.runner import plan_draw_tasks
from alliancesim.scenario import ScenarioError, load_preset

KEY = "behaviour.reciprocity_weight"


@pytest.fixture(scope="module")
def scenario():
    return load_preset("small_economy")


def write_posterior(folder, values, weights=None, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    n = len(values)
    frame = pd.DataFrame(
        {
            "particle": range(n),
            "weight": weights if weights is not None else [1 / n] * n,
            "distance": [0.1] * n,
            "seed": range(100, 100 + n),
            KEY: values,
            "target:v15_saving": [0.2] * n,
            **extra,
        }
    )
    frame.to_parquet(folder / "posterior.parquet")
    return folder


# ------------------------------------------------------------------ the interval
def test_one_setting_gives_the_plain_noise_interval_and_no_parameter_part():
    rng = np.random.default_rng(1)
    values = rng.normal(5.0, 2.0, size=12)
    draws = np.repeat(range(4), 3)  # four draws, all of one particle
    found = posterior_interval(values, draws, np.zeros(12, dtype=int))
    plain = t_interval(values)
    assert found["param_half"] == 0.0
    assert found["noise_half"] == pytest.approx(plain["half_width"])
    assert found["ci_high"] - found["mean"] == pytest.approx(found["noise_half"])
    assert found["mean"] == pytest.approx(values.mean())


def test_settings_far_apart_make_the_parameter_part_and_widen_the_interval():
    rng = np.random.default_rng(2)
    means = np.array([0.0, 10.0, 20.0, 30.0])
    settings = np.repeat(range(4), 5)
    values = means[settings] + rng.normal(0.0, 0.5, size=20)
    found = posterior_interval(values, settings, settings)
    # four equally likely settings: the 95% range of their expected values is 0 to 30,
    # a little narrower once the noise in each setting's mean is taken out
    assert found["mean"] == pytest.approx(15.0, abs=0.5)
    assert 14.0 < found["param_low"] <= 15.5 and 14.0 < found["param_high"] <= 15.5
    assert found["noise_half"] < 1.0
    assert found["ci_high"] - found["mean"] == pytest.approx(
        math.hypot(found["param_high"], found["noise_half"])
    )
    assert found["ci_high"] - found["mean"] > found["noise_half"]


def test_a_lopsided_posterior_gives_a_lopsided_interval():
    # five of six draws at a setting saving 0, one at a setting saving 30 (no noise)
    values = [0.0, 0.0] * 5 + [30.0, 30.0]
    draws = np.repeat(range(6), 2)
    settings = [0] * 10 + [1, 1]
    found = posterior_interval(values, draws, settings)
    assert found["mean"] == pytest.approx(5.0)
    assert found["ci_low"] == pytest.approx(0.0)
    assert found["ci_high"] == pytest.approx(30.0)
    assert found["param_half"] == pytest.approx(15.0)


def test_noise_in_the_settings_means_is_not_counted_as_parameters():
    # two settings with the same expected value: their means differ by noise alone
    rng = np.random.default_rng(3)
    settings = np.repeat([0, 1], 50)
    values = rng.normal(10.0, 3.0, size=100)
    found = posterior_interval(values, settings, settings)
    raw_gap = abs(values[:50].mean() - values[50:].mean()) / 2
    assert found["param_half"] < raw_gap


def test_a_particle_drawn_twice_weighs_twice_in_the_centre():
    # particle 0 drawn by draws 0 and 1, particle 1 by draw 2: weights 2/3 and 1/3
    values = [1.0, 1.0, 1.0, 1.0, 4.0, 4.0]
    found = posterior_interval(values, [0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 1, 1])
    assert found["mean"] == pytest.approx(2.0)
    assert found["settings"] == 2 and found["draws"] == 3


# ------------------------------------------------------------------ drawing
def test_particles_with_equal_values_are_one_setting(tmp_path, scenario):
    posterior = load_posterior(write_posterior(tmp_path / "p", [0.4, 0.2, 0.4]), scenario)
    draws = draw_settings(posterior, 60, 120, seed=1)
    assert {d.particle: d.setting for d in draws} == {0: 0, 1: 1, 2: 0}


def test_draws_follow_the_weights_and_repeat_with_the_seed(tmp_path, scenario):
    posterior = load_posterior(
        write_posterior(tmp_path / "p", [0.0, 0.3, 0.9], weights=[0.0, 0.25, 0.75]), scenario
    )
    first = draw_settings(posterior, 200, 400, seed=7)
    assert [d.record() for d in first] == [
        d.record() for d in draw_settings(posterior, 200, 400, 7)
    ]
    assert [d.particle for d in first] != [
        d.particle for d in draw_settings(posterior, 200, 400, 8)
    ]
    particles = [d.particle for d in first]
    assert 0 not in particles  # weight 0 is never drawn
    assert 0.6 < particles.count(2) / len(particles) < 0.9
    assert all(d.overrides[KEY] == [0.0, 0.3, 0.9][d.particle] for d in first)


def test_replications_are_shared_out_evenly_and_seeded_per_draw(tmp_path, scenario):
    assert split_replications(10, 4) == [3, 3, 2, 2]
    assert sum(split_replications(101, 40)) == 101
    assert default_draws(100) == 40 and default_draws(10) == 5 and default_draws(1) == 1
    posterior = load_posterior(write_posterior(tmp_path / "p", [0.1, 0.5]), scenario)
    draws = draw_settings(posterior, 3, 7, seed=3)
    tasks = plan_draw_tasks(draws, 3)
    assert len(tasks) == 7
    assert [t.point_id for t in tasks] == [0, 0, 0, 1, 1, 2, 2]
    assert len({t.seed for t in tasks}) == 7
    assert all(t.overrides == draws[t.point_id].overrides for t in tasks)
    assert all(
        t.labels()
        == {"draw": t.point_id, "particle": draws[t.point_id].particle, "setting": t.particle}
        for t in tasks
    )


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"weight": [0.5, 0.6]}, ["'weight'", "sums to 1.1"]),
        ({"weight": [1.5, -0.5]}, ["'weight'", "negative"]),
        ({"behaviour.no_such_prior": [0.1, 0.2]}, ["'behaviour.no_such_prior'", "no_such_prior"]),
        ({KEY: [0.1, 99.0]}, [f"'{KEY}'", "99"]),
        ({"particle": [3, 3]}, ["'particle'", "repeats 3"]),
    ],
)
def test_bad_posterior_names_the_file_and_column(tmp_path, scenario, change, fragments):
    folder = write_posterior(tmp_path / "p", [0.1, 0.2])
    frame = pd.read_parquet(folder / "posterior.parquet")
    for column, values in change.items():
        frame[column] = values
    frame.to_parquet(folder / "posterior.parquet")
    with pytest.raises(ScenarioError) as error:
        load_posterior(folder, scenario)
    message = str(error.value)
    assert "posterior.parquet" in message
    for fragment in fragments:
        assert fragment in message


def test_missing_folder_file_or_weight_column_is_bad_input(tmp_path, scenario):
    with pytest.raises(ScenarioError, match="not a folder"):
        load_posterior(tmp_path / "nowhere", scenario)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError, match="no posterior.parquet"):
        load_posterior(tmp_path / "empty", scenario)
    folder = write_posterior(tmp_path / "p", [0.1, 0.2])
    pd.read_parquet(folder / "posterior.parquet").drop(columns="weight").to_parquet(
        folder / "posterior.parquet"
    )
    with pytest.raises(ScenarioError, match="column 'weight' is missing"):
        load_posterior(folder, scenario)
