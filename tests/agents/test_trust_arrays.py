"""Trust, observation and leadership turnover for R replications at once (issue 14).

The trust rules and the network take arrays with a leading replication axis; element r
must be, bit for bit, what the agent model computes for replication r alone. The replay
test records what four agent runs (seeds 1-4) saw each period, feeds the four stacked
through ``observing.observe`` and ``observing.update_trust`` with the ensemble's streams,
and compares every replication's matrices with its agent run at every period, turnover
happening in some replications only included.
"""

import functools
from types import SimpleNamespace

import numpy as np
import pytest
from alliancesim.agents.commissioner import Commissioner
from alliancesim.agents.organisation import Organisation
from alliancesim.agents.trust import (
    Evidence,
    TrustNetwork,
    beta_step,
    commissioner_seen_by_provider,
    conduct_seen,
    evidence_for,
    provider_seen_by_commissioner,
    staff_turnover,
    update_evidence,
)
from alliancesim.model.ensemble.streams import EnsembleStreams
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages import collection, observing
from alliancesim.scenario import load_preset
from hypothesis import given, settings
from hypothesis import strategies as st

SEEDS = [1, 2, 3, 4]
NAMES = ["icb", "acute", "community", "gp"]
REAL = st.floats(-3.0, 3.0, allow_nan=False)  # beyond [0, 1]: the clips must act
UNIT = st.floats(0.0, 1.0)
EVIDENCE = st.floats(0.0, 50.0)


def bits(values) -> np.ndarray:
    """Bit patterns, so a signed zero or a last-bit difference fails the comparison."""
    return np.asarray(values, dtype=np.float64).view(np.int64)


def same_bits(a, b) -> bool:
    return np.array_equal(bits(a), bits(b))


# ------------------------------------------------------------------ the rules, elementwise
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(EVIDENCE, EVIDENCE, REAL, UNIT, UNIT, UNIT), min_size=1, max_size=6))
def test_beta_step_and_update_evidence_on_arrays_match_each_number(rows):
    positive, negative, observation, weight, forgetting, good_news = map(
        np.array, zip(*rows, strict=True)
    )
    stacked = beta_step(positive, negative, observation, weight, forgetting, good_news)
    updated = update_evidence(
        Evidence(positive, negative), observation, weight, forgetting, good_news
    )
    for r, (p, n, o, w, f, g) in enumerate(rows):
        alone = beta_step(p, n, o, w, f, g)
        assert same_bits(stacked[0][r], alone[0]) and same_bits(stacked[1][r], alone[1])
        one = update_evidence(Evidence(p, n), o, w, f, g)
        assert type(one.positive) is float  # the agent model keeps its floats
        assert same_bits(updated.positive[r], one.positive)
        assert same_bits(updated.negative[r], one.negative)
    # observations outside [0, 1] are clipped before use: no evidence below what is kept
    assert (updated.positive >= forgetting * positive).all()
    assert (updated.negative >= forgetting * negative).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(REAL, EVIDENCE), min_size=1, max_size=6))
def test_evidence_for_on_arrays_matches_each_number(rows):
    trust, prior = map(np.array, zip(*rows, strict=True))
    stacked = evidence_for(trust, prior)
    for r, (t, p) in enumerate(rows):
        one = evidence_for(t, p)
        assert same_bits(stacked.positive[r], one.positive)
        assert same_bits(stacked.negative[r], one.negative)
        assert same_bits(stacked.trust[r], one.trust)
    assert (stacked.positive >= 0.0).all() and (stacked.negative >= 0.0).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(REAL, REAL, UNIT, UNIT), min_size=1, max_size=5))
def test_readings_of_conduct_on_replication_arrays_match_each_replication(rows):
    own, partner, push, capability = map(np.array, zip(*rows, strict=True))
    for rule, args in (
        (conduct_seen, (own, partner, push)),
        (provider_seen_by_commissioner, (partner, push)),
        (commissioner_seen_by_provider, (capability, push)),
    ):
        stacked = rule(*args)
        for r in range(len(rows)):
            assert same_bits(stacked[r], rule(*(a[r] for a in args)))


# ------------------------------------------------------------------ the network
def networks(r: int) -> tuple[TrustNetwork, list[TrustNetwork]]:
    """An ensemble network and R agent networks with different initial beliefs."""
    rng = np.random.default_rng(7)
    trust = rng.uniform(0.1, 0.9, size=(r, 4, 4))
    stacked, alone = TrustNetwork(NAMES, replications=r), [TrustNetwork(NAMES) for _ in range(r)]
    for a in NAMES:
        for b in NAMES:
            i, j = NAMES.index(a), NAMES.index(b)
            stacked.set(a, b, evidence_for(trust[:, i, j], 4.0))
            for k in range(r):
                alone[k].set(a, b, evidence_for(float(trust[k, i, j]), 4.0))
    return stacked, alone


