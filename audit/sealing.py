"""Tamper evidence: the audit tables are sealed into a signed hash chain, and verified against it.

Design (docs/audit.md has the full argument):

- Every entry of every audit table has a *canonical hash*: SHA-256 over a canonical JSON of its
  source name and all its column values (the id included). Nothing is written to the entry: the
  request path only inserts rows, with ids from the database, and takes no lock of ours.
- A scheduled job seals new entries into *blocks*, one table per block, in id order. A block
  stores the ids and hashes it covers, and `block_hash = SHA-256(domain, seq, source, previous
  block hash, ids, hashes)`, signed with an Ed25519 key kept outside the database.
- Entries become sealable only when no transaction that might still add a smaller id is open
  (see `_horizon`), so an entry committed late is never mistaken for an insertion.
- After each seal the head of the chain (seq, hash, signature, last ids) is written to a file
  outside the database, so that cutting off the sealed tail is detected too.
- `verify()` recomputes everything and reports the first bad entry in chain order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from auditlog.models import LogEntry
from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import connection, models, transaction

from audit.keys import SigningKey, load_signing_key, trusted_public_keys
from audit.models import AccessEvent, AuditEvent, SealBlock

log = logging.getLogger("firmportal.audit.sealing")

FORMAT = 1
GENESIS = "0" * 64
_DOMAIN = b"firmportal-audit-block-v1\x00"
_ADVISORY_LOCK = 0x46504155  # "FPAU": one sealer at a time (sealing is off the request path)

# The sealed tables, in the order each run seals them.
SOURCES: dict[str, type[models.Model]] = {
    "domain": AuditEvent,
    "access": AccessEvent,
    "changelog": LogEntry,
}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date | UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def column_names(model: type[models.Model]) -> list[str]:
    """The columns that make up an entry's canonical form (all concrete ones, by name)."""
    return sorted(f.attname for f in model._meta.concrete_fields)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_json_default)


def entry_hash(source: str, names: Sequence[str], row: Sequence[Any]) -> bytes:
    """The canonical hash of one entry: SHA-256 of compact, key-sorted, ASCII-escaped JSON.

    Empty values (NULL, "") are left out, so that a column added later with an empty default
    does not change the hash of entries sealed before it existed.
    """
    values = {name: value for name, value in zip(names, row, strict=True) if value is not None and value != ""}
    return hashlib.sha256(_ENCODER.encode([source, values]).encode("ascii")).digest()


def block_digest(*, seq: int, source: str, prev_hash: str, entry_ids: bytes, entry_hashes: bytes) -> str:
    digest = hashlib.sha256(_DOMAIN)
    digest.update(struct.pack(">QB", seq, FORMAT))
    digest.update(source.encode() + b"\x00")
    digest.update(bytes.fromhex(prev_hash))
    digest.update(struct.pack(">I", len(entry_ids) // 8))
    digest.update(entry_ids)
    digest.update(entry_hashes)
    return digest.hexdigest()


def _rows(model: type[models.Model], *, after: int, upto: int | None) -> Iterator[tuple[Any, ...]]:
    names = column_names(model)
    queryset = model._default_manager.filter(pk__gt=after)
    if upto is not None:
        queryset = queryset.filter(pk__lte=upto)
    # The id comes first for the caller; the canonical form uses the sorted names.
    yield from queryset.order_by("pk").values_list("pk", *names).iterator(chunk_size=5000)


# --- Sealing -----------------------------------------------------------------------------------


@dataclass
class SealReport:
    blocks: int = 0
    entries: int = 0
    skipped_reason: str = ""
    head_seq: int = 0


def _max_ids() -> dict[str, int]:
    result = {}
    for source, model in SOURCES.items():
        value = model._default_manager.aggregate(top=models.Max("pk"))["top"]
        result[source] = int(value or 0)
    return result


def _horizon(wait_seconds: float) -> dict[str, int] | None:
    """The highest id per table that no open transaction can still fill in below.

    SQLite: the sealer holds the only write lock (IMMEDIATE transactions), so every id is final.
    PostgreSQL: read the visible maximum ids first, then the database clock t0. Any id at or below
    those maxima was allocated before t0 by a transaction that started before t0; once no other
    transaction of this database started at or before t0 is still open, those ids are final.
    Returns None when such a transaction stays open longer than `wait_seconds` (seal next time).
    """
    if connection.vendor != "postgresql":
        return _max_ids()
    maxima = _max_ids()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        t0 = cursor.fetchone()[0]
        deadline = time.monotonic() + wait_seconds
        while True:
            # pg_stat_activity is a per-transaction snapshot unless cleared: clear it to see now.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND xact_start <= %s",
                [t0],
            )
            if cursor.fetchone()[0] == 0:
                return maxima
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)


