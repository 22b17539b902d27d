import pytest
from alliancesim.scenario import load_scenario

SHORT = {"economy.periods": 24}


@pytest.fixture(scope="session")
def short_scenario():
    """The default preset cut to two years: every contract model, quick to run."""
    return load_scenario("default", SHORT)


@pytest.fixture(scope="session")
def default_scenario():
    return load_scenario("default")