def assert_same_network(stacked: TrustNetwork, alone: list[TrustNetwork]) -> None:
    for r, one in enumerate(alone):
        assert same_bits(stacked.positive[r], one.positive)
        assert same_bits(stacked.negative[r], one.negative)
        assert same_bits(stacked.matrix()[r], one.matrix())
        for name in NAMES:
            row, single = stacked.row(name), one.row(name)
            assert all(same_bits(row[j][r], single[j]) for j in range(len(NAMES)))


def test_network_widens_when_a_replications_value_is_written():
    network = TrustNetwork(NAMES)
    network.set("icb", "acute", evidence_for(0.3, 4.0))
    assert network.replications is None and isinstance(network.trust("icb", "acute"), float)
    network.set("acute", "icb", evidence_for(np.array([0.2, 0.8]), 4.0))
    assert network.replications == 2 and network.positive.shape == (2, 4, 4)
    # what was set before is held by both replications; the new value differs
    assert same_bits(network.trust("icb", "acute"), [evidence_for(0.3, 4.0).trust] * 2)
    low, high = network.trust("acute", "icb")
    assert low < 0.5 < high
    assert same_bits(
        network.get("acute", "icb").positive, evidence_for(np.array([0.2, 0.8]), 4.0)[0]
    )
    with pytest.raises(ValueError, match="replications"):
        network.set("gp", "icb", Evidence(np.zeros(3), np.zeros(3)))


def test_update_observe_and_turnover_in_some_replications_match_each_network():
    stacked, alone = networks(3)
    rng = np.random.default_rng(11)
    for period in range(6):
        observation = rng.uniform(-0.2, 1.2, size=(3, 4, 4))
        weight = rng.uniform(0.0, 1.0, size=(3, 4, 4))
        stacked.clear_observations()
        for one in alone:
            one.clear_observations()
        for a in NAMES:
            for b in NAMES:
                i, j = NAMES.index(a), NAMES.index(b)
                stacked.observe(a, b, observation[:, i, j], weight[:, i, j])
                for r, one in enumerate(alone):
                    one.observe(a, b, float(observation[r, i, j]), float(weight[r, i, j]))
        if period % 2:
            stacked.update_row("acute", 0.85)
            for one in alone:
                one.update_row("acute", 0.85)
        else:
            stacked.update(0.85)
            for one in alone:
                one.update(0.85)
        changed = np.array([True, False, period % 3 == 0])
        stacked.turnover(NAMES[period % 4], where=changed)
        for r, one in enumerate(alone):
            if changed[r]:
                one.turnover(NAMES[period % 4])
        assert_same_network(stacked, alone)


def test_turnover_where_it_happened_only():
    network = TrustNetwork(NAMES)
    network.set("gp", "acute", Evidence(6.0, 2.0))
    network.turnover("gp", where=np.array([False, True, False]))
    assert network.positive.shape == (3, 4, 4)
    assert network.positive[:, 0 + 3, 1].tolist() == [6.0, 3.0, 6.0]
    assert network.negative[:, 3, 1].tolist() == [2.0, 2.0, 2.0]
    network.turnover("gp", where=False)
    assert network.positive[:, 3, 1].tolist() == [6.0, 3.0, 6.0]
    network.turnover("gp", where=True)
    assert network.positive[:, 3, 1].tolist() == [3.0, 1.5, 3.0]
    assert staff_turnover(network.get("gp", "acute")).positive.tolist() == [1.5, 0.75, 1.5]


def test_broken_promises_only_where_squeezed():
    observation, weight = np.full((4, 4), 0.7), np.full((4, 4), 0.2)
    squeezed = np.array([True, False])
    observation, weight = observing.with_broken_promises(
        observation, weight, [(2, 1, squeezed), (3, 1, False)]
    )
    assert observation.shape == weight.shape == (2, 4, 4)
    assert observation[:, 2, 1].tolist() == [0.0, 0.7] and weight[:, 2, 1].tolist() == [1.0, 0.2]
    assert (observation[:, 3, 1] == 0.7).all()  # not squeezed anywhere
    # the agent model's pairs still write in place
    flat, w = np.full((4, 4), 0.7), np.zeros((4, 4))
    assert observing.with_broken_promises(flat, w, [(2, 1)])[0] is flat and flat[2, 1] == 0.0


