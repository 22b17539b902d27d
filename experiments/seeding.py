"""Seeds for experiments: one root seed, one int seed per (point, replication).

Every run in an experiment gets its seed from ``numpy.random.SeedSequence``:
the root seed spawns one child per scenario point and each point spawns one
child per replication, so the seed of ``(point p, replication r)`` is the
state of ``SeedSequence(root, spawn_key=(p, r))``. It depends only on
``(root, p, r)``: not on how many points or replications the experiment has,
the worker count, the backend or the order in which runs finish. Adding
replications later keeps the seeds of the existing ones.

The same replication seed drives every contract model of that replication
(``run_replication`` runs all models on one seed), so the models are compared
on common random numbers.
"""

from __future__ import annotations

import numpy as np

#: Seeds are drawn as 63-bit non-negative ints so they fit Parquet's int64.
SEED_BITS = 63


def _seed_from(sequence: np.random.SeedSequence) -> int:
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(64 - SEED_BITS))


def check_root_seed(root_seed: int) -> int:
    """Return ``root_seed`` as an int, refusing negatives and non-integers."""
    if isinstance(root_seed, bool) or not isinstance(root_seed, int | np.integer):
        raise ValueError(f"seed {root_seed!r} is not an integer; allowed: an integer >= 0")
    if root_seed < 0:
        raise ValueError(f"seed {root_seed} is negative; allowed: an integer >= 0")
    return int(root_seed)


def task_seed(root_seed: int, point: int, replication: int) -> int:
    """The seed of one (point, replication); same as ``replication_seeds(...)[point][replication]``."""
    root = check_root_seed(root_seed)
    return _seed_from(np.random.SeedSequence(root, spawn_key=(point, replication)))


def replication_seeds(root_seed: int, n_points: int, n_reps: int) -> list[list[int]]:
    """Int seeds for every (point, replication): ``seeds[point][replication]``.

    Built with ``SeedSequence(root).spawn(n_points)`` and ``.spawn(n_reps)`` on
    each child, so entry ``[p][r]`` equals :func:`task_seed` ``(root, p, r)``.
    """
    root = check_root_seed(root_seed)
    if n_points < 0 or n_reps < 0:
        raise ValueError("n_points and n_reps must be >= 0")
    points = np.random.SeedSequence(root).spawn(n_points)
    return [[_seed_from(child) for child in point.spawn(n_reps)] for point in points]
