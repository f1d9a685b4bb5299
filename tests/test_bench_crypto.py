"""The encryption benchmarks still run (smoke run in quick mode; timings are not asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import Context, Result


@pytest.mark.django_db
def test_bench_crypto_runs_in_quick_mode(tmp_path: Path) -> None:
    from bench import bench_crypto

    results = bench_crypto.run(Context(scratch=tmp_path, quick=True))
    assert [type(r) for r in results] == [Result, Result, Result]
    assert [r.target for r in results] == ["≤ 3", "≤ 3", "≤ 0.05"]
    assert all(r.measured > 0 and r.baseline for r in results)