def test_per_organisation_puts_replications_first():
    assert observing.per_organisation([0.0, 0.5]).tolist() == [0.0, 0.5]
    stacked = observing.per_organisation([0.0, np.array([0.1, 0.2, 0.3]), 0.5])
    assert stacked.shape == (3, 3)
    assert stacked[:, 1].tolist() == [0.1, 0.2, 0.3] and (stacked[:, 2] == 0.5).all()


def commissioner(capability) -> SimpleNamespace:
    spec = SimpleNamespace(capability=0.6)
    behaviour = SimpleNamespace(capability_decay=0.1)
    model = SimpleNamespace(scenario_spec=SimpleNamespace(behaviour=behaviour))
    return SimpleNamespace(capability=capability, spec=spec, model=model)


@pytest.mark.parametrize("in_place", [True, False])
def test_monitor_on_capability_arrays_matches_each_replication(in_place):
    values = [0.6, 0.3, 0.14, 0.05, 0.55]
    stacked = commissioner(np.array(values))
    Commissioner.monitor(stacked, in_place)
    for r, value in enumerate(values):
        one = commissioner(value)
        Commissioner.monitor(one, in_place)
        assert type(one.capability) is float and same_bits(stacked.capability[r], one.capability)
    flags = np.array([True, False, True, False, True])
    mixed = commissioner(np.array(values))
    Commissioner.monitor(mixed, flags)
    for r, value in enumerate(values):
        one = commissioner(value)
        Commissioner.monitor(one, bool(flags[r]))
        assert same_bits(mixed.capability[r], one.capability)
    assert (mixed.capability >= 0.05).all() and (mixed.capability <= 0.6).all()


# ------------------------------------------------------------------ replaying agent runs
def recorded_run(scenario, contract_model: str, seed: int, monkeypatch) -> list[dict]:
    """What the agent model's observe and update_trust saw and left, period by period."""
    periods: list[dict] = []
    observe, update_trust = observing.observe, observing.update_trust

    def recording_observe(model, delivery):
        commissioners, providers = model._in_trust_order
        periods.append(
            dict(
                positive=model.trust.positive.copy(),
                negative=model.trust.negative.copy(),
                joint_work=model.joint_work.copy(),
                effort={p.name: p.effort for p in providers},
                push={p.name: p.push for p in providers},
                capability={c.name: c.capability for c in commissioners},
                squeezing={p.name: dict(p.squeezing) for p in providers},
                failed={p.name: p.failed for p in providers},
                pattern=observing.observation_pattern(model),
            )
        )
        observe(model, delivery)
        periods[-1].update(
            observation=model.trust.observation.copy(),
            weight=model.trust.weight.copy(),
            joint_work_after=model.joint_work.copy(),
        )

    def recording_update(model):
        before = len(model.events)
        update_trust(model)
        periods[-1].update(
            positive_after=model.trust.positive.copy(),
            negative_after=model.trust.negative.copy(),
            matrix=model.trust.matrix().copy(),
            turnover=sorted(e["actor"] for e in model.events[before:] if e["kind"] == "turnover"),
        )

    with monkeypatch.context() as patch:
        patch.setattr(observing, "observe", recording_observe)
        patch.setattr(observing, "update_trust", recording_update)
        model = HealthEconomyModel(scenario, contract_model, seed, record_ledger=False)
        model.run()
    periods[0]["names"] = list(model.trust.names)
    periods[0]["good_news"] = model.trust.good_news.copy()
    periods[0]["commissioners"] = [c.name for c in model._in_trust_order[0]]
    return periods


class ReplayOrg:
    """An organisation of the replay: the agent model's own ``change_leadership``."""

    change_leadership = Organisation.change_leadership

    def __init__(self, model, name):
        self.model, self.name, self.failed = model, name, False
        self.effort = self.push = self.capability = 0.0
        self.squeezing: dict = {}


