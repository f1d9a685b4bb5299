"""`python -m chaos [--quick]`: faults under load; every job finishes exactly once, no acknowledged
write is lost, the site recovers.

The stack runs on servers of its own (a private PostgreSQL cluster and a private redis-server,
both on free loopback ports, both removed afterwards), so these faults never touch the shared
servers: gunicorn, two Celery workers, and in this process a writer committing rows (each id
noted only after its commit returned: "acknowledged") and signed-in staff browsing /staff/.
Faults, one after the other:

1. SIGKILL a Celery worker (its whole process group) while it runs a long job; start another.
2. `redis-cli shutdown nosave` and start again: the broker forgets every queued message.
3. `pg_ctl restart -m immediate`: PostgreSQL stops without a checkpoint and recovers from WAL.

After each: every job of that round is done with exactly one completion, every acknowledged write
is in the database, the pages answer 200 again. Jobs survive lost messages because the job row
is the truth and a sweeper (what beat runs in production) re-sends unfinished jobs; duplicates are
harmless because running is idempotent. Slices add job kinds and checks in `chaos/kinds_<slice>.py`:
`JOB_KINDS = [JobKind(...)]` (enqueue n jobs -> ids; problems(ids) -> list of what is wrong;
sweep() re-sends stale ones) and `CHECKS = [function() -> list[str]]` (vouchers balance, verify_audit).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chaos.services import PrivatePostgres, PrivateRedis  # noqa: E402
from load.stack import Stack, manage, provision_keys, stack_env, wait_healthy  # noqa: E402


@dataclass
class JobKind:
    name: str
    enqueue: Callable[[int], list[Any]]  # create and send n jobs; their ids
    problems: Callable[[list[Any]], list[str]]  # what is wrong with these jobs now (empty: all done once)
    sweep: Callable[[], int]  # re-send stale unfinished jobs (what beat does in production)


def proof_kind(work_seconds: float) -> JobKind:
    def enqueue(count: int) -> list[Any]:
        from proof.services import enqueue_proof_jobs

        return list(enqueue_proof_jobs(count=count, work_seconds=work_seconds))

    def problems(ids: list[Any]) -> list[str]:
        from proof.models import ProofJob, ProofJobState

        jobs = {job.id: job for job in ProofJob.objects.filter(pk__in=ids)}
        found = [f"job {i} missing" for i in ids if i not in jobs]
        for job in jobs.values():
            if job.state != ProofJobState.DONE:
                found.append(f"job {job.id} {job.state} after {job.attempts} attempts")
            elif job.completions != 1:
                found.append(f"job {job.id} completed {job.completions} times")
        return found

    def sweep() -> int:
        from proof.services import resend_stale_proof_jobs

        return resend_stale_proof_jobs(older_than=timedelta(seconds=20))

    return JobKind("proof job (idempotent demo)", enqueue, problems, sweep)


def slice_modules() -> list[Any]:
    import chaos

    return [
        importlib.import_module(f"chaos.{info.name}")
        for info in pkgutil.iter_modules(chaos.__path__)
        if info.name.startswith("kinds_")
    ]


@dataclass
class Pressure:
    """Writes and page views going on during the faults."""

    url: str
    cookie: str
    acknowledged: list[Any] = field(default_factory=list)
    write_errors: int = 0
    pages: list[tuple[float, int]] = field(default_factory=list)  # (time, status or 0 for no answer)
    stop: threading.Event = field(default_factory=threading.Event)

    def writer(self) -> None:
        from django.db import DatabaseError, connection

        from proof.models import ProofWrite

        while not self.stop.is_set():
            try:
                row = ProofWrite.objects.create()
                self.acknowledged.append(row.id)  # only after the commit returned
            except DatabaseError:
                self.write_errors += 1
                connection.close()
                time.sleep(0.2)
            time.sleep(0.02)
        connection.close()

    def browser(self) -> None:
        while not self.stop.is_set():
            request = urllib.request.Request(f"{self.url}/staff/", headers={"Cookie": self.cookie})
            status = 0
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            self.pages.append((time.monotonic(), status))
            time.sleep(0.05)

    def recovered_since(self, moment: float) -> bool:
        """The last page views after `moment` all answered 200."""
        after = [status for t, status in self.pages if t > moment]
        return len(after) >= 10 and all(status == 200 for status in after[-10:])

    def lost_writes(self) -> int:
        from proof.models import ProofWrite

        ids = list(self.acknowledged)
        present = 0
        for start in range(0, len(ids), 1000):
            present += ProofWrite.objects.filter(pk__in=ids[start : start + 1000]).count()
        return len(ids) - present


def wait_for_jobs(kinds: list[tuple[JobKind, list[Any]]], *, timeout: float) -> list[str]:
    from django.db import DatabaseError, connection

    deadline = time.monotonic() + timeout
    problems: list[str] = ["not checked"]
    while time.monotonic() < deadline:
        try:
            problems = [p for kind, ids in kinds for p in kind.problems(ids)]
            if not problems:
                return []
            for kind, _ids in kinds:
                kind.sweep()
        except Exception as exc:  # noqa: BLE001 - the broker or database is still coming back
            problems = [f"while waiting: {type(exc).__name__}: {exc}"]
            if isinstance(exc, DatabaseError):
                connection.close()
        time.sleep(2)
    return problems


def kill_worker(stack: Stack) -> None:
    victim = stack.workers[0]
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    stack.workers.remove(victim)
    stack.start_worker(concurrency=1, name=f"w{int(time.time())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter jobs (CI)")
    args = parser.parse_args(argv)
    jobs_per_round = 4 if args.quick else 8
    work_seconds = 3.0 if args.quick else 5.0
    began = time.monotonic()

    def say(message: str) -> None:
        print(f"== [{time.monotonic() - began:5.0f} s] {message}", flush=True)

    postgres, redis = PrivatePostgres(), PrivateRedis()
    var_dir = ROOT / "var" / "chaos"
    results: list[tuple[str, list[str]]] = []
    stack: Stack | None = None
    pressure: Pressure | None = None
    threads: list[threading.Thread] = []
    try:
        postgres.start()
        redis.start()
        say(f"private PostgreSQL on :{postgres.port}, private Redis on :{redis.port}")
        env = stack_env(database_url=postgres.url, redis_url=redis.url, var_dir=var_dir)
        # Redelivery of a message whose worker died: after 15 s here, not the production 6 h.
        env["CELERY_VISIBILITY_TIMEOUT"] = "15"
        provision_keys(env)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        os.environ.update(env)
        import django

        django.setup()
        from accounts.models import StaffRole
        from tests import cast

        staff = cast.make_staff("chaos_staff", StaffRole.BOOKKEEPER)
        from django.conf import settings

        cookie = f"{settings.SESSION_COOKIE_NAME}={cast.signed_in(staff).cookies[settings.SESSION_COOKIE_NAME].value}"

        stack = Stack(env=env, var_dir=var_dir)
        stack.start_worker(concurrency=1, name="w1")
        stack.start_worker(concurrency=1, name="w2")
        stack.start_web()
        wait_healthy(stack)
        say(f"stack up on {stack.url}: gunicorn, 2 workers")
        pressure = Pressure(url=stack.url, cookie=cookie)
        threads = [threading.Thread(target=pressure.writer), threading.Thread(target=pressure.browser)]
        for thread in threads:
            thread.start()
        kinds = [proof_kind(work_seconds)]
        kinds += [kind for module in slice_modules() for kind in getattr(module, "JOB_KINDS", [])]

        def fault_round(name: str, inject: Callable[[], None], *, must_interrupt: bool = False) -> None:
            from proof.models import ProofJob, ProofJobState

            say(f"{name}: enqueue {jobs_per_round} jobs per kind")
            batch = [(kind, kind.enqueue(jobs_per_round)) for kind in kinds]
            proof_ids = batch[0][1]
            deadline = time.monotonic() + 30
            while (
                time.monotonic() < deadline
                and ProofJob.objects.filter(pk__in=proof_ids, state=ProofJobState.RUNNING).count() < 2
            ):
                time.sleep(0.1)
            say(f"{name}: inject")
            inject()
            moment = time.monotonic()
            problems = wait_for_jobs(batch, timeout=180)
            with contextlib.suppress(Exception):
                wait_healthy(stack, timeout=60)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not pressure.recovered_since(moment):
                time.sleep(1)
            if not pressure.recovered_since(moment):
                problems.append("pages did not answer 200 again within a minute")
            lost = pressure.lost_writes()
            if lost:
                problems.append(f"{lost} acknowledged writes lost")
            redone = ProofJob.objects.filter(pk__in=proof_ids, attempts__gt=1).count()
            say(f"{name}: {redone} of {len(proof_ids)} proof jobs were interrupted and run again")
            if must_interrupt and not redone:
                problems.append("the fault hit no running job, so it proved nothing")
            say(f"{name}: {'OK' if not problems else 'FAILED: ' + '; '.join(problems[:5])}")
            results.append((name, problems))

        fault_round("SIGKILL a Celery worker during a long job", lambda: kill_worker(stack), must_interrupt=True)
        fault_round("restart Redis (shutdown nosave) under load", lambda: redis.restart(down_seconds=3))
        fault_round("restart PostgreSQL in immediate mode under load", postgres.restart_immediate)
        pressure.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        checks = [check for module in slice_modules() for check in getattr(module, "CHECKS", [])]
        results.append(("slice checks", [p for check in checks for p in check()]))
        say(
            f"acknowledged writes: {len(pressure.acknowledged)} (write errors during faults: {pressure.write_errors}); "
            f"page views: {len(pressure.pages)}, answered 200: {sum(1 for _, s in pressure.pages if s == 200)}"
        )
    finally:
        if pressure is not None:
            pressure.stop.set()
            for thread in threads:
                thread.join(timeout=30)
        if stack is not None:
            stack.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        redis.stop()
        postgres.stop()
    failed = [(name, problems) for name, problems in results if problems]
    for name, problems in results:
        print(f"{'FAIL' if problems else 'ok  '}  {name}" + "".join(f"\n      {p}" for p in problems[:10]))
    print(f"chaos finished in {time.monotonic() - began:.0f} s: {'FAILED' if failed else 'all faults survived'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
