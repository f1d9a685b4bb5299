"""`python -m bench [--quick] [--only TEXT] [--output PATH] [--strict]`: run every bench/bench_*.py
against a fresh database and write docs/benchmarks.md (see bench/__init__.py)."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _prepare_environment() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firmportal.settings")
    # A key that exists only for this run: benchmarks sign sessions, nothing here is kept.
    if not (os.environ.get("DJANGO_SECRET_KEY") or os.environ.get("DJANGO_SECRET_KEY_FILE")):
        import secrets

        os.environ["DJANGO_SECRET_KEY"] = "bench-" + secrets.token_urlsafe(48)
    os.environ.setdefault("FIRMPORTAL_HTTPS", "0")  # gunicorn on loopback, plain HTTP
    os.environ.setdefault("FIRMPORTAL_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("FIRMPORTAL_LOG_LEVEL", "WARNING")
    # The keys that live outside the database (master keyring and keystore, backup recipients).
    import subprocess
    import sys

    for command in (["init_keyring", "--if-missing"], ["backup_recovery_key", "--if-missing"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, check=True, capture_output=True)


def discover() -> list[str]:
    import bench

    return sorted(
        f"bench.{info.name}" for info in pkgutil.iter_modules(bench.__path__) if info.name.startswith("bench_")
    )


def machine_facts() -> dict[str, str]:
    from django.db import connection

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        db = f"SQLite {sqlite3.sqlite_version}"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "database": db,
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(results: list[tuple[str, object]], facts: dict[str, str], *, quick: bool, seconds: float) -> str:
    from bench import Result

    lines = [
        "# Benchmarks",
        "",
        "Written by "
        + ("`python -m bench --quick` (a smoke run with reduced sizes, not a measurement)" if quick else "`make bench`")
        + f" on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {seconds:.0f} s. Every row is a ratio against a "
        "baseline measured in the same run on the same machine. *pass* meets its target, **MISS** does "
        "not (the notes say what would fix it), *info* has no target in any issue and is shown, not judged.",
        "",
        "| benchmark | measured | target | result | baseline | notes |",
        "|---|---|---|---|---|---|",
    ]
    for module, outcome in results:
        if isinstance(outcome, Result):
            verdict = "info" if outcome.informational else ("pass" if outcome.ok else "**MISS**")
            lines.append(
                f"| {_cell(outcome.name)} | {outcome.measured:g} | {_cell(outcome.target)} | {verdict} | "
                f"{_cell(outcome.baseline)} | {_cell(outcome.notes)} |"
            )
        else:
            lines.append(f"| `{module}` | — | — | **ERROR** | — | {_cell(str(outcome))} |")
    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in facts.items()]
    lines += [
        "",
        "## How to run",
        "",
        "`make bench` (all, full sizes; PostgreSQL when `DATABASE_URL` is set, SQLite otherwise) · "
        "`.venv/bin/python -m bench --quick` (smoke sizes, written to `var/bench/benchmarks-quick.md`) · "
        "`--only TEXT` runs the modules whose name contains TEXT · `--strict` exits non-zero on a MISS. "
        "A benchmark is a module `bench/bench_*.py` with `run(ctx) -> list[bench.Result]`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke sizes (CI); not a measurement")
    parser.add_argument("--only", default="", help="run only modules whose name contains this")
    parser.add_argument("--output", type=Path, help="where to write the table")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a benchmark misses its target")
    args = parser.parse_args(argv)

    _prepare_environment()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    from bench import Context, Result

    # A fresh database of its own, never the one `make run` or the test suite uses.
    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        settings_dict["TEST"]["NAME"] = str(Path(os.environ["FIRMPORTAL_VAR_DIR"]) / "bench.sqlite3")
    else:
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench"
    Path(os.environ["FIRMPORTAL_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    old_config = setup_databases(verbosity=0, interactive=False)
    call_command("collectstatic", interactive=False, verbosity=0)
    scratch = Path(tempfile.mkdtemp(prefix="fp-bench-"))
    ctx = Context(database_url=os.environ.get("DATABASE_URL") or None, scratch=scratch, quick=args.quick)
    results: list[tuple[str, object]] = []
    errors = misses = 0
    try:
        facts = machine_facts()
        for module_name in discover():
            if args.only and args.only not in module_name:
                continue
            print(f"== {module_name}", flush=True)
            try:
                module = importlib.import_module(module_name)
                for result in module.run(ctx):
                    assert isinstance(result, Result), f"{module_name} returned {result!r}"
                    results.append((module_name, result))
                    misses += 0 if result.ok else 1
                    verdict = "info" if result.informational else ("pass" if result.ok else "MISS")
                    print(f"   {result.name}: {result.measured:g} (target {result.target}) {verdict}", flush=True)
            except Exception as exc:  # noqa: BLE001 - one broken benchmark is a row marked ERROR, not the end of the run
                traceback.print_exc()
                results.append((module_name, f"{type(exc).__name__}: {exc}"))
                errors += 1
    finally:
        teardown_databases(old_config, verbosity=0)
        shutil.rmtree(scratch, ignore_errors=True)

    output = args.output or (
        Path(os.environ["FIRMPORTAL_VAR_DIR"]) / "benchmarks-quick.md"
        if args.quick
        else ROOT / "docs" / "benchmarks.md"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(results, facts, quick=args.quick, seconds=time.monotonic() - started), encoding="utf-8")
    print(f"written {output}: {len(results)} rows, {misses} missing, {errors} errors")
    if errors:
        return 1
    return 1 if (args.strict and misses) else 0


if __name__ == "__main__":
    sys.exit(main())
