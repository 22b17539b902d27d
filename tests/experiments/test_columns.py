"""Tables a column at a time (issue 14): many tasks' rows as one table are the tables
of each task's rows put end to end (the runner's ``_rows_to_table`` then
``concat_tables``): the same columns in the same order, the same types, the same rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from alliancesim.experiments.columns import repeated, rows_to_columns
from alliancesim.experiments.runner import DrawTask, Task, _columns_to_table, _rows_to_table


def _end_to_end(rows_by_task, tasks, with_params):
    tables = [
        _rows_to_table(rows, task, with_params)
        for rows, task in zip(rows_by_task, tasks, strict=True)
        if rows
    ]
    return pa.concat_tables(tables, promote_options="permissive")


def test_many_tasks_rows_make_the_table_their_own_tables_make_end_to_end():
    rows_by_task = [
        [{"period": 0, "a": 1}, {"period": 1, "a": 2, "b": "x"}],
        [],  # a task with no rows makes no table, and adds no column
        [{"period": 0, "a": 1.5, "c": None}, {"period": 1, "c": True}],
        [{"period": 0, "b": None, "a": 3}],
    ]
    tasks = [
        Task(0, 0, 0, 11, overrides={"trust.initial": 0.3}),
        Task(1, 0, 1, 12, overrides={"trust.initial": 0.3}),
        DrawTask(2, 1, 0, 13, overrides={"x": "y"}, draw=1, particle=4, setting=2),
        Task(3, 2, 0, 14),
    ]
    for with_params in (False, True):
        expected = _end_to_end(rows_by_task, tasks, with_params)
        table = _columns_to_table(rows_to_columns(rows_by_task), tasks, with_params)
        assert table.schema == expected.schema  # the order of columns and their types
        assert table.equals(expected)
    assert expected.column_names[:6] == ["period", "a", "b", "point_id", "replication", "seed"]
    assert expected.column("a").type == pa.float64()  # an int and a float make floats


def test_repeated_values_are_the_column_arrow_makes_of_the_repeated_list():
    cases = [
        ([3, 1, 2], [2, 0, 3]),
        (["status_quo", "alliance", "status_quo"], [1, 2, 2]),
        ([-(2**62), 5], [1, 1]),
        ([1.5, None, True], [1, 2, 1]),
    ]
    for values, counts in cases:
        as_list = [v for v, n in zip(values, counts, strict=True) for _ in range(n)]
        column = repeated(values, counts)
        made = column if isinstance(column, pa.Array) else pa.array(column)
        assert made.equals(pa.array(as_list))
    assert isinstance(repeated([1, 2], [3, 3]), np.ndarray)
