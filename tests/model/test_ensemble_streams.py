"""The ensemble's streams are, bit for bit, each replication's ``random.Random`` streams.

``model/ensemble/streams.py`` redoes numpy's ``SeedSequence`` and CPython's Mersenne
Twister seeding and drawing on arrays over replications; every test here compares it
with the real thing (numpy's ``SeedSequence``, ``random.Random``, ``model.streams``)
with ``==``, never with a tolerance or a copied number.
"""

import math
import random

import numpy as np
import pytest
from alliancesim.model import streams as named
from alliancesim.model.ensemble import streams as ens
from alliancesim.model.ensemble.streams import EnsembleStreams
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EDGE_SEEDS = [
    0,
    1,
    2,
    2**32 - 1,
    2**32,
    2**32 + 1,
    2**63,
    2**64 - 1,
    2**64,
    2**64 + 5,
    2**96 + 3,
    2**128 - 1,
    2**128 + 7,
    2**200 + 11,
]
RANDOM_SEEDS = [random.Random(14).getrandbits(bits) for bits in (8, 31, 33, 64, 64, 64, 90, 130)]
SEEDS = EDGE_SEEDS + RANDOM_SEEDS
KEYS = [
    (named.DEMAND_SHOCK, ""),
    (named.DEMAND_NOISE, "acute"),
    (named.TURNOVER, "Northfield Community"),
    (named.SQUEEZE, "lead > sub"),
]


@pytest.fixture(autouse=True, params=["arrays", "random.Random"])
def seeding(request, monkeypatch):
    """Every test runs with streams seeded on arrays (``mt_seeded``) and with the state
    read from ``random.Random`` (how few replications are seeded)."""
    columns = 0 if request.param == "arrays" else 10**9
    monkeypatch.setattr(EnsembleStreams, "SCALAR_SEEDING_COLUMNS", columns)
    return request.param


ANY_SEED = st.one_of(
    st.integers(0, 2**32),
    st.integers(0, 2**64 + 10),
    st.integers(0, 2**140),
    st.sampled_from(EDGE_SEEDS),
)


@pytest.mark.parametrize("spawn_key", [(), (0,), (5, 2**32 - 1), named.stream_key("turnover", "a")])
def test_seed_sequence_state_is_numpys(spawn_key):
    got = ens.seed_sequence_state(SEEDS, spawn_key, 9)
    for column, seed in enumerate(SEEDS):
        expected = np.random.SeedSequence(seed, spawn_key=spawn_key).generate_state(9)
        assert got[:, column].tolist() == expected.tolist(), seed


def test_stream_keys_are_the_words_of_the_stream_seed():
    pools = ens.SeedPools(SEEDS)
    for purpose, name in KEYS:
        words = pools.stream_keys(purpose, name)
        for column, seed in enumerate(SEEDS):
            int_seed = named.stream_seed(seed, purpose, name)
            assert sum(int(w) << (32 * i) for i, w in enumerate(words[:, column])) == int_seed


def test_seeding_follows_the_key_length_of_the_int():
    """CPython seeds with the int's words up to its highest non-zero one: a 128-bit seed
    whose high words are zero seeds with a shorter key (a different state)."""
    ints = [0, 1, 7, 2**32 - 1, 2**32 + 9, 2**64 - 1, 2**64 + 3, 2**96 + 1, 2**128 - 1]
    words = np.array([[(k >> (32 * i)) & 0xFFFFFFFF for i in range(4)] for k in ints], np.uint32)
    twister = ens._Twister(ens.mt_seeded(words.T.copy()))
    draws = twister.uniforms(700)  # more than one twist (624 words)
    for column, k in enumerate(ints):
        reference = random.Random(k)
        assert draws[:, column].tolist() == [reference.random() for _ in range(700)], k


@pytest.mark.parametrize("block", [1, 7, 120, 311, 700])
def test_random_and_gauss_equal_each_replications_stream(block):
    """Blocks smaller and larger than one twist (312 draws, 156 normal pairs), odd block
    sizes included (the cached second normal must not be lost at a block's end)."""
    streams = EnsembleStreams(SEEDS, block=block)
    draws = 2 * block + 5
    for purpose, name in KEYS:
        gauss = purpose == named.DEMAND_NOISE
        generator = streams(purpose, name)
        got = [generator.gauss(0.0, 1.0) if gauss else generator.random() for _ in range(draws)]
        for r, seed in enumerate(SEEDS):
            reference = named.stream(seed, purpose, name)
            expected = [
                reference.gauss(0.0, 1.0) if gauss else reference.random() for _ in range(draws)
            ]
            assert [g[r] for g in got] == expected, (purpose, name, seed)


