"""``validate`` on either engine: the patterns' per-seed statistics run for all seeds
together (``common.per_seed``), so their model runs are made on the ensemble engine or
the agent model; the table must not change, and its ``engine`` column says what ran."""

from __future__ import annotations

import json

import pytest
from alliancesim.experiments.validation.common import (
    QUICK_PAIRS,
    Interval,
    paired,
    paired_seeds,
    pattern_result,
    per_seed,
    preset,
    run,
)
from alliancesim.experiments.validation.runner import DEFAULT_SEED, run_pattern, run_patterns
from alliancesim.experiments.validation.suite import REGISTRY, Pattern
from alliancesim.model.ensemble import MIN_REPLICATIONS
from typer.testing import CliRunner

from alliancesim.cli import build_app

# Every pattern whose loop over seeds was made a per-seed function (V10: through
# ``paired``; V12: the price read before the run); the knock-out too where it is cheap,
# so the knock-out in force reaches the tasks' threads.
CONVERTED = ("V7", "V8", "V9", "V10", "V11", "V12", "V13", "V14", "V15", "V16", "V17")
WITH_KNOCKOUT = {"V8", "V12", "V16", "V17"}
NOT_COMPARED = ["seconds", "engine"]


def runs_in(engine_text: str) -> dict[str, int]:
    """The runs by engine in an ``engine`` cell ("ensemble 40, agents 15")."""
    found = {"ensemble": 0, "agents": 0}
    for part in engine_text.split(", "):
        name, _, n = part.partition(" ")
        if name in found:
            found[name] = int(n.replace(",", ""))
    return found


@pytest.mark.validation
@pytest.mark.parametrize("code", CONVERTED)
def test_the_table_is_the_same_on_the_ensemble_and_the_agent_model(code: str) -> None:
    tables = {
        engine: run_patterns(
            quick=True,
            only=[code],
            seed=DEFAULT_SEED,
            knockouts=code in WITH_KNOCKOUT,
            engine=engine,
        )
        for engine in ("agents", "ensemble")
    }
    agents, ensemble = (tables[e].iloc[0].to_dict() for e in ("agents", "ensemble"))
    assert "Error" not in str(ensemble["note"]) + str(ensemble["knockout_note"])
    for column in tables["agents"].columns.drop(NOT_COMPARED):
        a, e = agents[column], ensemble[column]
        assert a == e or (a != a and e != e), f"{code} {column}: agents {a!r}, ensemble {e!r}"
    on_agents, on_ensemble = runs_in(agents["engine"]), runs_in(ensemble["engine"])
    assert on_agents["ensemble"] == 0 and on_ensemble["ensemble"] > 0
    # every run counted once, on the engine that made it (V10 steps some agent models by
    # hand; the ensemble hands the replications that part from it to the agent model)
    assert sum(on_agents.values()) == sum(on_ensemble.values())
    assert tables["ensemble"].attrs["runs"] == on_ensemble


SHORT = {"economy.periods": 12}


def short_runs(n: int):
    """A fake pattern making ``n`` seeds' paired runs of a 12-month default preset."""

    def check(quick: bool, seed: int):
        scenario = preset("default", SHORT)
        interval, _ = paired(
            paired_seeds(seed, n),
            lambda s: (
                run(scenario, "alliance", s).rows[-1]["spend_pence"]
                - run(scenario, "status_quo", s).rows[-1]["spend_pence"]
            ),
        )
        return pattern_result("V97", "short", "fake", "spend gap", interval, True, "")

    return check


def talks_only(quick: bool, seed: int):
    return pattern_result("V96", "talks", "fake", "none", Interval(1.0, 1.0, 1.0, 1), True, "")


def test_auto_takes_the_ensemble_only_where_sixteen_seeds_ask_and_the_column_says_so() -> None:
    knockout = {"behaviour.channels.reciprocity": False}
    quick = run_pattern(Pattern("V97", "short", short_runs(QUICK_PAIRS), "", knockout), True, 1)
    assert quick["engine"] == f"agents {2 * 2 * QUICK_PAIRS}"  # two models, and the knock-out
    many = Pattern("V97", "short", short_runs(MIN_REPLICATIONS), "", knockout)
    full = run_pattern(many, True, 1)
    assert runs_in(full["engine"])["ensemble"] > 0
    assert sum(runs_in(full["engine"]).values()) == 2 * 2 * MIN_REPLICATIONS
    forced = run_pattern(many, True, 1, engine="agents")
    assert forced["engine"] == f"agents {2 * 2 * MIN_REPLICATIONS}"
    assert (forced["estimate"], forced["low"], forced["high"]) == (
        full["estimate"],
        full["low"],
        full["high"],
    )
    assert run_pattern(Pattern("V96", "talks", talks_only), True, 1)["engine"] == "none"


def test_per_seed_keeps_the_seed_order_and_nested_tasks() -> None:
    scenario = preset("default", SHORT)
    seeds = paired_seeds(3, 5)

    def last_spend(s: int) -> int:
        return run(scenario, "status_quo", s).rows[-1]["spend_pence"]

    alone = [last_spend(s) for s in seeds]
    assert per_seed(seeds, last_spend) == alone
    # a per-seed statistic that itself runs per_seed (its inner tasks run in its task)
    assert per_seed([0], lambda _: per_seed(seeds, last_spend)) == [alone]


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setitem(REGISTRY, "V97", Pattern("V97", "short", short_runs(2)))


def test_validate_engine_option_reaches_the_table_and_a_bad_one_exits_2(fake) -> None:
    result = CliRunner().invoke(
        build_app(),
        ["validate", "--quick", "--only", "V97", "--json", "--engine", "ensemble", "--report-only"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["engine"] == "ensemble"
    assert document["runs"] == {"ensemble": 4, "agents": 0}
    assert document["results"][0]["engine"] == "ensemble 4"
    text = (
        CliRunner()
        .invoke(build_app(), ["validate", "--quick", "--only", "V97", "--report-only"])
        .output
    )
    assert "model runs: agents 4" in text and "engine auto: model runs agents 4" in text
    bad = CliRunner().invoke(
        build_app(), ["validate", "--quick", "--only", "V97", "--engine", "gpu"]
    )
    assert bad.exit_code == 2
    assert "--engine 'gpu'" in bad.output and "auto, agents, ensemble" in bad.output
    assert "Traceback" not in bad.output and "{" not in bad.output
