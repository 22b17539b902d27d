"""The ensemble engine (issue 14): R replications of one scenario and contract model
stepped together, period by period, through the same stage functions as the agent
model, with every value that depends on a replication's random draws held as an array
with a leading replication axis (``model/elementwise.py``)."""

# Below this many replications stepped together the agent model is about as fast: an
# ensemble's fixed cost a period is that of five to seven agent runs
# (benchmarks/bench_ensemble.py).
MIN_REPLICATIONS = 16

# How a command may run its model runs: the agent model, the ensemble engine, or the
# ensemble where it pays (``auto``, the default everywhere)
ENGINES = ("auto", "agents", "ensemble")
