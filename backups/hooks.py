"""Where backups meet the audit slice's sealing.

`audit_seal_head` records the head of the audit seal chain in the manifest. When the sealing table
(`audit_sealblock`) exists it records the last block (seq, hash); until the audit branch's sealing is
merged it records the highest id of each audit table instead, so a restore can at least tell that
the trail was not cut short. `verify_restored_audit` is the named hook for running the audit
verification against a restored database; it reports "skipped" until the audit slice provides a
verifier that can be pointed at another database alias.
"""

from __future__ import annotations

from typing import Any

AUDIT_TABLES = ("audit_auditevent", "audit_accessevent", "auditlog_logentry")


def audit_seal_head(cursor: Any, tables: list[str]) -> dict[str, Any]:
    head: dict[str, Any] = {"highest_ids": {}}
    for table in AUDIT_TABLES:
        if table in tables:
            cursor.execute(f'SELECT max(id) FROM "{table}"')  # noqa: S608 - a fixed table name
            head["highest_ids"][table] = cursor.fetchone()[0]
    if "audit_sealblock" in tables:
        cursor.execute("SELECT seq, block_hash FROM audit_sealblock ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()
        head["kind"] = "seal"
        head["seq"] = int(row[0]) if row else None
        head["block_hash"] = str(row[1]) if row else None
    else:
        head["kind"] = "highest_ids"
        head["note"] = "audit sealing not present in this database; highest entry ids recorded"
    return head


def verify_restored_audit(alias: str, manifest_head: dict[str, Any]) -> dict[str, Any]:
    """Check the restored audit trail. Returns {"status": "passed" | "failed" | "skipped", ...}.

    What is checked today: the restored audit tables reach exactly the highest ids the manifest
    recorded (the trail was not cut short). The full seal verification (every entry against the
    signed hash chain) is the audit slice's `verify`; wire it here once it accepts a database alias.
    """
    from django.db import connections

    recorded = manifest_head.get("highest_ids", {})
    problems = []
    with connections[alias].cursor() as cursor:
        for table, highest in recorded.items():
            cursor.execute(f'SELECT max(id) FROM "{table}"')  # noqa: S608 - names from our own manifest
            restored = cursor.fetchone()[0]
            if restored != highest:
                problems.append(f"{table}: highest id {restored}, manifest says {highest}")
    if problems:
        return {"status": "failed", "detail": "; ".join(problems)}
    return {
        "status": "passed",
        "detail": "audit tables complete up to the manifest's highest ids",
        "seal_verification": "skipped: audit seal verification is not available on restored databases yet",
    }
