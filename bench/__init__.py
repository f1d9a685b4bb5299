"""Benchmarks: `make bench` runs `python -m bench`, which imports every `bench/bench_*.py` and calls
its `run(ctx) -> list[Result]`. Each result is a ratio against a baseline measured in the same run.
Benchmarks are never timed tests; the suite only smoke-runs them with `ctx.quick=True`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Result:
    name: str  # e.g. "sealing throughput vs. 20,000 entries/s"
    measured: float  # the ratio measured (or rate) in this run
    target: str  # e.g. "≤ 1.25" or "≥ 0.6"
    ok: bool  # measured meets target
    baseline: str  # what the ratio is against, measured in the same run
    notes: str = ""  # how to fix it when missing, sizes used, etc.


@dataclass
class Context:
    """What the runner hands each benchmark (the harness's runner may give a richer one)."""

    database_url: str | None = None
    scratch: Path = field(default_factory=lambda: Path("var/bench"))
    quick: bool = False
