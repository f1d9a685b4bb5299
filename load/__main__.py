"""`python -m load [--short] [--users 50] [--duration 120]`: the production-like stack under load.

Starts a fresh PostgreSQL database on this machine's server (never touching any other database),
Redis, gunicorn on a free loopback port, a real Celery worker and beat; seeds the people; runs
the locust scenario headless; then checks: no failed request, every request served and logged by
gunicorn with no 5xx, the worker and /healthz still well, plus each slice's CHECKS. Reports p95/p99.
Traffic goes to 127.0.0.1 only.

Environment: LOAD_DATABASE_URL (a PostgreSQL server URL; default: DATABASE_URL's server, else
postgres://postgres@127.0.0.1:5432), LOAD_REDIS_URL (default REDIS_URL, else redis://127.0.0.1:6379/13).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from load import page_modules
from load.stack import ROOT, manage, provision_keys, recreate_database, running, stack_env, wait_healthy


@dataclass
class RunFacts:
    """What a check gets after the load: per-name request counts, the stack's environment and logs."""

    requests: dict[str, int]
    failures: dict[str, int]
    env: dict[str, str]
    var_dir: Path
    access_log: Path
    seconds: float
    users: int
    extra: dict[str, object] = field(default_factory=dict)


def _database_names() -> tuple[str, str]:
    base = (
        os.environ.get("LOAD_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/firmportal"
    )
    name = (urlsplit(base).path.lstrip("/") or "firmportal") + "_load"
    return base, name


def _stats(csv_path: Path) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    rows = {}
    aggregated: dict[str, str] = {}
    with open(csv_path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                aggregated = row
            else:
                rows[f"{row['Type']} {row['Name']}"] = row
    return rows, aggregated


def _access_log_facts(path: Path) -> tuple[int, list[str]]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    server_errors = [line for line in lines if '" 5' in line]
    return len(lines), server_errors


def builtin_checks(facts: RunFacts, *, locust_exit: int, stack_alive: bool, health: dict[str, object]) -> list[str]:
    problems = []
    total_failures = sum(facts.failures.values())
    if locust_exit != 0:
        problems.append(f"locust exited {locust_exit} (failures or errors; see var/load/locust.log)")
    if total_failures:
        problems.append(
            f"{total_failures} failed requests: {json.dumps({k: v for k, v in facts.failures.items() if v})}"
        )
    served, server_errors = _access_log_facts(facts.access_log)
    sent = sum(facts.requests.values())
    facts.extra["served"] = served
    # Every request locust recorded was served; at the stop, a person may have one request in
    # flight that gunicorn answers but locust no longer records.
    if not sent <= served <= sent + facts.users:
        problems.append(f"locust recorded {sent} requests but gunicorn logged {served}")
    if server_errors:
        problems.append(f"{len(server_errors)} server errors in the access log, e.g. {server_errors[0]}")
    if not stack_alive:
        problems.append("a process of the stack died during the run")
    if health.get("status") != "ok":
        problems.append(f"/healthz after the run: {health}")
    return problems


def slice_checks(facts: RunFacts) -> list[str]:
    """Each slice's CHECKS, run with Django set up on the load database."""
    checks = [check for module in page_modules() for check in getattr(module, "CHECKS", [])]
    if not checks:
        return []
    os.environ.update(facts.env)
    import django

    django.setup()
    problems: list[str] = []
    for check in checks:
        problems += check(facts)
    return problems


def render(
    facts: RunFacts, rows: dict[str, dict[str, str]], total: dict[str, str], problems: list[str], *, short: bool
) -> str:
    lines = [
        "# Load test",
        "",
        f"`make load{' LOAD_ARGS=--short' if short else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: "
        f"{facts.users} concurrent simulated people (arriving {facts.extra.get('spawn_rate')}/s, each signing in "
        f"once: staff with password and TOTP) for {facts.seconds:.0f} s against gunicorn (2 workers x 8 "
        "threads), PostgreSQL, Redis and a Celery worker on this machine. Times in milliseconds.",
        "",
        "| request | count | failures | median | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in sorted(rows.items()):
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | {row['95%']} | "
            f"{row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    if total:
        lines.append(
            f"| **all** | {total['Request Count']} | {total['Failure Count']} | {total['50%']} | {total['95%']} | "
            f"{total['99%']} | {float(total['Max Response Time']):.0f} |"
        )
        lines += ["", f"Throughput: {float(total['Requests/s']):.1f} requests/s."]
    served = facts.extra.get("served")
    lines += ["", f"Requests logged by gunicorn: {served} (locust recorded {sum(facts.requests.values())})."]
    lines += ["", "## Checks", ""]
    lines += [f"- FAIL: {p}" for p in problems] or [
        "- every check passed: no failed request, every request served and "
        "logged by gunicorn without a 5xx, worker and /healthz well"
    ]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    lines += ["", f"Machine: {cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load", description=__doc__)
    parser.add_argument("--short", action="store_true", help="a short run for CI (45 s)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=None, help="seconds (default 120, or 45 with --short)")
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=None,
        help="people arriving per second (default 1, or 2 with --short): each sign-in costs ~0.7 s of CPU (Argon2)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the load database afterwards")
    args = parser.parse_args(argv)
    duration = args.duration or (45 if args.short else 120)
    spawn_rate = args.spawn_rate or (2.0 if args.short else 1.0)

    began = time.monotonic()

    def phase(message: str) -> None:
        print(f"== [{time.monotonic() - began:5.0f} s] {message}", flush=True)

    server_url, db_name = _database_names()
    redis_url = os.environ.get("LOAD_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    var_dir = ROOT / "var" / "load"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    phase(f"fresh database {db_name}, Redis {redis_url}")
    database_url = recreate_database(server_url, db_name)
    env = stack_env(database_url=database_url, redis_url=redis_url, var_dir=var_dir)
    provision_keys(env)
    manage(env, "migrate", "--noinput")
    phase("migrated")
    manage(env, "collectstatic", "--noinput")
    phase("static files collected; seeding")
    users_file = var_dir / "accounts.json"
    people = args.users + 10
    subprocess.run(
        [sys.executable, "-m", "load.seed", str(users_file), "--staff", str(people), "--clients", str(people)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    problems: list[str] = []
    try:
        with running(env, var_dir) as stack:
            phase(f"stack up on {stack.url}: gunicorn, worker, beat")
            wait_healthy(stack)
            phase("healthy")
            stack.access_log.write_text("")  # count only the scenario's requests
            phase(f"locust: {args.users} people arriving {spawn_rate}/s, for {duration} s")
            started = time.monotonic()
            with open(var_dir / "locust.log", "wb") as log:
                locust = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "-f",
                        str(ROOT / "load" / "locustfile.py"),
                        "--headless",
                        "-u",
                        str(args.users),
                        "-r",
                        str(spawn_rate),
                        "-t",
                        f"{duration}s",
                        "--host",
                        stack.url,
                        "--csv",
                        str(var_dir / "locust"),
                        "--stop-timeout",
                        "15",
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    env=dict(env, LOAD_USERS_FILE=str(users_file)),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=duration + 300,
                )
            seconds = time.monotonic() - started
            time.sleep(1)  # gunicorn writes its access log line after the response
            alive = all(p.poll() is None for p in [*stack.workers, stack.web] if p is not None)
            health = wait_healthy(stack, timeout=30)
            phase("load done; checking")
            rows, total = _stats(var_dir / "locust_stats.csv")
            facts = RunFacts(
                requests={name: int(row["Request Count"]) for name, row in rows.items()},
                failures={name: int(row["Failure Count"]) for name, row in rows.items()},
                env=env,
                var_dir=var_dir,
                access_log=stack.access_log,
                seconds=seconds,
                users=args.users,
                extra={"spawn_rate": spawn_rate},
            )
            problems += builtin_checks(facts, locust_exit=locust.returncode, stack_alive=alive, health=health)
            problems += slice_checks(facts)
    finally:
        if not args.keep:
            recreate_database(server_url, db_name)  # leave it empty rather than full of test people
    report = render(facts, rows, total, problems, short=args.short)
    (var_dir / "report.md").write_text(report, encoding="utf-8")
    if not args.short:
        (ROOT / "docs" / "load.md").write_text(report, encoding="utf-8")
    print(report)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