def _pack_ids(ids: list[int]) -> bytes:
    return struct.pack(f">{len(ids)}q", *ids)


def _unpack_ids(data: bytes | memoryview) -> tuple[int, ...]:
    raw = bytes(data)
    return struct.unpack(f">{len(raw) // 8}q", raw)


def _last_sealed_ids() -> dict[str, int]:
    result = dict.fromkeys(SOURCES, 0)
    rows = SealBlock.objects.values("source").annotate(top=models.Max("last_id"))
    for row in rows:
        result[row["source"]] = int(row["top"])
    return result


def seal(*, block_size: int | None = None, wait_seconds: float | None = None) -> SealReport:
    """Seal every final, unsealed entry of every audit table into new signed blocks."""
    key = load_signing_key()
    block_size = block_size or settings.FIRMPORTAL_AUDIT_SEAL_BLOCK_SIZE
    wait = settings.FIRMPORTAL_AUDIT_SEAL_WAIT_SECONDS if wait_seconds is None else wait_seconds
    report = SealReport()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        horizon = _horizon(wait)
        if horizon is None:
            report.skipped_reason = "a transaction older than the horizon is still open"
            log.info("audit seal postponed: %s", report.skipped_reason)
            return report
        last = SealBlock.objects.order_by("-seq").only("seq", "block_hash").first()
        state: dict[str, Any] = {"seq": last.seq if last else 0, "hash": last.block_hash if last else GENESIS}
        sealed = _last_sealed_ids()
        for source, model in SOURCES.items():
            if horizon[source] <= sealed[source]:
                continue
            names = column_names(model)
            ids: list[int] = []
            hashes: list[bytes] = []
            for row in _rows(model, after=sealed[source], upto=horizon[source]):
                ids.append(row[0])
                hashes.append(entry_hash(source, names, row[1:]))
                if len(ids) >= block_size:
                    _write_block(key, state, source, ids, hashes, report)
                    ids, hashes = [], []
            if ids:
                _write_block(key, state, source, ids, hashes, report)
            sealed[source] = max(sealed[source], horizon[source])
        report.head_seq = state["seq"]
        if report.blocks:
            head = SealBlock.objects.get(seq=state["seq"])
            last_ids = _last_sealed_ids()
            transaction.on_commit(lambda: write_head(head, last_ids))
    return report


def _write_block(
    key: SigningKey, state: dict[str, Any], source: str, ids: list[int], hashes: list[bytes], report: SealReport
) -> None:
    seq = state["seq"] + 1
    packed_ids = _pack_ids(ids)
    packed_hashes = b"".join(hashes)
    digest = block_digest(
        seq=seq, source=source, prev_hash=state["hash"], entry_ids=packed_ids, entry_hashes=packed_hashes
    )
    SealBlock.objects.create(
        seq=seq,
        source=source,
        format=FORMAT,
        first_id=ids[0],
        last_id=ids[-1],
        entry_count=len(ids),
        entry_ids=packed_ids,
        entry_hashes=packed_hashes,
        prev_hash=state["hash"],
        block_hash=digest,
        key_id=key.key_id,
        signature=key.sign(bytes.fromhex(digest)),
    )
    state["seq"], state["hash"] = seq, digest
    report.blocks += 1
    report.entries += len(ids)


def head_path() -> Path:
    return Path(settings.FIRMPORTAL_AUDIT_HEAD_FILE)


def write_head(block: SealBlock, last_ids: dict[str, int]) -> None:
    """Record the chain's head outside the database (atomically replacing the previous one)."""
    path = head_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "seq": block.seq,
        "block_hash": block.block_hash,
        "signature": block.signature,
        "key_id": block.key_id,
        "sealed_at": block.sealed_at.isoformat(),
        "last_ids": last_ids,
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(content, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)
    log.info("audit seal head seq=%s hash=%s", block.seq, block.block_hash)