def same_pattern(a, b) -> bool:
    return all(
        (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("contract_model", ["alliance", "lead_provider"])
def test_stacked_replay_of_four_agent_runs_matches_each_run(contract_model, monkeypatch):
    # a higher turnover hazard than the default, so leadership changes in some runs only
    scenario = load_preset("default", trust__turnover=0.08)
    runs = [recorded_run(scenario, contract_model, seed, monkeypatch) for seed in SEEDS]
    first = runs[0][0]
    names, commissioners = first["names"], first["commissioners"]
    # the ensemble steps replications whose structure is the same: replay while it is
    shared = 0
    while shared < min(len(run) for run in runs) and all(
        same_pattern(run[shared]["pattern"], runs[0][shared]["pattern"])
        and run[shared]["failed"] == runs[0][shared]["failed"]
        for run in runs
    ):
        shared += 1
    assert shared >= 24, "the runs diverge in structure too early to test much"

    events: list[tuple] = []
    model = SimpleNamespace(
        scenario_spec=scenario,
        streams=EnsembleStreams(SEEDS),
        contracts=object(),
        n_failed=0,
        period=0,
        record_event=lambda actor, kind, text, where=None, **_: events.append(
            (model.period, actor, kind, where.copy())
        ),
    )
    model.trust = TrustNetwork(names)
    model.trust.positive = np.stack([run[0]["positive"] for run in runs])
    model.trust.negative = np.stack([run[0]["negative"] for run in runs])
    model.trust.good_news = first["good_news"]
    model.joint_work = np.stack([run[0]["joint_work"] for run in runs])
    model.orgs = {name: ReplayOrg(model, name) for name in names}
    model.providers = [model.orgs[n] for n in names if n not in commissioners]
    model._in_trust_order = (tuple(model.orgs[n] for n in commissioners), tuple(model.providers))

    mixed_turnover = squeezed = 0
    for t in range(shared):
        model.period = t
        seen = [run[t] for run in runs]
        for p in model.providers:
            p.effort = np.array([s["effort"][p.name] for s in seen])
            p.push = np.array([s["push"][p.name] for s in seen])
            p.failed = seen[0]["failed"][p.name]
            subs = seen[0]["squeezing"][p.name]
            p.squeezing = {
                sub: np.array([s["squeezing"][p.name][sub] for s in seen]) for sub in subs
            }
            squeezed += sum(flag.any() for flag in p.squeezing.values())
        for name in commissioners:
            model.orgs[name].capability = np.array([s["capability"][name] for s in seen])
        model._pattern = (model.contracts, model.n_failed, seen[0]["pattern"])
        events.clear()

        observing.observe(model, None)
        observing.update_trust(model)

        trust = model.trust
        for r, s in enumerate(seen):
            assert same_bits(
                np.broadcast_to(trust.observation, (4, *s["observation"].shape))[r],
                s["observation"],
            )
            assert same_bits(np.broadcast_to(trust.weight, (4, *s["weight"].shape))[r], s["weight"])
            assert same_bits(model.joint_work[r], s["joint_work_after"])
            assert same_bits(trust.positive[r], s["positive_after"]), (t, r)
            assert same_bits(trust.negative[r], s["negative_after"]), (t, r)
            assert same_bits(trust.matrix()[r], s["matrix"])
            for i, name in enumerate(names):
                row = trust.row(name)
                assert all(same_bits(row[j][r], s["matrix"][i, j]) for j in range(len(names)))
            assert sorted(actor for _, actor, _, where in events if where[r]) == s["turnover"]
        mean, low = collection.trust_summary(model)
        values = collection.trust_values(model)
        for r, one in enumerate(trust.matrix()):
            alone = SimpleNamespace(
                trust=SimpleNamespace(names=names, matrix=functools.partial(np.asarray, one)),
                orgs=model.orgs,
                n_failed=model.n_failed,
            )
            assert same_bits([mean[r], low[r]], collection.trust_summary(alone))
            assert values[r] == collection.trust_values(alone)
        flags = [where for _, _, kind, where in events if kind == "turnover"]
        mixed_turnover += sum(1 for where in flags if where.any() and not where.all())
    assert mixed_turnover > 0, "no period had turnover in some replications only"
    if contract_model == "lead_provider":
        assert squeezed > 0, "no squeeze: the broken-promise path was not replayed"


def test_seen_this_period_mixes_replication_arrays_and_common_values():
    # efforts differ between replications; pushes and capabilities are common (n,) rows
    model = HealthEconomyModel(load_preset("default"), "alliance", 1, record_ledger=False)
    pattern = observing.observation_pattern(model)
    assert pattern[4] is not None  # the alliance's leadership team meets: forum path too
    n = len(model.trust.names)
    rng = np.random.default_rng(3)
    effort = rng.uniform(0.0, 1.0, size=(3, n))
    push = rng.uniform(0.0, 1.0, size=n)
    capability = rng.uniform(0.0, 1.0, size=n)[None, :]
    observation, weight = observing.seen_this_period(effort, push, capability, pattern, 0.1)
    assert observation.shape == weight.shape == (3, n, n)
    for r in range(3):
        one = observing.seen_this_period(effort[r], push, capability, pattern, 0.1)
        assert same_bits(observation[r], one[0]) and same_bits(weight[r], one[1])
    assert len({observation[r].tobytes() for r in range(3)}) == 3
