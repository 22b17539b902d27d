"""Suite-wide settings.

Hypothesis: no per-example deadline. The properties are pure functions that take
microseconds, but CI runs the suite on two busy cores beside a browser and worker
processes, where a garbage-collection pause can push one example past the default
200 ms and fail a correct test at random. Failing examples are still printed with
the blob that reproduces them.
"""

from hypothesis import settings

settings.register_profile("alliancesim", deadline=None, print_blob=True)
settings.load_profile("alliancesim")