def test_gauss_with_a_mean_and_spread_is_randoms():
    streams = EnsembleStreams(SEEDS, block=5)
    generator = streams(named.DEMAND_NOISE, "elective")
    got = [generator.gauss(3.5, 0.2) for _ in range(13)]
    for r, seed in enumerate(SEEDS):
        reference = named.stream(seed, named.DEMAND_NOISE, "elective")
        assert [g[r] for g in got] == [reference.gauss(3.5, 0.2) for _ in range(13)]


def test_draw_is_streams_draw():
    streams = EnsembleStreams(SEEDS)
    for name in ("contract@0", "contract@1", "other@3"):
        got = streams.draw(named.LENIENCY, name)
        expected = [named.Streams(seed).draw(named.LENIENCY, name) for seed in SEEDS]
        assert got.tolist() == expected


@pytest.mark.parametrize("batch_columns", [1, 2 * len(SEEDS) + 1, 1 << 14])
def test_prepared_streams_draw_what_streams_made_on_first_use_draw(batch_columns):
    """Seeding several streams in one pass (in batches of any size) gives each the
    state it has alone."""
    prepared = EnsembleStreams(SEEDS, block=9)
    prepared.SEED_BATCH_COLUMNS = batch_columns
    prepared.prepare(KEYS)
    draw_keys = [(named.LENIENCY, f"c@{year}") for year in range(5)]
    prepared.prepare_draws(draw_keys)
    lazy = EnsembleStreams(SEEDS, block=9)
    for purpose, name in KEYS:
        for _ in range(20):
            if purpose == named.DEMAND_NOISE:
                a, b = prepared(purpose, name).gauss(), lazy(purpose, name).gauss()
            else:
                a, b = prepared(purpose, name).random(), lazy(purpose, name).random()
            assert a.tolist() == b.tolist()
    for purpose, name in draw_keys:
        expected = [named.Streams(seed).draw(purpose, name) for seed in SEEDS]
        assert prepared.draw(purpose, name).tolist() == expected
        assert lazy.draw(purpose, name).tolist() == expected


def test_no_replications_draw_empty_arrays():
    streams = EnsembleStreams([])
    assert streams("turnover", "a").random().shape == (0,)
    assert streams("demand.noise", "a").gauss(0.0, 1.0).shape == (0,)
    assert streams.draw("leniency", "a").shape == (0,)


def test_libm_functions_are_applied_per_element():
    """``gauss`` must use the same cos, sin and log as ``random`` (libm via ``math``):
    the helper gives exactly ``math``'s values on values numpy's kernels may round
    differently."""
    values = np.random.default_rng(3).random((50, 40)) * 6.28
    for function in (math.cos, math.sin, math.log):
        got = ens._elementwise(function, values + 1e-3)
        assert got.tolist() == [[function(v + 1e-3) for v in row] for row in values.tolist()]


def test_a_stream_read_two_ways_is_refused():
    streams = EnsembleStreams([1, 2])
    streams("turnover", "a").random()
    with pytest.raises(ValueError, match="cannot also be read"):
        streams("turnover", "a").gauss(0.0, 1.0)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(ANY_SEED, min_size=1, max_size=6),
    st.sampled_from(KEYS),
    st.integers(1, 40),
    st.integers(1, 90),
)
def test_any_seeds_draw_their_own_streams(seeds, key, block, draws):
    purpose, name = key
    gauss = purpose == named.DEMAND_NOISE
    generator = EnsembleStreams(seeds, block=block)(purpose, name)
    got = [generator.gauss(0.0, 1.0) if gauss else generator.random() for _ in range(draws)]
    for r, seed in enumerate(seeds):
        reference = named.stream(seed, purpose, name)
        expected = [
            reference.gauss(0.0, 1.0) if gauss else reference.random() for _ in range(draws)
        ]
        assert [g[r] for g in got] == expected
    assert EnsembleStreams(seeds).draw(purpose, name).tolist() == [
        named.Streams(seed).draw(purpose, name) for seed in seeds
    ]