def read_head() -> dict[str, Any] | None:
    try:
        return dict(json.loads(head_path().read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


# --- Verification ------------------------------------------------------------------------------


@dataclass(order=True)
class Problem:
    # Chain order: the block, then the position inside it (-1: the block itself).
    position: tuple[int, int]
    source: str = field(compare=False)
    entry_id: int | None = field(compare=False)
    kind: str = field(compare=False)
    detail: str = field(compare=False, default="")

    def describe(self) -> str:
        entry = f"{self.source} #{self.entry_id}" if self.entry_id is not None else self.source
        return f"{entry}: {self.kind}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class VerifyReport:
    entries: int = 0
    blocks: int = 0
    unsealed: int = 0
    problems: int = 0
    first: Problem | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def add(self, problem: Problem) -> None:
        self.problems += 1
        if self.first is None or problem < self.first:
            self.first = problem


def verify() -> VerifyReport:
    """Check every block, signature and entry; report the first bad entry in chain order."""
    from audit.db import missing_triggers

    report = VerifyReport()
    keys = trusted_public_keys()
    blocks_by_source: dict[str, list[int]] = {source: [] for source in SOURCES}
    previous_hash, expected_seq = GENESIS, 1
    last_block_seq = 0
    fields = ["seq", "source", "format", "prev_hash", "block_hash", "entry_ids", "entry_hashes", "key_id"]
    for block in SealBlock.objects.order_by("seq").only(*fields, "signature").iterator(chunk_size=10):
        report.blocks += 1
        last_block_seq = block.seq
        position = (block.seq, -1)
        if block.seq != expected_seq:
            report.add(Problem(position, block.source, None, "blocks missing before this one", f"seq {expected_seq}"))
        if block.prev_hash != previous_hash:
            report.add(Problem(position, block.source, None, "chain broken: previous hash differs", f"seq {block.seq}"))
        digest = block_digest(
            seq=block.seq,
            source=block.source,
            prev_hash=block.prev_hash,
            entry_ids=bytes(block.entry_ids),
            entry_hashes=bytes(block.entry_hashes),
        )
        if digest != block.block_hash:
            report.add(Problem(position, block.source, None, "block altered", f"seq {block.seq}"))
        public_key = keys.get(block.key_id)
        try:
            if public_key is None:
                raise InvalidSignature
            public_key.verify(bytes.fromhex(block.signature), bytes.fromhex(block.block_hash))
        except (InvalidSignature, ValueError):
            report.add(Problem(position, block.source, None, "signature invalid", f"seq {block.seq}"))
        if block.source in blocks_by_source:
            blocks_by_source[block.source].append(block.seq)
        else:
            report.add(Problem(position, block.source, None, "unknown source"))
        previous_hash, expected_seq = block.block_hash, block.seq + 1

    surviving_last: dict[str, int] = {}
    for source, model in SOURCES.items():
        surviving_last[source] = _verify_source(report, source, model, blocks_by_source[source])

    _check_head(report, last_block_seq, previous_hash, surviving_last)
    missing = missing_triggers(connection)
    if missing:
        report.warnings.append("append-only triggers missing on: " + ", ".join(missing))
    return report


def _verify_source(report: VerifyReport, source: str, model: type[models.Model], seqs: list[int]) -> int:
    """Walk the table and its blocks together, in id order. Returns the last sealed id."""
    names = column_names(model)
    rows = _rows(model, after=0, upto=None)
    row = next(rows, None)
    last_sealed = 0
    for seq in seqs:
        block = SealBlock.objects.only("entry_ids", "entry_hashes").get(seq=seq)
        ids = _unpack_ids(block.entry_ids)
        hashes = bytes(block.entry_hashes)
        for index, expected_id in enumerate(ids):
            while row is not None and row[0] < expected_id:
                report.add(Problem((seq, index), source, row[0], "inserted: not in the sealed chain"))
                report.entries += 1
                row = next(rows, None)
            if row is None or row[0] > expected_id:
                report.add(Problem((seq, index), source, expected_id, "deleted: sealed but missing"))
                continue
            report.entries += 1
            if entry_hash(source, names, row[1:]) != hashes[index * 32 : index * 32 + 32]:
                report.add(Problem((seq, index), source, expected_id, "modified or reordered: differs from its seal"))
            row = next(rows, None)
        if ids:
            last_sealed = ids[-1]
    while row is not None:
        report.entries += 1
        report.unsealed += 1
        row = next(rows, None)
    return last_sealed


def _check_head(report: VerifyReport, last_seq: int, last_hash: str, surviving_last: dict[str, int]) -> None:
    head = read_head()
    if head is None:
        if last_seq:
            report.warnings.append(f"no chain head recorded outside the database ({head_path()})")
        return
    head_seq = int(head["seq"])
    if head_seq > last_seq:
        position = (last_seq + 1, -1)
        for source, model in SOURCES.items():
            head_last = int(head.get("last_ids", {}).get(source, 0))
            if head_last <= surviving_last.get(source, 0):
                continue
            first = (
                model._default_manager.filter(pk__gt=surviving_last.get(source, 0), pk__lte=head_last)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
            detail = f"blocks {last_seq + 1}..{head_seq} missing"
            if first is not None:
                report.add(Problem(position, source, int(first), "sealed tail cut off: its block is gone", detail))
            else:
                gone = f"sealed tail cut off: entries after #{surviving_last.get(source, 0)} up to #{head_last} gone"
                report.add(Problem(position, source, None, gone, detail))
            return
        report.add(Problem(position, "chain", None, "sealed tail cut off", f"blocks {last_seq + 1}..{head_seq}"))
    elif head_seq == last_seq and head["block_hash"] != last_hash:
        report.add(Problem((last_seq, -1), "chain", None, "chain head differs from the recorded head"))
