"""Every report figure, rendered on a small real run, read back from the matplotlib objects."""

import itertools

import pytest
from alliancesim.experiments import report as report_module
from alliancesim.experiments.report import build_report
from alliancesim.experiments.runner import run_scenario
from alliancesim.scenario import load_preset
from matplotlib.backends.backend_agg import FigureCanvasAgg

MODELS = ("status_quo", "alliance", "lead_provider", "outcomes_based")
HORIZON = "over 2 years (24 months)"


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """{file name: Figure} of build_report on 3 replications of 24 months."""
    out = tmp_path_factory.mktemp("run")
    run_scenario(load_preset("default", economy__periods=24), 3, 11, out_dir=out, progress=False)
    drawn = {}
    saved = report_module.plt.Figure.savefig

    def keep(fig, path, *args, **kwargs):
        drawn[str(path).rsplit("/", 1)[-1]] = fig
        return saved(fig, path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_module.plt.Figure, "savefig", keep)
        report = build_report(out)
    drawn["report.md"] = report.read_text(encoding="utf-8")
    return drawn


def legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def all_text(fig):
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title(), *legend_texts(ax)]
        texts += [t.get_text() for t in ax.texts]
    if fig._suptitle is not None:
        texts.append(fig._suptitle.get_text())
    return " ".join(texts)


def test_every_figure_is_drawn(figures):
    for name in ("forest", "timeseries", "spend_by_year", "trust_network", "money_flows"):
        assert f"{name}.png" in figures, name
        assert f"({name}.png)" in figures["report.md"]


def test_forest_axis_names_the_saving_its_unit_and_horizon_not_a_column(figures):
    ax = figures["forest.png"].axes[0]
    label = ax.get_xlabel()
    assert label.startswith("Saving against status_quo")
    assert "£m" in label and HORIZON in label and "nominal" in label
    assert "savings_pence" not in label
    assert any("95% interval (simulation noise)" in t for t in legend_texts(ax))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(MODELS[1:])


def test_time_series_says_month_and_uses_the_95_percent_interval(figures):
    fig = figures["timeseries.png"]
    assert fig.axes[-1].get_xlabel().startswith("month")
    assert "period" not in all_text(fig)
    assert "5-95" not in all_text(fig)
    legend = legend_texts(fig.axes[0])
    assert set(MODELS) <= set(legend)
    assert "band: 95% interval (simulation noise)" in legend
    assert "£m per month" in fig.axes[0].get_ylabel()
    assert "Year-end spikes (" in all_text(fig) and "outcomes_based" in all_text(fig)


def test_spend_by_year_lines_are_told_apart_and_bands_drawn(figures):
    fig = figures["spend_by_year.png"]
    left, right = fig.axes[:2]
    assert left.get_ylabel() == "£m per contract year (nominal)"
    assert set(MODELS) <= set(legend_texts(left))
    assert "95% interval (simulation noise)" in legend_texts(left)
    bars = {c.get_label(): c.lines[0] for c in left.containers if c.get_label() in MODELS}
    assert set(bars) == set(MODELS)
    styles = {(line.get_linestyle(), line.get_marker()) for line in bars.values()}
    assert len(styles) == len(MODELS)  # no two models drawn alike
    assert all(c.has_yerr for c in left.containers)  # interval bars on every point
    first_x = {name: line.get_xdata()[0] for name, line in bars.items()}
    assert len(set(first_x.values())) == len(MODELS)  # offset: none sits on another
    assert len(left.collections) >= len(MODELS)  # the interval bands
    assert "£m saved" in right.get_ylabel()


def test_trust_network_has_a_legend_for_node_colours_and_edges(figures):
    fig = figures["trust_network.png"]
    ax = fig.axes[0]
    legend = legend_texts(ax)
    assert "commissioner" in legend and "provider" in legend
    assert any(t.startswith("trust 0.") for t in legend)
    bar = fig.axes[1]
    assert "trust" in bar.get_ylabel()


def test_money_flow_labels_do_not_overlap(figures):
    fig = figures["money_flows.png"]
    canvas = FigureCanvasAgg(fig)  # the report closed the figure: draw it again
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = [t for ax in fig.axes for t in [*ax.texts, ax.title] if t.get_text().strip()]
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    boxes = [t.get_window_extent(renderer) for t in texts]
    assert len(boxes) > len(MODELS)
    for (a, ta), (b, tb) in itertools.combinations(zip(boxes, texts, strict=True), 2):
        assert not a.overlaps(b), (ta.get_text()[:30], tb.get_text()[:30])
    assert "£m" in fig._suptitle.get_text() and HORIZON in fig._suptitle.get_text()


def test_report_has_the_tables_and_a_reading_from_the_numbers(figures):
    text = figures["report.md"]
    assert "## What the numbers say" in text
    assert "## Policy table and who carries the risk" in text
    assert "95% interval (simulation noise)" in text
    assert HORIZON in text
    assert "savings_pence" not in text.split("## Spend and savings")[0]
