"""The backup archive: a tar stream, encrypted with age, written and read in constant memory.

On disk a backup is one file, `NAME.tar.age`: the age format (https://age-encryption.org/v1,
X25519 recipients, ChaCha20-Poly1305 in 64 KiB chunks with a final-chunk flag, so truncation,
reordering and bit flips are all detected) around a POSIX (pax) tar stream. In a disaster it opens
with the standard tools and nothing of FirmPortal:

    age -d -i recovery-identity.txt NAME.tar.age | tar -x

The tar holds, in this order:

- `manifest.json`: what the archive holds (see `backups.sources.snapshot_manifest`);
- `database/pg.dump.NNNNN` (`pg_dump -Fc` output, already compressed by pg_dump) or
  `database/sqlite.sql.gz.NNNNN` (an SQL dump of the SQLite snapshot, gzip-compressed here),
  cut into parts of `PART_SIZE` bytes because a tar header must state its member's size and a
  dump's size is only known at its end; `cat database/pg.dump.* | pg_restore ...` joins them;
- `media/...`: the media files as stored (already encrypted by FirmPortal, so not compressed again).

pyrage's `encrypt_io` pulls plaintext from a reader in 8 KiB reads and pushes ciphertext to a writer;
`ChunkReader` turns our generator of tar bytes into that reader, so at no point is more than one
part (plus small buffers) held in memory, and no plaintext ever touches a disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Protocol

import pyrage

PART_SIZE = 4 * 1024 * 1024
COPY_CHUNK = 256 * 1024
MANIFEST_MEMBER = "manifest.json"


class ArchiveError(Exception):
    """The archive could not be written or read; the message says why, for the run's record."""


class ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (pull model, bounded buffer)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self._offset = 0
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        try:
            return self._read(size)
        except BaseException as exc:
            # pyrage reports a reader's exception as EncryptError; keep the original for the reason.
            self.error = exc
            raise

    def _read(self, size: int | None) -> bytes:
        if size is None or size < 0:
            parts = [self._buffer[self._offset :], *self._chunks]
            self._buffer, self._offset = b"", 0
            return b"".join(parts)
        out: list[bytes] = []
        wanted = size
        while wanted > 0:
            if self._offset >= len(self._buffer):
                # Take the next chunk as it is (no concatenation: a chunk may be a 4 MiB part).
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._buffer, self._offset = chunk, 0
                continue
            piece = self._buffer[self._offset : self._offset + wanted]
            self._offset += len(piece)
            wanted -= len(piece)
            out.append(piece)
        return out[0] if len(out) == 1 else b"".join(out)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Sink(Protocol):
    def write(self, data: bytes) -> int: ...


class RateLimiter:
    """Caps the bytes per second written (FIRMPORTAL_BACKUP_RATE_LIMIT), e.g. to spare an office uplink."""

    def __init__(self, bytes_per_second: int) -> None:
        self.rate = bytes_per_second
        self.start = time.monotonic()
        self.sent = 0

    def account(self, n: int) -> None:
        if self.rate <= 0:
            return
        self.sent += n
        ahead = self.sent / self.rate - (time.monotonic() - self.start)
        if ahead > 0:
            time.sleep(ahead)


class HashingFanout:
    """The writer given to age: hashes and counts the ciphertext and hands it to every sink.

    A sink that fails is dropped (its error kept by name) and the stream goes on to the others, so a
    full off-site disk does not cost the primary copy; when no sink is left the stream stops.
    """

    def __init__(
        self,
        sinks: dict[str, Sink],
        *,
        on_progress: Callable[[int], None] | None = None,
        rate_limit: int = 0,
    ) -> None:
        self.sinks = dict(sinks)
        self.errors: dict[str, str] = {}
        self.digest = hashlib.sha256()
        self.size = 0
        self._on_progress = on_progress
        self._limiter = RateLimiter(rate_limit)
        self._last_progress = 0.0

    def write(self, data: bytes) -> int:
        data = bytes(data)
        self.digest.update(data)
        self.size += len(data)
        for name, sink in list(self.sinks.items()):
            try:
                sink.write(data)
            except Exception as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
                self.errors[name] = describe_error(exc)
                del self.sinks[name]
        if not self.sinks:
            raise ArchiveError("every target failed: " + "; ".join(f"{k}: {v}" for k, v in self.errors.items()))
        self._limiter.account(len(data))
        now = time.monotonic()
        if self._on_progress is not None and now - self._last_progress >= 1.0:
            self._last_progress = now
            self._on_progress(self.size)
        return len(data)

    def flush(self) -> None:
        return None


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror} [errno {exc.errno}]{where}"
    return f"{type(exc).__name__}: {exc}"


# --- writing the tar stream ------------------------------------------------------------------


def _header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def tar_member(name: str, data: bytes, *, mtime: float) -> Iterator[bytes]:
    yield _header(name, len(data), mtime)
    yield data
    if pad := (-len(data)) % tarfile.BLOCKSIZE:
        yield b"\0" * pad


