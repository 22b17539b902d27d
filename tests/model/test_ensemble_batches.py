"""Tasks written for one run at a time, with their runs made together
(``model/ensemble/batches.py``), and one replication's view of an ensemble's objects
(``model/ensemble/views.py``)."""

from __future__ import annotations

import contextvars
import random

import numpy as np
import pytest
from alliancesim.model.ensemble import MIN_REPLICATIONS
from alliancesim.model.ensemble.batches import counting, run, together
from alliancesim.model.ensemble.views import ReplicaView
from alliancesim.scenario import load_preset

SHORT = load_preset("default", economy__periods=12)
SEEDS = list(range(1, MIN_REPLICATIONS + 3))


def statistic(seed: int) -> tuple:
    """A per-seed statistic that asks for two runs in turn and reads agents' state."""
    alliance = run(SHORT, "alliance", seed)
    status_quo = run(SHORT, "status_quo", seed)
    spend = sum(r["spend_pence"] for r in alliance.rows) - sum(
        r["spend_pence"] for r in status_quo.rows
    )
    acute = alliance.orgs["acute_trust"]
    return (
        spend,
        acute.push,
        acute.trust_in("community_trust"),
        [p.reserves for p in alliance.providers],
        alliance.contracts[0].name,
    )


def test_tasks_made_together_give_what_each_gives_alone():
    alone = [statistic(s) for s in SEEDS]
    with counting() as counts:
        made = together([lambda s=s: statistic(s) for s in SEEDS], engine="ensemble")
    assert made == alone
    assert counts["ensemble"] + counts["agents"] == 2 * len(SEEDS)
    assert counts["ensemble"] > 0


def test_auto_leaves_small_groups_to_the_agent_model():
    few = SEEDS[: MIN_REPLICATIONS - 1]
    with counting() as counts:
        together([lambda s=s: statistic(s) for s in few])
    assert counts == {"agents": 2 * len(few), "ensemble": 0}
    with counting() as counts:
        together([lambda s=s: statistic(s) for s in SEEDS])
    assert counts["ensemble"] > 0


def test_a_seed_asked_for_twice_in_a_round_is_run_once():
    with counting() as counts:
        made = together([lambda: run(SHORT, "alliance", 7).rows[-1]] * 3, engine="ensemble")
    assert counts["ensemble"] + counts["agents"] == 1
    assert made[0] == made[1] == made[2] == run(SHORT, "alliance", 7).rows[-1]


def test_tasks_see_the_callers_context_and_their_error_is_raised():
    flag: contextvars.ContextVar[str] = contextvars.ContextVar("flag", default="unset")
    flag.set("set")
    assert together([flag.get, flag.get], engine="ensemble") == ["set", "set"]

    def broken() -> None:
        run(SHORT, "alliance", 1)
        raise RuntimeError("this task broke")

    with pytest.raises(RuntimeError, match="this task broke"):
        together([lambda: run(SHORT, "alliance", 2), broken], engine="ensemble")


def test_inner_tasks_run_in_their_task_and_still_batch():
    def outer(seed: int) -> list:
        return together([lambda: run(SHORT, "status_quo", seed).rows[-1]["spend_pence"]] * 2)

    made = together([lambda s=s: outer(s) for s in SEEDS], engine="ensemble")
    assert made == [[run(SHORT, "status_quo", s).rows[-1]["spend_pence"]] * 2 for s in SEEDS]


class GlobalRandom:
    """The switch a calibration uses: the process's generators, per task."""

    def save(self):
        return random.getstate(), np.random.get_state()

    def restore(self, state) -> None:
        random.setstate(state[0])
        np.random.set_state(state[1])


def draws_between_runs(seed: int) -> list[float]:
    random.seed(seed)
    np.random.seed(seed)
    found = []
    for _ in range(3):
        found.append(random.random() + np.random.random())
        run(SHORT, "status_quo", int(found[-1] * 1000))
    return found


def test_a_switch_keeps_each_tasks_global_state_across_turns():
    alone = [draws_between_runs(s) for s in range(5)]
    made = together(
        [lambda s=s: draws_between_runs(s) for s in range(5)],
        engine="ensemble",
        switch=GlobalRandom(),
    )
    assert made == alone


def test_an_unknown_engine_is_named():
    with pytest.raises(ValueError, match="allowed values are auto, agents, ensemble"):
        together([], engine="fast")


def test_a_view_reads_one_replications_part_and_is_read_only():
    class Org:
        def __init__(self):
            self.name = "acute"
            self.push = np.array([0.1, 0.2, 0.3])
            self.weights = np.array([1.0, 2.0])  # shared by the replications: not length 3
            self.partner = None

        def doubled(self):
            return self.push * 2

    org = Org()
    org.partner = Org()
    view = ReplicaView(org, 1, 3)
    assert view.name == "acute"
    assert view.push == 0.2 and isinstance(view.push, float)
    assert view.doubled() == 0.4
    assert view.weights is org.weights
    assert view.partner.push == 0.2
    with pytest.raises(AttributeError, match="read-only"):
        view.push = 1.0


def test_a_run_that_fails_raises_in_the_task_that_asked():
    with pytest.raises(Exception) as alone:
        run(SHORT, "no_such_model", 1)
    with counting() as counts, pytest.raises(type(alone.value)):
        together([lambda: run(SHORT, "no_such_model", 1)] * 2, engine="ensemble")
    assert "ensemble_error" in counts


def test_tasks_left_waiting_unwind_when_the_caller_stops(monkeypatch):
    import threading

    from alliancesim.model.ensemble import batches

    def broken_answer(self, waiting) -> None:
        raise KeyboardInterrupt  # as a user's Ctrl-C would, while runs are being made

    monkeypatch.setattr(batches._Batch, "answer", broken_answer)
    before = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        together([lambda s=s: run(SHORT, "status_quo", s) for s in (1, 2, 3)], engine="ensemble")
    assert threading.active_count() == before


def test_groups_too_small_to_pay_are_run_by_the_agent_model():
    from alliancesim.model.ensemble.runs import run_many

    seeds = [1, 2, 3]
    many = run_many(SHORT, "alliance", seeds, least=4)
    assert set(many.left) == {0, 1, 2}
    assert all("fewer than 4" in why for _, why in many.left.values())
    assert [r.rows for r in many.runs] == [run(SHORT, "alliance", s).rows for s in seeds]
    assert not run_many(SHORT, "alliance", seeds, least=3).left
