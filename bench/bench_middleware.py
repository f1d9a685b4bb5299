"""The cost of FirmPortal's whole middleware stack on a signed-in staff page, through real gunicorn.

Two gunicorn servers run the same code on the same database: one with the full MIDDLEWARE list
(security headers, WhiteNoise, request ids, no-store, CSP, locale, CSRF, session guard with its
idle-timeout write, area guard, htmx, auditlog, axes), one with only session + authentication +
OTP, without which the page cannot be rendered at all. Concurrent keep-alive clients GET
/staff/ signed in as a verified staff member; the ratio is time per request, full over minimal.
No issue states a target for it, so it is informational: it shows what the guards cost.
"""

from __future__ import annotations

import statistics

from bench import INFORMATIONAL, Context, Result
from bench.support import child_env, drive, gunicorn, signed_in_staff_cookie

PAGE = "/staff/"


def run(ctx: Context) -> list[Result]:
    name, key = signed_in_staff_cookie()
    cookie = f"{name}={key}"
    clients = ctx.size(8, 2)
    per_client = ctx.size(150, 5)
    rounds = ctx.size(3, 1)
    env = child_env()
    logs = ctx.scratch / "bench_middleware"
    full_times: list[float] = []
    bare_times: list[float] = []
    failures = 0
    with (
        gunicorn(env=env, log_path=logs / "full.log") as full_port,
        gunicorn(
            env=env, log_path=logs / "minimal.log", settings_module="bench.settings_minimal_middleware"
        ) as bare_port,
    ):
        # Warm both (imports, template cache, connections) before measuring.
        for port in (full_port, bare_port):
            drive(port, PAGE, cookie=cookie, clients=2, requests_per_client=ctx.size(10, 2))
        # Interleaved rounds, so that a slow moment of the machine hits both alike.
        for _ in range(rounds):
            full = drive(full_port, PAGE, cookie=cookie, clients=clients, requests_per_client=per_client)
            bare = drive(bare_port, PAGE, cookie=cookie, clients=clients, requests_per_client=per_client)
            failures += full.failures + bare.failures
            full_times.append(full.seconds_per_request)
            bare_times.append(bare.seconds_per_request)
    if failures:
        raise RuntimeError(f"{failures} requests to {PAGE} did not answer 200 (see {logs})")
    full_s = statistics.median(full_times)
    bare_s = statistics.median(bare_times)
    ratio = full_s / bare_s
    return [
        Result(
            name="signed-in staff page (/staff/), full middleware stack vs. minimal, time per request",
            measured=round(ratio, 3),
            target=INFORMATIONAL,
            ok=True,
            baseline=(
                f"same page, same gunicorn (2 workers x 4 threads), only session+auth+OTP middleware: "
                f"{bare_s * 1000:.2f} ms/request vs. {full_s * 1000:.2f} ms/request full"
            ),
            notes=(
                f"{clients} concurrent keep-alive clients x {per_client} requests, median of {rounds} "
                f"interleaved rounds, {ctx.engine}"
            ),
        )
    ]
