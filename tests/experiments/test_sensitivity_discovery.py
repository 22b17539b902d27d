import math

import numpy as np
import pandas as pd
import pytest
from alliancesim.experiments.sensitivity import morris_of_function, sobol_of_function
from SALib.test_functions import Ishigami

PI = math.pi
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}
# analytic indices for a = 7, b = 0.1
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def test_sobol_recovers_ishigami_indices():
    table = sobol_of_function(Ishigami.evaluate, ISHIGAMI, n=1024, seed=11).set_index("parameter")
    for name in ISHIGAMI["names"]:
        assert table.loc[name, "S1"] == pytest.approx(S1[name], abs=0.06)
        assert table.loc[name, "ST"] == pytest.approx(ST[name], abs=0.06)
        assert table.loc[name, "S1_conf"] > 0


def test_morris_ranks_ishigami_inputs():
    table = morris_of_function(Ishigami.evaluate, ISHIGAMI, n=40, seed=3).set_index("parameter")
    assert table["mu_star"].idxmin() == "x3"  # x3 acts only through its interaction with x1
    assert (table["sigma"] > 0).all()


def test_prim_finds_a_planted_box():
    from alliancesim.experiments.discovery import discover

    rng = np.random.default_rng(42)
    x = pd.DataFrame(rng.uniform(size=(1500, 4)), columns=["x1", "x2", "x3", "x4"])
    planted = (x.x1 > 0.7) & (x.x2 < 0.3)
    noise = rng.uniform(size=len(x)) < 0.02
    result = discover(x, (planted ^ noise).to_numpy())
    box = result.box.set_index("parameter")
    assert set(box.index[box.restricted]) == {"x1", "x2"}
    assert 0.62 <= box.loc["x1", "low"] <= 0.78
    assert 0.22 <= box.loc["x2", "high"] <= 0.4
    assert result.density >= 0.8 and result.coverage >= 0.6
