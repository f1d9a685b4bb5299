"""`make load`: the production-like stack on this machine under 50 concurrent users (see README).

- `load/stack.py` starts the stack: a fresh PostgreSQL database on this machine's server, Redis,
  gunicorn on a free loopback port, a real Celery worker. `make chaos` uses it too.
- `load/seed.py` creates the people the scenario signs in as (staff with known TOTP keys).
- `load/locustfile.py` is the scenario: staff sign in with password and TOTP and browse, clients
  sign in and view their pages.
- `load/__main__.py` runs it all, then the checks (zero errors, every request served and logged,
  the worker alive), and reports p95/p99.

Extension points for the slices: a module `load/pages_<slice>.py` may define
`SEED(seeded: Seeded) -> None` (create clients, assignments, books for the seeded people),
`STAFF_TASKS` and `CLIENT_TASKS` (lists of `(weight, function(user))`, see locustfile.py), and
`CHECKS` (functions `(run: RunFacts) -> list[str]` of problems, run after the load, e.g.
"the audit log holds exactly one access event per page served").
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def page_modules() -> list[ModuleType]:
    import load

    return [
        importlib.import_module(f"load.{info.name}")
        for info in pkgutil.iter_modules(load.__path__)
        if info.name.startswith("pages_")
    ]
