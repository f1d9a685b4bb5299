"""Upload attacks against every registered upload endpoint, and the attack helpers themselves."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from tests.security.uploads import (
    CONTROL_CHARACTER_NAMES,
    PATH_TRAVERSAL_NAMES,
    UploadCase,
    all_attacks,
    oversized,
    polyglots,
    snapshot,
    unsafe_names,
    zip_bomb,
)
from tests.security.urls import case_modules

ROOT = Path(__file__).resolve().parent.parent.parent
CASES: list[UploadCase] = [case for module in case_modules() for case in getattr(module, "UPLOAD_CASES", [])]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_upload_attacks_change_nothing_outside_media(case: UploadCase) -> None:
    target = case.setup()
    target.http.raise_request_exception = False
    media = Path(settings.MEDIA_ROOT)
    watched = [ROOT, Path("/tmp"), Path("/etc")]
    failures = []
    for label, upload in all_attacks(target.max_bytes):
        before = snapshot([media]), snapshot([p for p in watched if p != media])
        response = target.http.post(target.url, {**target.data, target.file_field: upload})
        if response.status_code >= 500:
            failures.append(f"{label}: answered {response.status_code}")
        new_media = snapshot([media]) - before[0]
        outside = {p for p in snapshot([p for p in watched if p != media]) - before[1] if media not in p.parents}
        outside = {p for p in outside if "test-artifacts" not in str(p) and "/var/" not in str(p)}
        # Other processes on the machine (a shell, another test run) write to /tmp too: a new file
        # counts when it carries this upload's name or its bytes.
        outside = {p for p in outside if _came_from(p, upload)}
        if outside:
            failures.append(f"{label}: wrote outside MEDIA_ROOT: {sorted(map(str, outside))[:3]}")
        failures += [f"{label}: stored under a hostile name {name}" for name in unsafe_names(media)]
        if label == "oversized" and any(p.stat().st_size > target.max_bytes for p in new_media):
            failures.append("oversized: stored anyway")
    assert not failures, "\n".join(failures)


def _came_from(path: Path, upload: object) -> bool:
    name = Path(str(getattr(upload, "name", "") or "")).name
    if name and name in path.name:
        return True
    upload.seek(0)  # type: ignore[attr-defined]
    head = upload.read(256)  # type: ignore[attr-defined]
    upload.seek(0)  # type: ignore[attr-defined]
    try:
        with path.open("rb") as handle:
            return bool(head) and head in handle.read(64 * 1024 * 1024)
    except OSError:
        return False


def test_oversized_is_one_byte_over() -> None:
    assert oversized(1000).size == 1001


def test_zip_bomb_inflates_far_beyond_its_size() -> None:
    bomb = zip_bomb(expanded_bytes=64 * 1024 * 1024)
    raw = bomb.read()
    assert len(raw) < 200 * 1024
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert sum(info.file_size for info in archive.infolist()) >= 64 * 1024 * 1024


def test_polyglots_carry_their_disguise_and_a_script() -> None:
    files = polyglots()
    heads = {f.name: f.read() for f in files}
    assert heads["receipt.jpg"].startswith(b"\xff\xd8\xff")
    assert heads["statement.pdf"].startswith(b"%PDF") and b"<script>" in heads["statement.pdf"]
    assert heads["contract.pdf"].startswith(b"PK\x03\x04")
    assert all(b"<script>" in body or b"alert" in body for body in heads.values())


def test_hostile_names_are_detected_when_stored(tmp_path: Path) -> None:
    (tmp_path / "ok-0b1c2d.bin").write_bytes(b"x")
    assert unsafe_names(tmp_path) == []
    (tmp_path / "report\u202efdp.exe").write_bytes(b"x")
    (tmp_path / "passwd").write_bytes(b"x")
    assert len(unsafe_names(tmp_path)) == 2
    assert len(PATH_TRAVERSAL_NAMES) >= 5 and any("\x00" in n for n in CONTROL_CHARACTER_NAMES)


def test_upload_endpoints_are_registered_or_none_exist_yet() -> None:
    """Fails once a view takes files but no slice registered it here (tests/security/cases_*.py)."""
    from django.urls import get_resolver

    import tests.security.urls as enumerate_urls

    registered = {case.name for case in CASES}
    upload_views = []
    for name, route in enumerate_urls._walk(get_resolver().url_patterns, "", ""):
        if any(word in route for word in ("upload", "import", "attachment")):
            upload_views.append(name)
    assert not upload_views or registered, f"upload views {upload_views} have no UPLOAD_CASES entry"
