"""The named random streams of R replications at once (issue 14).

Replication r of an ensemble draws exactly the numbers the agent model seeded
``seeds[r]`` draws: each named stream is, bit for bit, the ``random.Random`` the agent
model makes (``model/streams.py``), and ``random()`` / ``gauss()`` return an array of
shape (R,) whose element r is replication r's next draw.

Making R ``random.Random`` objects one by one costs a ``SeedSequence`` and a Mersenne
Twister seeding a replication and a stream, more than stepping the model. So the same
arithmetic is done here on arrays, one column a replication:

- ``seed_sequence_state``: numpy's ``SeedSequence(seed, spawn_key=key).generate_state``
  (entropy mixing with ``hashmix`` / ``mix``, then the output hash) in uint32 arithmetic
  over an array of seeds, seeds grouped by how many 32-bit words they take;
- ``mt_seeded``: CPython's ``random.Random(int)`` seeding (``init_by_array`` over the
  int's little-endian 32-bit words), for R keys at once;
- ``mt_twist`` / ``mt_temper``: the generator's next 624 words for R states at once;
- ``random()`` is CPython's ``genrand_res53`` on word pairs, and ``gauss()`` is
  ``random.Random.gauss`` (Python 3.12): a pair of uniforms gives the cosine normal and
  then the cached sine normal. Its cos, sin and log are ``math``'s, element by element
  (numpy's may differ from libm's in the last bit); sqrt and arithmetic are IEEE-exact
  in numpy too.

Seeding is a loop over the 624 state words whose cost is per step, hardly per column:
``EnsembleStreams.prepare`` (and ``prepare_draws``) seed streams known ahead in one
pass, and a pass of fewer columns than ``SCALAR_SEEDING_COLUMNS`` reads the states of
``random.Random`` generators instead (cheaper for few replications; same states).

Every stream a period draws from is drawn the same number of times in every
replication of an ensemble (the draws in a period depend on the structure of the
contracts, never on a replication's values), so the draws can be made ahead: the
first use of a stream draws a block of ``block`` numbers for each replication, and
later calls read the block row by row. A stream is read with one method only (a demand
noise stream with ``gauss``, the others with ``random``); mixing them on one stream
would change the sequence, so it is refused.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from alliancesim.model import streams as named

_U32 = np.uint32
_MASK32 = 0xFFFFFFFF

# numpy.random.SeedSequence (bit_generator.pyx) constants.
_POOL_SIZE = 4
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715
_XSHIFT = 16

# MT19937 (CPython Modules/_randommodule.c) constants.
_N = 624
_M = 397
_MATRIX_A = 0x9908B0DF
_UPPER = 0x80000000
_LOWER = 0x7FFFFFFF
_TWOPI = 2.0 * math.pi  # random.TWOPI


def int_words(value: int) -> list[int]:
    """Little-endian 32-bit words of a non-negative int, ``[0]`` for 0 (numpy's
    ``_int_to_uint32_array``)."""
    if value < 0:
        raise ValueError(f"a seed must be a non-negative int, got {value}")
    words = []
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words or [0]


class _Hash:
    """The running hash constant of ``hashmix``, a Python int kept to 32 bits."""

    def __init__(self, start: int):
        self.const = start

    def mix(self, value: np.ndarray) -> np.ndarray:
        value = value ^ _U32(self.const)
        self.const = (self.const * _MULT_A) & _MASK32
        value *= _U32(self.const)
        value ^= value >> _U32(_XSHIFT)
        return value


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = _U32(_MIX_MULT_L) * x - _U32(_MIX_MULT_R) * y
    result ^= result >> _U32(_XSHIFT)
    return result


def _mix_run(run: np.ndarray) -> tuple[list[np.ndarray], _Hash]:
    """``SeedSequence.mix_entropy`` as far as the run entropy goes, for a (words, G) array
    of seeds' words (a column a seed): the mixer and the hash constant then. A spawn key's
    words come after the run entropy (padded with zeros to the pool size, which mixes as
    the missing words would), so this part is the same for every stream of a seed."""
    hasher = _Hash(_INIT_A)
    zeros = np.zeros(run.shape[1], dtype=_U32)
    mixer = [hasher.mix(run[i] if i < len(run) else zeros) for i in range(_POOL_SIZE)]
    for i_src in range(_POOL_SIZE):
        for i_dst in range(_POOL_SIZE):
            if i_src != i_dst:
                mixer[i_dst] = _mix(mixer[i_dst], hasher.mix(mixer[i_src]))
    for i_src in range(_POOL_SIZE, len(run)):
        for i_dst in range(_POOL_SIZE):
            mixer[i_dst] = _mix(mixer[i_dst], hasher.mix(run[i_src]))
    return mixer, hasher


def _hashmix_word(value: int, const: int) -> tuple[int, int]:
    """``hashmix`` of one word (a spawn key's, the same for every seed): (value, const)."""
    value ^= const
    const = (const * _MULT_A) & _MASK32
    value = (value * const) & _MASK32
    return value ^ (value >> _XSHIFT), const


def _generate(pool: list[np.ndarray], n_words: int) -> np.ndarray:
    """``SeedSequence.generate_state(n_words, uint32)``: (n_words, G)."""
    out = np.empty((n_words, len(pool[0])), dtype=_U32)
    const = _INIT_B
    for i in range(n_words):
        value = pool[i % _POOL_SIZE] ^ _U32(const)
        const = (const * _MULT_B) & _MASK32
        value *= _U32(const)
        value ^= value >> _U32(_XSHIFT)
        out[i] = value
    return out


class SeedPools:
    """numpy ``SeedSequence`` of many int seeds at once (``bit_generator.pyx``): each
    seed's 32-bit words (little-endian, ``[0]`` for 0) mixed once, seeds grouped by how
    many words they take; ``state`` then adds a spawn key and generates."""

    def __init__(self, seeds: Sequence[int]):
        seed_words = [int_words(int(seed)) for seed in seeds]
        self.size = len(seed_words)
        by_length: dict[int, list[int]] = {}
        for column, words in enumerate(seed_words):
            by_length.setdefault(len(words), []).append(column)
        self._groups = []
        for columns in by_length.values():
            run = np.array([seed_words[c] for c in columns], dtype=_U32).T
            mixer, hasher = _mix_run(run)
            self._groups.append((np.array(columns), mixer, hasher.const))

    def state(self, spawn_key: Sequence[int], n_words: int) -> np.ndarray:
        """``SeedSequence(seed, spawn_key=spawn_key).generate_state(n_words)`` (uint32)
        of each seed: (n_words, seeds), a column a seed."""
        key_words = [w for k in spawn_key for w in int_words(int(k))]
        out = np.empty((n_words, self.size), dtype=_U32)
        for columns, run_mixer, const in self._groups:
            mixer = list(run_mixer)
            for word in key_words:
                for i_dst in range(_POOL_SIZE):
                    hashed, const = _hashmix_word(word, const)
                    # mix(x, y) with the y term made in Python ints (numpy warns on a
                    # scalar product that wraps; arrays wrap silently).
                    y_term = _U32((_MIX_MULT_R * hashed) & _MASK32)
                    result = _U32(_MIX_MULT_L) * mixer[i_dst] - y_term
                    result ^= result >> _U32(_XSHIFT)
                    mixer[i_dst] = result
            out[:, columns] = _generate(mixer, n_words)
        return out

    def stream_keys(self, purpose: str, name: str = "") -> np.ndarray:
        """The 128-bit ``named.stream_seed`` of each seed as four little-endian 32-bit
        words: (4, seeds). ``generate_state(2, uint64)`` is four uint32 words w0..w3 read
        in pairs (low word first), and ``named.stream_seed`` unpacks them as ``high,
        low``, so the seed is ``(w0 | w1 << 32) << 64 | (w2 | w3 << 32)``: words w2, w3,
        w0, w1."""
        words = self.state(named.stream_key(purpose, name), 4)
        return words[[2, 3, 0, 1]]


def seed_sequence_state(seeds: Sequence[int], spawn_key: Sequence[int], n_words: int) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=spawn_key).generate_state(n_words)`` (uint32) for
    each seed: an array (n_words, len(seeds)), a column a seed."""
    return SeedPools(seeds).state(spawn_key, n_words)


def _init_genrand(seed: int) -> np.ndarray:
    state = [seed]
    for i in range(1, _N):
        prev = state[-1]
        state.append((1812433253 * (prev ^ (prev >> 30)) + i) & _MASK32)
    return np.array(state, dtype=_U32)


_INIT_19650218 = _init_genrand(19650218)


def mt_seeded(keys: np.ndarray) -> np.ndarray:
    """The MT19937 states of ``random.Random(k)`` for 128-bit ints given as (4, n) words:
    an array (624, n), a column a state. CPython seeds with ``init_by_array`` over the
    int's words up to its highest non-zero one (at least one word)."""
    if len(keys) > 4:
        raise ValueError(f"stream seeds are 128-bit (4 words), got {len(keys)} words")
    n = keys.shape[1]
    length = np.ones(n, dtype=np.int64)
    for word in range(1, len(keys)):
        length[keys[word] != 0] = word + 1
    # init_key[j] + j with j = t % length: its pattern repeats every lcm(1..4) = 12 steps.
    columns = np.arange(n)
    terms = np.empty((12, n), dtype=_U32)
    for t in range(12):
        j = t % length
        terms[t] = keys[j, columns] + j.astype(_U32)
    mt = np.empty((_N, n), dtype=_U32)
    mt[:] = _INIT_19650218[:, None]
    # The loops are serial over the 624 words, each step a few ufuncs over the n columns:
    # rows as views made once, ufuncs writing into them, so a step costs little more
    # than its five ufunc calls.
    rows = list(mt)
    term_rows = list(terms)
    scratch = np.empty(n, dtype=_U32)
    shift, xor, multiply = np.right_shift, np.bitwise_xor, np.multiply
    add, subtract = np.add, np.subtract
    # Constants as full rows: an array operand costs a ufunc call less than a scalar.
    thirty, mult_1, mult_2 = (np.full(n, c, dtype=_U32) for c in (30, 1664525, 1566083941))
    i = 1
    for t in range(_N):  # max(N, key length) steps
        prev, row = rows[i - 1], rows[i]
        shift(prev, thirty, scratch)
        xor(scratch, prev, scratch)
        multiply(scratch, mult_1, scratch)
        xor(row, scratch, row)
        add(row, term_rows[t % 12], row)
        i += 1
        if i >= _N:
            rows[0][:] = rows[_N - 1]
            i = 1
    index = [_U32(k) for k in range(_N)]
    for _ in range(_N - 1):
        prev, row = rows[i - 1], rows[i]
        shift(prev, thirty, scratch)
        xor(scratch, prev, scratch)
        multiply(scratch, mult_2, scratch)
        xor(row, scratch, row)
        subtract(row, index[i], row)
        i += 1
        if i >= _N:
            rows[0][:] = rows[_N - 1]
            i = 1
    mt[0] = _UPPER
    return mt


