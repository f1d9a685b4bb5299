"""The dependency audit: pip-audit over requirements.lock; a known vulnerability fails the run.

pip-audit needs a vulnerability database: OSV (api.osv.dev) or PyPI's per-release JSON
(https://pypi.org/pypi/<name>/<version>/json). When neither answers for every pinned package,
the audit did NOT happen: the test is skipped with the reason (never reported as a pass), and
with FIRMPORTAL_REQUIRE_DEPENDENCY_AUDIT=1 (set it where the network allows) it fails instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SERVICES = ("osv", "pypi")


def audit(service: str) -> tuple[list[str], list[str], str]:
    """(vulnerabilities found, packages that could not be audited, error) with one service."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--vulnerability-service",
            service,
            "--requirement",
            str(ROOT / "requirements.lock"),
            "--disable-pip",
            "--no-deps",
            "--progress-spinner",
            "off",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return [], ["(all)"], f"{service}: {last[:300]}"
    vulns = [
        f"{dep['name']} {dep.get('version')}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or ['—'])})"
        for dep in report.get("dependencies", [])
        for v in dep.get("vulns", [])
    ]
    unaudited = [
        f"{dep['name']}: {dep['skip_reason']}" for dep in report.get("dependencies", []) if "skip_reason" in dep
    ]
    return vulns, unaudited, ""


def test_no_known_vulnerability_in_pinned_dependencies() -> None:
    reasons = []
    for service in SERVICES:
        vulns, unaudited, error = audit(service)
        assert not vulns, "known vulnerabilities:\n" + "\n".join(vulns)
        if not unaudited and not error:
            return  # every pinned package audited by this service, none vulnerable
        reasons.append(error or f"{service}: {len(unaudited)} packages not audited, e.g. {unaudited[0]}")
    message = "dependency audit NOT RUN, no vulnerability data reachable: " + " | ".join(reasons)
    if os.environ.get("FIRMPORTAL_REQUIRE_DEPENDENCY_AUDIT") == "1":
        pytest.fail(message)
    pytest.skip(message)