def tar_file_member(name: str, path: str | os.PathLike[str], *, mtime: float) -> Iterator[bytes]:
    """A file streamed into the tar in COPY_CHUNK pieces; fails if it changes size while read."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        yield _header(name, size, mtime)
        left = size
        while left > 0:
            chunk = handle.read(min(COPY_CHUNK, left))
            if not chunk:
                raise ArchiveError(f"media file {name} shrank while it was backed up")
            left -= len(chunk)
            yield chunk
    if pad := (-size) % tarfile.BLOCKSIZE:
        yield b"\0" * pad


def tar_parts(prefix: str, stream: Iterable[bytes], *, mtime: float, part_size: int = PART_SIZE) -> Iterator[bytes]:
    """A stream of unknown length as members `prefix.00000`, `prefix.00001`, ... of `part_size` bytes.

    A part is held as the list of its chunks (never joined), so no large contiguous buffers are
    allocated and freed over and over (which fragments the heap and lets RSS creep with size)."""
    pending: list[bytes] = []
    held = 0
    index = 0

    def emit(chunks: list[bytes], size: int, number: int) -> Iterator[bytes]:
        yield _header(f"{prefix}.{number:05d}", size, mtime)
        yield from chunks
        if pad := (-size) % tarfile.BLOCKSIZE:
            yield b"\0" * pad

    for chunk in stream:
        while chunk:
            take = chunk[: part_size - held]
            chunk = chunk[len(take) :]
            pending.append(take)
            held += len(take)
            if held == part_size:
                yield from emit(pending, held, index)
                pending, held, index = [], 0, index + 1
    if pending or index == 0:
        yield from emit(pending, held, index)


def tar_end() -> Iterator[bytes]:
    yield b"\0" * (tarfile.BLOCKSIZE * 2)


def encrypt_stream(plaintext: Iterable[bytes], writer: HashingFanout, recipients: list[str]) -> None:
    """Encrypt the plaintext chunks to the age recipients into `writer`."""
    try:
        parsed = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
    except Exception as exc:
        raise ArchiveError(f"a configured backup recipient is not an age X25519 public key: {exc}") from exc
    if not parsed:
        raise ArchiveError("no backup recipient is configured (FIRMPORTAL_BACKUP_RECIPIENTS)")
    reader = ChunkReader(plaintext)
    try:
        pyrage.encrypt_io(reader, writer, parsed)
    except Exception as exc:
        if reader.error is not None:
            raise reader.error from exc
        if writer.errors and not writer.sinks:
            raise ArchiveError(
                "every target failed: " + "; ".join(f"{k}: {v}" for k, v in writer.errors.items())
            ) from exc
        raise ArchiveError(f"encryption failed: {exc}") from exc


# --- reading it back -------------------------------------------------------------------------


class HashingReader(io.RawIOBase):
    """Reads a stored copy while hashing and counting it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.raw.read(-1 if size is None else size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def load_identities(texts: Iterable[str]) -> list[Any]:
    identities = []
    for text in texts:
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("AGE-SECRET-KEY-"):
                try:
                    identities.append(pyrage.x25519.Identity.from_str(line))
                except Exception as exc:
                    raise ArchiveError("an identity file holds a malformed age secret key") from exc
    if not identities:
        raise ArchiveError("no age identity (AGE-SECRET-KEY-...) was given to decrypt the backup")
    return identities


@contextlib.contextmanager
def decrypted(source: Any, identities: list[Any]) -> Iterator[IO[bytes]]:
    """The plaintext of an age stream as a readable pipe, decrypted by a thread as it is read.

    The pipe bounds memory. The reader MUST treat the stream as bad unless the context exits
    cleanly: age only knows at the end whether the last chunk was there (truncation).
    """
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def pump() -> None:
        with open(write_fd, "wb", buffering=COPY_CHUNK) as out:
            try:
                pyrage.decrypt_io(source, out, identities)
            except BaseException as exc:  # noqa: BLE001 - any backend error fails this target only, with its reason
                failure.append(exc)
            with contextlib.suppress(BrokenPipeError):
                out.flush()

    thread = threading.Thread(target=pump, name="backup-decrypt", daemon=True)
    thread.start()
    reader = open(read_fd, "rb", buffering=COPY_CHUNK)  # noqa: SIM115 - closed on every path below
    try:
        yield reader
        # Drain what is left, so the decrypter reaches the end and checks the final chunk.
        while reader.read(COPY_CHUNK):
            pass
    except BaseException as exc:
        reader.close()
        thread.join()
        # A damaged stream usually shows first as a short tar; the decrypter's reason is the true one.
        if failure and not isinstance(failure[0], BrokenPipeError) and "Broken pipe" not in str(failure[0]):
            raise ArchiveError(explain_decrypt_error(failure[0])) from exc
        raise
    reader.close()
    thread.join()
    if failure:
        raise ArchiveError(explain_decrypt_error(failure[0]))


def explain_decrypt_error(exc: BaseException) -> str:
    text = str(exc)
    if "No matching keys" in text:
        return "wrong key: no given identity matches the backup's recipients"
    if "Broken pipe" in text:
        return "the reader stopped early"
    if "Unknown age format" in text or "Header" in text or "header" in text:
        return f"the backup's age header is damaged or it is not an age file ({text.splitlines()[0]})"
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"the backup does not decrypt: it was altered or truncated ({first})"