def _twisted(low: np.ndarray, high: np.ndarray, far: np.ndarray) -> np.ndarray:
    y = (low & _U32(_UPPER)) | (high & _U32(_LOWER))
    return far ^ (y >> _U32(1)) ^ ((y & _U32(1)) * _U32(_MATRIX_A))


def mt_twist(mt: np.ndarray, start: int = 0, stop: int = _N) -> None:
    """Regenerate words ``start`` to ``stop`` of each state (columns of ``mt``) in place,
    as ``genrand_uint32`` does when it has used all 624 (``start`` is where the last
    call stopped, so a twist can be made in parts, only as far as words are needed).
    Word k reads words k + 1 and k + 397 (mod 624), already new when they come before
    k: slices of at most 227 words on either side of word 227 keep that."""
    edge = _N - _M  # 227
    k = start
    while k < stop:
        if k < edge:
            end = min(stop, edge)
            mt[k:end] = _twisted(mt[k:end], mt[k + 1 : end + 1], mt[k + _M : end + _M])
        elif k < _N - 1:
            end = min(stop, _N - 1, k + edge)
            mt[k:end] = _twisted(mt[k:end], mt[k + 1 : end + 1], mt[k - edge : end - edge])
        else:
            end = _N
            mt[k] = _twisted(mt[k], mt[0], mt[_M - 1])
        k = end


