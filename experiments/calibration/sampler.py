"""ABC-SMC over the behavioural priors with pyabc: the simulator, the distance to the case
ranges, the sampler on the project's runners, resume and progress.

pyabc classes used: ``ABCSMC`` (median-quantile epsilon, multivariate normal transition,
both pyabc's defaults), ``Distribution`` of ``RV("uniform")`` priors, and
``MappingSampler`` (static scheduling: one job per particle, each sampling until it has
one accepted particle), mapped over one process, a joblib loky process pool
(``--workers N``) or a Dask cluster (``--cluster ADDRESS``).

Reproducibility: same seed, same posterior, on any number of workers or a cluster.
pyabc's own ``MappingSampler`` reseeds every job from the operating system's entropy;
:class:`SeededMappingSampler` instead gives job ``i`` of a generation a seed drawn in the
main process, whose generators are seeded from the calibration seed before each
generation, and the mappers return results in job order. So the particles do not depend
on which worker ran them or when it finished. Every simulation's seed is derived from
the calibration seed and the particle's prior values (:func:`simulation_seed`) and
recorded, so each particle's statistics can be re-simulated exactly from its row.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import math
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
from alliancesim.experiments.calibration.config import Calibration, CalibrationError, CaseTarget

SEED_KEY = "seed"
SEED_LIMIT = 2**32  # a simulation seed fits numpy's legacy and new generators alike

REPRODUCIBLE = (
    "reproducible on any number of workers: each job's seed is drawn from the calibration "
    "seed in the main process and results are kept in job order"
)


def simulation_seed(calibration_seed: int, values: Mapping[str, float]) -> int:
    """The seed of the simulation at ``values``: a hash of the calibration seed and the
    prior values (in key order), so the same particle always gets the same seed."""
    text = f"{calibration_seed}|" + "|".join(f"{k}={values[k]!r}" for k in sorted(values))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % SEED_LIMIT


def stream_seed(calibration_seed: int, *labels: Any) -> int:
    """A seed for one stream of the calibration (a generation's draws, the predictive check)."""
    text = "|".join([str(calibration_seed), *map(str, labels)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % SEED_LIMIT


def parameter_name(key: str) -> str:
    """pyabc's name of a prior: the behaviour field (``behaviour.effort_cost`` -> ``effort_cost``)."""
    return key.split(".", 1)[1]


@dataclass(frozen=True)
class Simulator:
    """pyabc's model: the targets' statistics at one particle, and its seed."""

    calibration_seed: int
    keys: tuple[str, ...]
    targets: tuple[CaseTarget, ...]

    def values(self, parameter: Mapping[str, float]) -> dict[str, float]:
        return {key: float(parameter[parameter_name(key)]) for key in self.keys}

    def __call__(self, parameter: Mapping[str, float]) -> dict[str, float]:
        values = self.values(parameter)
        seed = simulation_seed(self.calibration_seed, values)
        stats: dict[str, float] = {t.column: statistic(t, values, seed) for t in self.targets}
        stats[SEED_KEY] = seed
        return stats


class SimulationError(RuntimeError):
    """A target's statistic failed: names the target, the prior values and the seed."""


def statistic(case: CaseTarget, values: Mapping[str, float], seed: int) -> float:
    """One target's statistic at ``values`` with ``seed``; a failure names all three."""
    try:
        return float(case.target.statistic(values, seed))
    except Exception as error:
        raise SimulationError(
            f"target '{case.name}' failed at {dict(values)} with seed {seed}: "
            f"{type(error).__name__}: {error}"
        ) from error


@dataclass(frozen=True)
class RangeDistance:
    """sqrt(sum over targets of (gap / scale)^2), gap = how far outside the case range."""

    targets: tuple[CaseTarget, ...]

    def __call__(self, x: Mapping[str, Any], x_0: Mapping[str, Any] | None = None) -> float:
        total = 0.0
        for t in self.targets:
            total += (t.gap(float(x[t.column])) / t.scale) ** 2
        return math.sqrt(total) if math.isfinite(total) else math.inf


def observed(calibration: Calibration) -> dict[str, float]:
    """The 'observed' statistics stored with the run: the middle of each case range (the
    distance uses the ranges themselves)."""
    x_0 = {t.column: (t.low + t.high) / 2 for t in calibration.targets}
    x_0[SEED_KEY] = 0
    return x_0


def prior_distribution(calibration: Calibration) -> Any:
    import pyabc

    return pyabc.Distribution(
        **{
            parameter_name(p.key): pyabc.RV("uniform", p.low, p.high - p.low)
            for p in calibration.priors
        }
    )


# pyabc draws from numpy's and Python's global generators, which the threads of one
# process share: a Dask worker with several threads runs one seeded job at a time
_GLOBAL_GENERATORS = threading.Lock()


def seeded_job(sample_factory: Any, simulate_one: Callable, seed: int) -> tuple[Any, int]:
    """One job of a generation: seed this process's generators, then sample particles
    until one is accepted (pyabc's static scheduling). Runs on a worker."""
    with _GLOBAL_GENERATORS:
        return sampled(sample_factory, simulate_one, seed)


def sampled(sample_factory: Any, simulate_one: Callable, seed: int) -> tuple[Any, int]:
    """A job's particles, sampled from ``seed`` until one is accepted, and how many."""
    np.random.seed(seed)
    random.seed(seed)
    sample = sample_factory()
    simulations = 0
    while True:
        particle = simulate_one()
        simulations += 1
        sample.append(particle)
        if particle.accepted:
            return sample, simulations


class GlobalGenerators:
    """The process's generators pyabc draws from, saved and restored around each job's
    turn (``batches.Switch``): jobs that take turns draw as if each ran alone."""

    def save(self) -> Any:
        return random.getstate(), np.random.get_state()

    def restore(self, state: Any) -> None:
        random.setstate(state[0])
        np.random.set_state(state[1])


def seeded_jobs(
    sample_factory: Any, simulate_one: Callable, engine: str, seeds: list[int]
) -> tuple[list[tuple[Any, int]], dict[str, Any]]:
    """A worker's share of a generation's jobs, run in turns so that the model runs their
    particles ask for are made together (``model/ensemble/batches.py``: one ensemble a
    scenario and contract model, the particles' prior values as arrays); each job's
    result is ``seeded_job``'s. Also: the runs made, by engine."""
    from alliancesim.model.ensemble.batches import counting, together

    with _GLOBAL_GENERATORS, counting() as counts:
        jobs = [functools.partial(sampled, sample_factory, simulate_one, s) for s in seeds]
        return together(jobs, engine=engine, switch=GlobalGenerators()), counts


def shares(items: list, parts: int) -> list[list]:
    """``items`` in at most ``parts`` consecutive slices of near-equal length."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    cuts = [i * size + min(i, extra) for i in range(parts + 1)]
    return [items[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def seeded_mapping_sampler(map_: Callable, engine: str = "agents", parts: int = 1) -> Any:
    """pyabc's ``MappingSampler`` with jobs seeded from the main process.

    ``map_(function, items)`` must return the results in the order of ``items`` (the
    builtin ``map``, a loky executor's ``map``, Dask's ``gather(map(...))``). With
    ``engine`` other than ``agents`` the jobs go to the workers in ``parts`` shares, each
    share's runs made together (``seeded_jobs``); the jobs' results are the same."""
    import pyabc

    class SeededMappingSampler(pyabc.sampler.MappingSampler):
        engine_counts: dict[str, Any] | None = None

        def sample_until_n_accepted(self, n, simulate_one, t, **_):  # noqa: ANN001, ARG002
            seeds = [int(s) for s in np.random.randint(0, SEED_LIMIT, size=n, dtype=np.int64)]
            if engine == "agents":
                job = functools.partial(seeded_job, self.sample_factory, simulate_one)
                results = list(self.map_(job, seeds))
            else:
                jobs = functools.partial(seeded_jobs, self.sample_factory, simulate_one, engine)
                results = []
                for done, counts in self.map_(jobs, shares(seeds, parts)):
                    results.extend(done)
                    self.count(counts)
            self.nr_evaluations_ = sum(evaluations for _, evaluations in results)
            sample = self._create_empty_sample()
            for result, _ in results:
                sample += result
            return sample

        def count(self, counts: dict[str, Any]) -> None:
            """Add a share's runs by engine (``batches.counting``; the first reason a
            group fell back to agents is kept)."""
            totals = dict(self.engine_counts or {})
            for key, value in counts.items():
                if isinstance(value, int):
                    totals[key] = totals.get(key, 0) + value
                else:
                    totals.setdefault(key, value)
            self.engine_counts = totals

    return SeededMappingSampler(map_=map_, mapper_pickles=True)


def choose_engine(requested: str, particles: int) -> str:
    """``agents``, or ``ensemble``/``auto`` (a worker's particles taking turns, their runs
    made together: on the ensemble for groups of at least ``MIN_REPLICATIONS`` runs
    under ``auto``, always under ``ensemble``). ``auto`` is ``agents`` when a generation
    has fewer particles than that."""
    from alliancesim.model.ensemble import ENGINES, MIN_REPLICATIONS

    if requested not in ENGINES:
        raise CalibrationError(
            "--engine", [f"--engine: {requested!r}; allowed: {', '.join(ENGINES)}"]
        )
    if requested == "auto" and particles < MIN_REPLICATIONS:
        return "agents"
    return requested


def describe_engine(engine: str) -> str:
    if engine == "agents":
        return "agents (each particle's runs on the agent model, one at a time)"
    return (
        f"{engine} (a worker's particles take turns; runs of one scenario and contract model "
        "are made together on the ensemble engine, prior values as arrays; the posterior is "
        "the agent model's)"
    )


@dataclass
class Backend:
    sampler: Any
    label: str  # e.g. "SeededMappingSampler(joblib loky, 2 workers)"
    workers: int | None
    cluster: str | None
    reproducible: str = REPRODUCIBLE
    client: Any = None  # a dask client, for the predictive check
    executor: Any = None  # the loky executor, for the predictive check
    owned: list = field(default_factory=list)

    def close(self) -> None:
        for thing in reversed(self.owned):
            with contextlib.suppress(Exception):
                thing.close()


@dataclass(frozen=True)
class _Shutdown:
    executor: Any

    def close(self) -> None:
        self.executor.shutdown(wait=True)


def make_backend(workers: int, cluster: Any, engine: str = "agents") -> Backend:
    """The seeded pyabc sampler mapped over the project's runners: one process, joblib's
    loky pool, or a Dask cluster (``'local'`` starts a two-worker LocalCluster, as the
    runner does)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise CalibrationError("--workers", [f"--workers: {workers!r}; allowed: an integer >= 1"])
    if cluster is not None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - optional extra
            raise CalibrationError(
                "--cluster", ["--cluster needs the 'cluster' extra (dask[distributed])"]
            ) from None
        owned: list = []
        if isinstance(cluster, Client):
            client, address = cluster, str(cluster.scheduler.address)
        elif isinstance(cluster, str) and cluster == "local":
            local = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
            owned.append(local)
            client, address = Client(local), "local"
            owned.append(client)
        elif isinstance(cluster, str) and "://" in cluster:
            try:
                client = Client(cluster, timeout=30)
            except (OSError, TimeoutError) as error:
                raise CalibrationError(
                    "--cluster", [f"--cluster: cannot reach {cluster!r}: {error}"]
                ) from None
            owned.append(client)
            address = cluster
        else:
            raise CalibrationError(
                "--cluster",
                [f"--cluster: {cluster!r}; allowed: 'local' or an address like tcp://host:8786"],
            )

        def on_dask(function: Callable, items: list) -> list:
            return client.gather(client.map(function, items, pure=False))

        threads = sum(client.nthreads().values()) or 1
        sampler = seeded_mapping_sampler(on_dask, engine, threads)
        label = "SeededMappingSampler(Dask)"
        return Backend(sampler, label, None, address, client=client, owned=owned)
    if workers == 1:
        return Backend(
            seeded_mapping_sampler(map, engine), "SeededMappingSampler(one process)", 1, None
        )
    # joblib's loky process pool, but a private one: the reusable executor is a singleton
    # that joblib's Parallel (the runner) would then find without its memmapping set-up.
    from joblib.externals.loky import ProcessPoolExecutor

    executor = ProcessPoolExecutor(max_workers=workers)
    return Backend(
        seeded_mapping_sampler(executor.map, engine, workers),
        f"SeededMappingSampler(joblib loky, {workers} workers)",
        workers,
        None,
        executor=executor,
        owned=[_Shutdown(executor)],
    )


def seed_draws(calibration_seed: int, *labels: Any) -> None:
    """Seed the generators pyabc draws from in the main process: the parameters of
    generation 0's jobs and every job's seed come from them."""
    value = stream_seed(calibration_seed, *labels)
    np.random.seed(value)
    random.seed(value)


@dataclass
class GenerationReport:
    generation: int
    epsilon: float
    accepted: int
    simulations: int
    elapsed_s: float

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.simulations if self.simulations else float("nan")

    def line(self) -> str:
        return (
            f"generation {self.generation}: epsilon {self.epsilon:.4g}, acceptance "
            f"{self.acceptance_rate:.3f} ({self.accepted}/{self.simulations}), "
            f"elapsed {self.elapsed_s:.1f} s"
        )


def quiet_pyabc() -> None:
    """pyabc logs every step at INFO; the calibration prints its own progress line."""
    logging.getLogger("ABC").setLevel(logging.WARNING)


def build_abc(calibration: Calibration, backend: Backend) -> Any:
    import pyabc

    quiet_pyabc()

    keys = tuple(p.key for p in calibration.priors)
    return pyabc.ABCSMC(
        models=Simulator(calibration.seed, keys, calibration.targets),
        parameter_priors=prior_distribution(calibration),
        distance_function=RangeDistance(calibration.targets),
        population_size=calibration.particles,
        sampler=backend.sampler,
    )


def run_generations(
    abc: Any,
    calibration: Calibration,
    backend: Backend,
    on_generation: Callable[[GenerationReport], None],
    stream: TextIO | None = None,
) -> tuple[int, str]:
    """Run generations until a stopping rule holds (at most ``generations`` in all, counting
    those of a resumed run); ``on_generation`` streams each one. The number of generations
    run and why it stopped, in words."""
    stream = stream or sys.stderr
    start = time.perf_counter()
    t0 = abc.history.max_t + 1
    remaining = calibration.generations - t0
    if remaining <= 0:
        return 0, f"it already has {calibration.generations} generations"
    seed_draws(calibration.seed, "initialise", t0)
    t0 = abc.initialize_components_before_run(
        minimum_epsilon=calibration.min_epsilon,
        max_nr_populations=remaining,
        min_acceptance_rate=calibration.min_acceptance,
        max_total_nr_simulations=np.inf,
        max_walltime=None,
        min_eps_diff=0.0,
    )
    t = t0
    reason = f"reached {calibration.generations} generations"
    try:
        while True:
            seed_draws(calibration.seed, "generation", t)
            before = abc.history.total_nr_simulations
            result = abc.run_generation(t=t)
            if not result["successful"]:
                reason = (
                    f"generation {t} could not reach {calibration.particles} particles at an "
                    f"acceptance rate of min_acceptance = {calibration.min_acceptance:g} "
                    "(not kept)"
                )
                t -= 1
                break
            report = GenerationReport(
                generation=t,
                epsilon=float(abc.eps(t)),
                accepted=calibration.particles,
                simulations=abc.history.total_nr_simulations - before,
                elapsed_s=time.perf_counter() - start,
            )
            print(report.line(), file=stream, flush=True)
            on_generation(report)
            if abc.check_terminate(t=t, acceptance_rate=result["acceptance_rate"]):
                reason = stop_reason(report, calibration, t >= calibration.generations - 1)
                break
            t += 1
    finally:
        from datetime import datetime

        abc.history.done(end_time=datetime.now())
        abc.sampler.stop()
    return t - t0 + 1, reason


def stop_reason(report: GenerationReport, calibration: Calibration, last: bool) -> str:
    """Which of the stopping rules ended the calibration, in words."""
    if report.epsilon <= calibration.min_epsilon:
        return f"epsilon reached min_epsilon = {calibration.min_epsilon:g}"
    if report.acceptance_rate < calibration.min_acceptance:
        return (
            f"the acceptance rate {report.acceptance_rate:.3g} fell below min_acceptance = "
            f"{calibration.min_acceptance:g}"
        )
    if last:
        return f"reached {calibration.generations} generations"
    return "a pyabc stopping rule held"


@contextlib.contextmanager
def backend_for(workers: int, cluster: Any, engine: str = "agents") -> Iterator[Backend]:
    backend = make_backend(workers, cluster, engine)
    try:
        yield backend
    finally:
        backend.close()
