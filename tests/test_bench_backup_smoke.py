"""The backup benchmark still runs at smoke sizes and returns its two ratios (never a timing assertion)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import Context, Result

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_benchmark_runs_and_returns_its_ratios(tmp_path: Path) -> None:
    from bench import bench_backup

    results = bench_backup.run(Context(database_url=None, scratch=tmp_path, quick=True))
    assert [r.name for r in results] == [
        "backup throughput vs. bare dump",
        "backup peak memory, large vs. small database",
    ]
    assert all(isinstance(r, Result) and r.measured > 0 for r in results)