def mt_temper(words: np.ndarray) -> np.ndarray:
    """MT19937's output tempering of state words."""
    y = words ^ (words >> _U32(11))
    y ^= (y << _U32(7)) & _U32(0x9D2C5680)
    y ^= (y << _U32(15)) & _U32(0xEFC60000)
    y ^= y >> _U32(18)
    return y


def res53(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``genrand_res53``: a float in [0, 1) from two output words (exact in float64)."""
    return ((a >> _U32(5)).astype(np.float64) * 67108864.0 + (b >> _U32(6))) * (
        1.0 / 9007199254740992.0
    )


def _elementwise(function, values: np.ndarray) -> np.ndarray:
    """``function`` of each value with Python's ``math`` (libm), not numpy's kernels."""
    flat = map(function, values.ravel().tolist())
    return np.fromiter(flat, dtype=np.float64, count=values.size).reshape(values.shape)


def gauss_pairs(u1: np.ndarray, u2: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """``random.Random.gauss`` (Python 3.12) on uniform pairs: for each pair, the first
    call returns ``cos(u1 * TWOPI) * g2rad`` and caches ``sin(u1 * TWOPI) * g2rad``, with
    ``g2rad = sqrt(-2 log(1 - u2))``; both then as ``mu + z * sigma``. Returns an array
    (2 * pairs, ...), the pairs' two normals in turn."""
    x2pi = u1 * _TWOPI
    g2rad = np.sqrt(-2.0 * _elementwise(math.log, 1.0 - u2))
    out = np.empty((2 * len(u1),) + u1.shape[1:])
    out[0::2] = mu + (_elementwise(math.cos, x2pi) * g2rad) * sigma
    out[1::2] = mu + (_elementwise(math.sin, x2pi) * g2rad) * sigma
    return out


class _Twister:
    """R Mersenne Twisters (columns), giving their output words in blocks."""

    def __init__(self, state: np.ndarray):
        self._state = state
        self._done = _N  # words of the current twist made (a seeded state twists first)
        self._words = np.empty((0, state.shape[1]), dtype=_U32)

    def words(self, count: int) -> np.ndarray:
        """The next ``count`` output words of each generator: (count, R)."""
        parts = [self._words]
        have = len(self._words)
        while have < count:
            if self._done == _N:
                self._done = 0
            stop = min(_N, self._done + count - have)
            mt_twist(self._state, self._done, stop)
            parts.append(mt_temper(self._state[self._done : stop]))
            have += stop - self._done
            self._done = stop
        words = np.concatenate(parts) if len(parts) > 1 else parts[0]
        self._words = words[count:]
        return words[:count]

    def uniforms(self, count: int) -> np.ndarray:
        """The next ``count`` ``random()`` values of each generator: (count, R)."""
        words = self.words(2 * count)
        return res53(words[0::2], words[1::2])


class EnsembleGenerator:
    """One named stream in every replication: ``random()`` and ``gauss()`` give arrays."""

    def __init__(self, state: np.ndarray, block: int):
        self._twister = _Twister(state)
        self._block = max(int(block), 1)
        self._method: str | None = None
        self._args: tuple[float, float] = (0.0, 1.0)
        self._buffer = np.empty((0, state.shape[1]))
        self._next = 0
        self._own: np.ndarray | None = None  # each replication's position (random_where)
        self._rows: list[np.ndarray] = []  # the rows drawn for random_where

    def _take(self, method: str, mu: float = 0.0, sigma: float = 1.0) -> np.ndarray:
        if self._method is None:
            self._method = method
            self._args = (mu, sigma)
        elif (method, (mu, sigma) if method == "gauss" else self._args) != (
            self._method,
            self._args,
        ):
            raise ValueError(
                f"a stream read with {self._method}{self._args} cannot also be read with "
                f"{method}: the sequence would differ from the agent model's"
            )
        if self._next == len(self._buffer):
            self._refill()
        row = self._buffer[self._next]
        self._next += 1
        return row

    def _refill(self) -> None:
        if self._method == "gauss":
            # Whole pairs only, so the cached second normal never spans two blocks.
            pairs = (self._block + 1) // 2
            uniforms = self._twister.uniforms(2 * pairs)
            self._buffer = gauss_pairs(uniforms[0::2], uniforms[1::2], *self._args)
        else:
            self._buffer = self._twister.uniforms(self._block)
        self._next = 0

    def random(self) -> np.ndarray:
        """Each replication's next uniform draw in [0, 1)."""
        if self._own is not None:
            raise ValueError("a stream read with random_where cannot also be read with random")
        return self._take("random")

    def random_where(self, where: Any) -> np.ndarray:
        """Each replication's next uniform draw where ``where`` holds (nan elsewhere).

        A replication's place in the stream moves only when it draws, as a single run's
        does when the branch that draws is taken in some runs only: its k-th draw is the
        stream's k-th, whenever it comes."""
        if self._own is None:
            if self._method is not None:
                raise ValueError("a stream read with random cannot also be read with random_where")
            self._own = np.zeros(self._buffer.shape[1], dtype=np.int64)
        drawing = np.flatnonzero(np.broadcast_to(where, self._own.shape))
        if drawing.size:
            while len(self._rows) <= int(self._own[drawing].max()):
                self._rows.append(self._take("random"))
        values = np.full(self._own.shape, np.nan)
        if drawing.size:
            values[drawing] = np.array(self._rows)[self._own[drawing], drawing]
            self._own[drawing] += 1
        return values

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> np.ndarray:
        """Each replication's next normal draw (``random.Random.gauss``, same cache)."""
        return self._take("gauss", mu, sigma)


def _first_uniform(state: np.ndarray) -> np.ndarray:
    """``random()`` once from freshly seeded states: only output words 0 and 1 of the
    first twist, which read state words 0-2, 397 and 398."""
    a = mt_temper(_twisted(state[0], state[1], state[_M]))
    b = mt_temper(_twisted(state[1], state[2], state[_M + 1]))
    return res53(a, b)


def _states_of(generators: Iterable[random.Random]) -> np.ndarray:
    """The MT states (624, R) of freshly seeded ``random.Random`` generators."""
    words = [generator.getstate()[1][:_N] for generator in generators]
    return np.array(words, dtype=_U32).reshape(-1, _N).T.copy()


class EnsembleStreams:
    """The named streams of the replications seeded ``seeds``, each made on first use
    (bit for bit ``model.streams.Streams``, one a replication, read together).

    Seeding is a serial loop over the 624 state words whose cost is per step, hardly
    per column, so streams seeded together cost little more than one: ``prepare`` and
    ``prepare_draws`` seed the streams (and one-draw streams) a caller knows it will use
    in one pass. They are optional; the draws are the same either way."""

    # Columns seeded in one pass at most (a 624-word state each: 40 MB).
    SEED_BATCH_COLUMNS = 1 << 14
    # Below this many columns a pass costs more than seeding each with ``random.Random``
    # and reading its state (about 40 µs a column against about 2 ms a pass): judgement
    # from timings on one machine, any value gives the same draws.
    SCALAR_SEEDING_COLUMNS = 40

    def __init__(self, seeds: Sequence[int], block: int = 120):
        self.seeds = [int(s) for s in seeds]
        self.block = block
        self._made: dict[tuple[str, str], EnsembleGenerator] = {}
        self._drawn: dict[tuple[str, str], np.ndarray] = {}
        self._pools = SeedPools(self.seeds)

    @property
    def size(self) -> int:
        return len(self.seeds)

    def _states(self, keys: Sequence[tuple[str, str]]) -> Iterator[np.ndarray]:
        """Seeded MT states (624, R) of the streams ``keys``, in order, seeded together
        as far as ``SEED_BATCH_COLUMNS`` allows."""
        r = self.size
        per_batch = max(1, self.SEED_BATCH_COLUMNS // max(r, 1))
        for first in range(0, len(keys), per_batch):
            batch = keys[first : first + per_batch]
            if len(batch) * r < self.SCALAR_SEEDING_COLUMNS:
                for purpose, name in batch:
                    yield _states_of(named.stream(seed, purpose, name) for seed in self.seeds)
                continue
            words = np.concatenate([self._pools.stream_keys(p, n) for p, n in batch], axis=1)
            state = mt_seeded(words)
            if len(batch) == 1:
                yield state
            else:
                for k in range(len(batch)):
                    yield np.ascontiguousarray(state[:, k * r : (k + 1) * r])

    def _new(self, keys: Iterable[tuple[str, str]], done: dict) -> list[tuple[str, str]]:
        return list(dict.fromkeys(k for k in keys if k not in done))

    def prepare(self, keys: Iterable[tuple[str, str]]) -> None:
        """Make the streams ``keys`` (purpose, name) now, together."""
        todo = self._new(keys, self._made)
        for key, state in zip(todo, self._states(todo), strict=True):
            self._made[key] = EnsembleGenerator(state, self.block)

    def prepare_draws(self, keys: Iterable[tuple[str, str]]) -> None:
        """Make the one-draw streams ``keys`` (purpose, name) of ``draw`` now, together."""
        todo = self._new(keys, self._drawn)
        for key, state in zip(todo, self._states(todo), strict=True):
            self._drawn[key] = _first_uniform(state)

    def __call__(self, purpose: str, name: str = "") -> EnsembleGenerator:
        key = (purpose, name)
        generator = self._made.get(key)
        if generator is None:
            self.prepare([key])
            generator = self._made[key]
        return generator

    def draw(self, purpose: str, name: str = "") -> np.ndarray:
        """One uniform draw a replication from a stream used once (``Streams.draw``)."""
        key = (purpose, name)
        if key not in self._drawn:
            self.prepare_draws([key])
        return self._drawn[key].copy()
