"""Where backups meet the audit slice's sealing.

`audit_seal_head` records the head of the audit seal chain in the manifest. When the sealing table
(`audit_sealblock`) exists it records the last block (seq, hash); until the audit branch's sealing is
merged it records the highest id of each audit table instead, so a restore can at least tell that
the trail was not cut short. `verify_restored_audit` runs the audit verification against a restored
database: the highest-ids check always, and the audit slice's full seal verification
(`manage.py verify_audit`, against the manifest's head) when the backup carries a seal head. That
second path needs the audit branch merged and is not exercised by this branch's tests.
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
        # The same fields the audit slice writes to its head file outside the database
        # (audit.sealing.write_head), so a restored trail can be verified against this head.
        cursor.execute(
            "SELECT seq, block_hash, signature, key_id, sealed_at FROM audit_sealblock ORDER BY seq DESC LIMIT 1"
        )
        row = cursor.fetchone()
        head["kind"] = "seal"
        head["seq"] = int(row[0]) if row else None
        head["block_hash"] = str(row[1]) if row else None
        head["signature"] = str(row[2]) if row else None
        head["key_id"] = str(row[3]) if row else None
        head["sealed_at"] = str(row[4]) if row else None
        cursor.execute("SELECT source, max(last_id) FROM audit_sealblock GROUP BY source")
        head["last_ids"] = {str(source): int(last) for source, last in cursor.fetchall()}
    else:
        head["kind"] = "highest_ids"
        head["note"] = "audit sealing not present in this database; highest entry ids recorded"
    return head


def verify_restored_audit(alias: str, manifest_head: dict[str, Any]) -> dict[str, Any]:
    """Check the restored audit trail. Returns {"status": "passed" | "failed", "detail": ..., ...}.

    Always: the restored audit tables reach exactly the highest ids the manifest recorded (the trail
    was not cut short). When the backup carries a seal head (audit sealing merged), also the audit
    slice's full verification (`manage.py verify_audit`: every entry against the signed chain), run
    as a separate process against the restored database, with the manifest's head standing in for
    the live head file (the live head is newer than any backup).
    """
    from django.db import connections

    recorded = manifest_head.get("highest_ids", {})
    problems = []
    with connections[alias].cursor() as cursor:
        for table, highest in recorded.items():
            if table not in AUDIT_TABLES:
                continue
            cursor.execute(f'SELECT max(id) FROM "{table}"')  # noqa: S608 - a fixed table name
            restored = cursor.fetchone()[0]
            if restored != highest:
                problems.append(f"{table}: highest id {restored}, manifest says {highest}")
    if problems:
        return {"status": "failed", "detail": "; ".join(problems)}
    result: dict[str, Any] = {"status": "passed", "detail": "audit tables complete up to the manifest's highest ids"}
    if manifest_head.get("kind") != "seal" or manifest_head.get("seq") is None:
        result["seal_verification"] = "skipped: the backup carries no audit seal head"
        return result
    outcome = _run_verify_audit(alias, manifest_head)
    result["seal_verification"] = outcome["detail"]
    if not outcome["ok"]:
        result["status"] = "failed"
        result["detail"] = outcome["detail"]
    return result


def _run_verify_audit(alias: str, head: dict[str, Any]) -> dict[str, Any]:
    """`manage.py verify_audit` against the restored database, in a separate process."""
    import json
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from django.conf import settings
    from django.db import connections

    db = connections[alias].settings_dict
    env = dict(os.environ)
    if connections[alias].vendor == "postgresql":
        user = db.get("USER") or "postgres"
        auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
        env["DATABASE_URL"] = f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["FIRMPORTAL_SQLITE_PATH"] = str(db["NAME"])
    env["FIRMPORTAL_VAR_DIR"] = str(settings.VAR_DIR)
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as directory:
        head_file = Path(directory) / "seal-head.json"
        fields = ("seq", "block_hash", "signature", "key_id", "sealed_at", "last_ids")
        head_file.write_text(json.dumps({k: head.get(k) for k in fields}), encoding="utf-8")
        env["FIRMPORTAL_AUDIT_HEAD_FILE"] = str(head_file)
        done = subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "verify_audit"],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    text = (done.stdout + done.stderr).strip().splitlines()
    last = text[-1] if text else f"exit {done.returncode}"
    return {"ok": done.returncode == 0, "detail": last[:500]}
