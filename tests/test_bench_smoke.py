"""Every benchmark module still runs (smoke sizes) and returns results: never a timing assertion."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bench import Context, Result, meets
from bench.__main__ import discover, render

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("module_name", discover())
def test_benchmark_module_runs_and_returns_results(module_name: str, tmp_path: Path) -> None:
    module = importlib.import_module(module_name)
    ctx = Context(database_url=None, scratch=tmp_path, quick=True)
    results = module.run(ctx)
    assert results, f"{module_name} returned no results"
    for result in results:
        assert isinstance(result, Result)
        assert result.name and result.target and result.baseline
        assert result.measured == result.measured  # not NaN


def test_there_is_at_least_one_benchmark() -> None:
    assert "bench.bench_middleware" in discover()


def test_targets_are_judged_both_ways() -> None:
    assert meets(1.2, "≤ 1.25") and not meets(1.3, "<= 1.25")
    assert meets(0.6, "≥ 0.6") and not meets(0.5, ">= 0.6")


def test_a_miss_and_an_error_are_shown_as_such() -> None:
    miss = Result(name="x vs. y", measured=2.0, target="≤ 1.25", ok=False, baseline="y", notes="index z")
    table = render(
        [("bench.bench_x", miss), ("bench.bench_y", "RuntimeError: boom")], {"CPU": "c"}, quick=True, seconds=1
    )
    assert "| x vs. y | 2 | ≤ 1.25 | **MISS** | y | index z |" in table
    assert "**ERROR**" in table and "RuntimeError: boom" in table
