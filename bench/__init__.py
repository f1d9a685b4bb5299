"""Benchmarks as ratios (see README, `make bench`, and docs/benchmarks.md).

Every module `bench/bench_*.py` defines `run(ctx: Context) -> list[Result]`. The runner
(`python -m bench`) imports them all, calls each with one shared context, and writes
docs/benchmarks.md. A benchmark reports a *ratio* against a baseline measured in the same run on
the same machine, so that the number means the same on a laptop and on a server. Benchmarks are
never timed tests: the suite only smoke-runs each module with `ctx.quick=True`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# The target of a benchmark no issue states a target for: shown, never judged.
INFORMATIONAL = "— (informational)"


@dataclass
class Result:
    name: str  # e.g. "sealing throughput vs. 20,000 entries/s"
    measured: float  # the ratio measured (or rate) in this run
    target: str  # e.g. "≤ 1.25" or "≥ 0.6"; INFORMATIONAL when no issue states one
    ok: bool  # measured meets target (True for an informational row)
    baseline: str  # what the ratio is against, measured in the same run
    notes: str = ""  # how to fix it when missing, sizes used, etc.

    @property
    def informational(self) -> bool:
        return self.target == INFORMATIONAL


@dataclass
class Context:
    """What every benchmark gets. Django is set up and the database (a fresh one) is migrated."""

    database_url: str | None = None  # PostgreSQL when DATABASE_URL is set, else None (SQLite)
    scratch: Path = field(default_factory=lambda: Path("var/bench"))  # removed after the run
    quick: bool = False  # smaller sizes, for the smoke run in the test suite and CI
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def engine(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    def size(self, full: int, quick: int) -> int:
        """`full` in a real run, `quick` in a smoke run."""
        return quick if self.quick else full


def meets(measured: float, target: str) -> bool:
    """Whether `measured` meets a target written as "≤ 1.25", "<= 1.25", "≥ 0.6" or ">= 0.6"."""
    text = target.strip().replace("<=", "≤").replace(">=", "≥")
    if text.startswith("≤"):
        return measured <= float(text[1:].strip())
    if text.startswith("≥"):
        return measured >= float(text[1:].strip())
    raise ValueError(f"target {target!r} is neither '≤ x' nor '≥ x'")


def environ_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
