"""Encrypted files: chunked AES-256-GCM with constant memory, streamed in and out.

On disk (under MEDIA_ROOT/encrypted/): a header, then chunks of at most 64 KiB of plaintext each:

    header = b"FPF1" | file id (16) | chunk size (4, big-endian) | nonce prefix (7 random bytes)
    chunk i = AES-GCM(file key, nonce = prefix | i (4 bytes) | final (1 byte),
                      data, aad = header | i (8 bytes) | final)

The header (hence the file id) is authenticated with every chunk, the chunk index and the "final"
flag are in nonce and AAD: a chunk moved to another file or position, a dropped chunk, a truncated
or an extended file all fail. Each file has its own random key, stored in its `StoredFile` row as
an encrypted field under the scope's data key: rotating the data key rewraps the file key only,
destroying the scope's key shreds the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction

from confidentiality import crypto
from confidentiality.fields import PlainBytes
from confidentiality.keyscope import KeyScope
from confidentiality.models import StoredFile

MAGIC = b"FPF1"
CHUNK_SIZE = 64 * 1024
_TAG = 16
_HEADER = struct.Struct(">4s16sI7s")


class FileDecryptionError(crypto.DecryptionError):
    """An encrypted file is tampered, truncated, reordered, or not ours."""


class ChunkedEncryptor:
    """Writes the format above to `out`, holding at most one chunk of plaintext in memory."""

    def __init__(self, key: bytes, file_id: uuid.UUID, out: IO[bytes], *, chunk_size: int = CHUNK_SIZE) -> None:
        self._aead = AESGCM(key)
        self._prefix = os.urandom(7)
        self._header = _HEADER.pack(MAGIC, file_id.bytes, chunk_size, self._prefix)
        self._out = out
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self.size = 0
        self.sha256 = hashlib.sha256()
        self._emit(self._header)

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self.sha256.update(data)

    def _seal(self, data: bytes, final: bool) -> None:
        flag = b"\x01" if final else b"\x00"
        nonce = self._prefix + struct.pack(">I", self._index) + flag
        aad = self._header + struct.pack(">Q", self._index) + flag
        self._emit(self._aead.encrypt(nonce, data, aad))
        self._index += 1

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self._buffer += data
        # Keep the last chunk back: only close() knows which chunk is final.
        while len(self._buffer) > self._chunk_size:
            chunk = bytes(self._buffer[: self._chunk_size])
            del self._buffer[: self._chunk_size]
            self._seal(chunk, final=False)

    def close(self) -> None:
        self._seal(bytes(self._buffer), final=True)
        self._buffer = bytearray()


def decrypt_chunks(key: bytes, source: IO[bytes], *, file_id: uuid.UUID, where: str = "") -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk; raises FileDecryptionError at the first bad chunk."""

    def fail(reason: str) -> FileDecryptionError:
        crypto.report_decryption_failure(where=where, key_id=None, reason=f"file {reason}")
        return FileDecryptionError(f"encrypted file {where or file_id} is {reason}", where=where)

    header = source.read(_HEADER.size)
    if len(header) != _HEADER.size:
        raise fail("truncated")
    magic, raw_id, chunk_size, prefix = _HEADER.unpack(header)
    if magic != MAGIC or raw_id != file_id.bytes or not 0 < chunk_size <= 16 * 1024 * 1024:
        raise fail("not this file")
    aead = AESGCM(key)
    index = 0
    current = source.read(chunk_size + _TAG)
    while True:
        following = source.read(chunk_size + _TAG) if len(current) == chunk_size + _TAG else b""
        final = not following
        flag = b"\x01" if final else b"\x00"
        try:
            plain = aead.decrypt(
                prefix + struct.pack(">I", index) + flag, current, header + struct.pack(">Q", index) + flag
            )
        except Exception as exc:
            raise fail("tampered or truncated") from exc
        yield plain
        if final:
            return
        current = following
        index += 1


def _path(stored: StoredFile) -> Path:
    return Path(settings.MEDIA_ROOT) / stored.relative_path


def _read_chunks(fileobj: Any) -> Iterator[bytes]:
    if hasattr(fileobj, "chunks"):
        yield from fileobj.chunks(CHUNK_SIZE)
        return
    while True:
        data = fileobj.read(CHUNK_SIZE)
        if not data:
            return
        yield data


