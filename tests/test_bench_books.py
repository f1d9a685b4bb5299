"""Smoke run of the books benchmark (quick sizes): it must return its results, never a timing assertion."""

from __future__ import annotations

import pytest

from bench import Context


@pytest.mark.django_db
def test_books_benchmark_runs_and_returns_ratios(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bench import bench_books

    results = bench_books.run(Context(database_url=None, scratch=tmp_path, quick=True))
    assert [r.target for r in results] == ["≤ 1.0", "≤ 1.2"]
    assert all(r.measured > 0 for r in results)
