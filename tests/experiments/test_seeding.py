import pytest
from alliancesim.experiments.seeding import replication_seeds, task_seed


def test_seed_of_a_run_does_not_depend_on_experiment_size():
    small = replication_seeds(7, 2, 3)
    large = replication_seeds(7, 10, 50)
    assert [row[:3] for row in large[:2]] == small
    assert task_seed(7, 1, 2) == small[1][2]


def test_seeds_are_distinct_and_fit_int64():
    seeds = [s for row in replication_seeds(123, 20, 50) for s in row]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s < 2**63 for s in seeds)


def test_different_roots_give_different_seeds():
    assert replication_seeds(1, 1, 5) != replication_seeds(2, 1, 5)


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_bad_root_seed_is_refused(bad):
    with pytest.raises(ValueError, match="seed"):
        replication_seeds(bad, 1, 1)