@transaction.atomic
def store_encrypted(
    scope: KeyScope,
    fileobj: Any,
    *,
    owner_label: str,
    name: str | None = None,
    content_type: str | None = None,
) -> StoredFile:
    """Encrypt a file (any object with `.chunks()` or `.read()`) under a new file key in the scope.

    Plaintext never touches the disk: chunks are encrypted as they are read. The caller's service
    records the audit event for what the file is (a document upload, an export).
    """
    with encrypted_writer(
        scope,
        owner_label=owner_label,
        name=name if name is not None else os.path.basename(str(getattr(fileobj, "name", "") or "")),
        content_type=content_type or getattr(fileobj, "content_type", None) or "application/octet-stream",
    ) as (sink, stored):
        for data in _read_chunks(fileobj):
            sink.write(data)
    # If the caller's transaction rolls back, the ciphertext file stays as an orphan, but its key
    # was only ever in the rolled-back row: it is unreadable noise (see docs/keys-and-backups.md).
    return stored


def open_decrypted(stored: StoredFile) -> Iterator[bytes]:
    """The plaintext as an iterator of chunks, for `StreamingHttpResponse` (constant memory)."""
    file_key = stored.file_key  # decrypts under the scope's data key (raises if destroyed)
    where = f"confidentiality.storedfile#{stored.pk}"
    try:
        source = open(_path(stored), "rb")  # noqa: SIM115 - closed when the generator ends
    except FileNotFoundError as exc:
        raise FileDecryptionError(f"encrypted file {stored.pk} is missing", where=where) from exc

    def generate() -> Iterator[bytes]:
        with source:
            yield from decrypt_chunks(file_key, source, file_id=stored.id, where=where)

    return generate()


def read_decrypted(stored: StoredFile) -> bytes:
    """The whole plaintext (small files only: use open_decrypted for downloads)."""
    return b"".join(open_decrypted(stored))


@transaction.atomic
def delete_stored_file(stored: StoredFile, *, actor: Any, reason: str = "") -> None:
    """Delete an encrypted file: the row (with its file key) now, the ciphertext after commit."""
    from audit import services as audit
    from audit.models import AuditAction

    path = _path(stored)
    audit.record(
        actor=actor,
        action=AuditAction.STORED_FILE_DELETED,
        target=stored,
        client_ref=stored.owner.split(":", 1)[1] if stored.owner.startswith("client:") else "",
        details={"owner_label": stored.owner_label, "size": stored.size, "reason": reason[:200]},
    )
    stored.delete()
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


class DecryptingReader(io.RawIOBase):
    """A read-only file object over an encrypted stream (used by the upload handler)."""

    def __init__(self, open_chunks: Any) -> None:
        super().__init__()
        self._open_chunks = open_chunks
        self._chunks: Iterator[bytes] = open_chunks()
        self._pending = b""
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("an encrypted upload can only be rewound")
        self._chunks = self._open_chunks()
        self._pending = b""
        self._position = 0
        return 0

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self._position += size
        return size


class _EncryptingSink(io.RawIOBase):
    """A write-only, unseekable file object that encrypts what is written (zipfile can stream into it)."""

    def __init__(self, writer: ChunkedEncryptor) -> None:
        super().__init__()
        self._writer = writer

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._writer.write(chunk)
        return len(chunk)


@contextlib.contextmanager
def encrypted_writer(
    scope: KeyScope, *, owner_label: str, name: str, content_type: str = "application/octet-stream"
) -> Iterator[tuple[io.RawIOBase, StoredFile]]:
    """Write plaintext into the yielded file object, encrypted as it is written (for content built on
    the fly, e.g. an export zip): plaintext never touches the disk and at most one chunk is held.

    The `StoredFile` row (yielded unsaved) is saved when the block ends without an error; on an error
    the ciphertext is removed and nothing is saved. Like `store_encrypted`, the caller audits what it is.
    """
    stored = StoredFile(
        owner=scope.owner, year=scope.year, owner_label=owner_label, content_type=content_type[:100], size=0, sha256=""
    )
    file_key = AESGCM.generate_key(bit_length=256)
    stored.name = name
    stored.file_key = PlainBytes(file_key)
    target = _path(stored)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        with open(partial, "wb") as out:
            writer = ChunkedEncryptor(file_key, stored.id, out)
            yield _EncryptingSink(writer), stored
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
        stored.size = writer.size
        stored.sha256 = writer.sha256.hexdigest()
        stored.save(force_insert=True)
    except BaseException:
        partial.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
