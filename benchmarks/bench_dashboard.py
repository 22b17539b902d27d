"""Benchmark of one dashboard Step: the model's month plus redrawing the open tab
(a script, not a test; run it on a quiet machine).

    .venv/bin/python benchmarks/bench_dashboard.py              # 12 steps per tab
    .venv/bin/python benchmarks/bench_dashboard.py --steps 30 --preset small_economy

For each tab (Economy, Class mode, Compare) it renders the tab once, then times
``model.step()`` followed by the tab's re-render on the server (widgets updated,
matplotlib figures drawn and encoded as PNG), which is what a Step costs before
the browser receives the update. Prints the median and the slowest step in ms.
The target is a median under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("MPLBACKEND", "Agg")


def main() -> None:
    import solara
    from alliancesim.app.dashboard import ClassTab, CompareTab, EconomyTab
    from alliancesim.app.session import DashboardModel, starting_controls

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--preset", default="default")
    args = parser.parse_args()

    def class_tab(model, version):
        seat = solara.reactive({"org": "", "answers": []})
        return ClassTab(model, version, seat, lambda _answer: None, lambda: None, False)

    tabs = {"Economy": EconomyTab, "Class mode": class_tab, "Compare": CompareTab}
    for name, tab in tabs.items():
        model = DashboardModel(**starting_controls(args.preset))
        _box, rc = solara.render(tab(model, 0), handle_error=False)
        times = []
        for version in range(1, args.steps + 1):
            started = time.perf_counter()
            model.step()
            rc.render(tab(model, version))
            times.append((time.perf_counter() - started) * 1000)
        rc.close()
        print(
            f"{name:11s} step + redraw: median {statistics.median(times):6.0f} ms, "
            f"slowest {max(times):6.0f} ms over {args.steps} steps ({args.preset})"
        )


if __name__ == "__main__":
    main()
