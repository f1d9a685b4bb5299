"""Encrypted files: chunked AES-GCM, constant memory, tamper/truncation/reorder detection,
streamed downloads, and uploads that never land on disk as plaintext."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import RequestFactory

from audit.models import AuditEvent
from confidentiality import crypto, files
from confidentiality.keyscope import KeyScope
from confidentiality.models import StoredFile
from confidentiality.uploads import EphemeralEncryptedUpload

pytestmark = pytest.mark.django_db

CANARY = b"CANARY-file-5e1d-\xe5\x8f\x91\xe7\xa5\xa8"  # "...发票"
SCOPE = KeyScope.for_client("3f1e7d9a-0000-4000-8000-000000000001", fiscal_year=2024)


def _payload(size: int) -> bytes:
    body = (CANARY + b"|") * (size // (len(CANARY) + 1) + 1)
    return body[:size]


def _store(data: bytes, name: str = "发票-canary.pdf") -> StoredFile:
    return files.store_encrypted(SCOPE, io.BytesIO(data), owner_label="test", name=name, content_type="application/pdf")


def _disk(stored: StoredFile) -> Path:
    return Path(settings.MEDIA_ROOT) / stored.relative_path


@pytest.mark.parametrize("size", [0, 1, files.CHUNK_SIZE, files.CHUNK_SIZE + 1, 3 * files.CHUNK_SIZE + 17])
def test_round_trip_and_no_plaintext_on_disk(size: int) -> None:
    data = _payload(size)
    stored = _store(data)
    on_disk = _disk(stored).read_bytes()
    assert stored.size == size and stored.sha256 == hashlib.sha256(on_disk).hexdigest()
    assert CANARY[:12] not in on_disk
    fresh = StoredFile.objects.get(pk=stored.pk)
    assert fresh.name == "发票-canary.pdf" and fresh.content_type == "application/pdf"
    assert b"canary" not in bytes(StoredFile.objects.filter(pk=stored.pk).values_list("name", flat=True).get())  # type: ignore[arg-type]
    assert files.read_decrypted(fresh) == data


def test_downloads_stream_chunk_by_chunk() -> None:
    data = os.urandom(2 * files.CHUNK_SIZE + 5)
    stored = _store(data)
    response = StreamingHttpResponse(files.open_decrypted(stored), content_type=stored.content_type)
    chunks = list(response.streaming_content)  # type: ignore[arg-type]
    assert len(chunks) == 3 and b"".join(chunks) == data  # type: ignore[arg-type]


def _chunks_of(stored: StoredFile) -> tuple[bytes, list[bytes]]:
    raw = _disk(stored).read_bytes()
    header, body = raw[:31], raw[31:]
    size = files.CHUNK_SIZE + 16
    return header, [body[i : i + size] for i in range(0, len(body), size)]


def _rewrite(stored: StoredFile, header: bytes, chunks: list[bytes]) -> None:
    _disk(stored).write_bytes(header + b"".join(chunks))


@pytest.mark.parametrize("attack", ["flip", "truncate", "reorder", "append", "drop_final"])
def test_tampering_is_detected(attack: str) -> None:
    stored = _store(_payload(3 * files.CHUNK_SIZE + 100))
    header, chunks = _chunks_of(stored)
    if attack == "flip":
        chunks[1] = chunks[1][:50] + bytes([chunks[1][50] ^ 1]) + chunks[1][51:]
    elif attack == "truncate":
        chunks[-1] = chunks[-1][:-1]
    elif attack == "reorder":
        chunks[0], chunks[1] = chunks[1], chunks[0]
    elif attack == "append":
        chunks.append(chunks[1])
    elif attack == "drop_final":
        chunks = chunks[:-1]
    _rewrite(stored, header, chunks)
    with pytest.raises(files.FileDecryptionError):
        files.read_decrypted(stored)
    assert AuditEvent.objects.filter(action="decryption_failed").exists()


def test_a_file_copied_over_another_fails() -> None:
    a, b = _store(b"A" * 100), _store(b"B" * 100)
    _disk(b).write_bytes(_disk(a).read_bytes())
    with pytest.raises(files.FileDecryptionError):
        files.read_decrypted(b)


class _Generated(io.RawIOBase):
    """A large file produced on the fly, so the test itself holds no copy of it."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


def test_memory_stays_constant_for_large_files() -> None:
    size = 8 * 1024 * 1024
    tracemalloc.start()
    try:
        stored = files.store_encrypted(SCOPE, io.BufferedReader(_Generated(size)), owner_label="test", name="big.bin")
        _, peak_in = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        total = sum(len(chunk) for chunk in files.open_decrypted(stored))
        _, peak_out = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size and stored.size == size
    assert peak_in < 1024 * 1024 and peak_out < 1024 * 1024, (peak_in, peak_out)


def test_destroying_the_scope_shreds_the_file(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    scope = KeyScope.for_client("3f1e7d9a-0000-4000-8000-000000000002", fiscal_year=2015)
    stored = files.store_encrypted(scope, io.BytesIO(b"old voucher scan"), owner_label="test", name="a.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        crypto.destroy_scope(scope, actor=None, reason="retention ended")
    with pytest.raises(crypto.KeyDestroyedError):
        files.read_decrypted(StoredFile.objects.get(pk=stored.pk))


def test_deleting_a_file_removes_the_ciphertext_after_commit(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    stored = _store(b"to delete")
    path = _disk(stored)
    with django_capture_on_commit_callbacks(execute=True):
        files.delete_stored_file(stored, actor=None, reason="test")
    assert not path.exists() and not StoredFile.objects.filter(pk=stored.pk).exists()
    assert AuditEvent.objects.filter(action="stored_file_deleted").exists()


def test_large_uploads_touch_disk_only_as_ciphertext(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    data = _payload(settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 300_000)
    request = RequestFactory().post("/upload", {"doc": SimpleUploadedFile("发票.pdf", data, "application/pdf")})
    upload = request.FILES["doc"]
    assert isinstance(upload, EphemeralEncryptedUpload)
    temp_files = list(tmp_path.iterdir())
    assert len(temp_files) == 1
    assert CANARY[:12] not in temp_files[0].read_bytes()
    assert upload.read() == data
    stored = files.store_encrypted(SCOPE, upload, owner_label="test")
    assert stored.name == "发票.pdf" and stored.content_type == "application/pdf"
    assert files.read_decrypted(stored) == data
    upload.close()
    assert list(tmp_path.iterdir()) == []


def test_small_uploads_stay_in_memory(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    request = RequestFactory().post("/upload", {"doc": SimpleUploadedFile("a.txt", CANARY, "text/plain")})
    assert request.FILES["doc"].read() == CANARY  # type: ignore[union-attr]
    assert list(tmp_path.iterdir()) == []
