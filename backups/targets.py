"""Backup targets: where archives are kept. Each is a small class chosen by a setting.

`FIRMPORTAL_BACKUP_TARGETS = {"primary": {"BACKEND": dotted path, "OPTIONS": {...}}, "offsite": ...}`

Nothing is ever visible under its final name before it is complete: a local directory writes to a
hidden `.NAME.partial-XXXX` file and renames it after fsync; S3 writes a multipart upload, which
becomes an object only when completed (and is aborted on failure).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

PARTIAL_MARK = ".partial-"


class Upload(Protocol):
    def write(self, data: bytes) -> int: ...

    def commit(self) -> str:
        """Make the upload visible under its final name; returns its location."""
        ...

    def abort(self) -> None: ...


class BackupTarget(Protocol):
    name: str
    backend: str

    def open_upload(self, filename: str) -> Upload: ...

    def open_read(self, filename: str) -> contextlib.AbstractContextManager[IO[bytes]]: ...

    def put_small(self, filename: str, data: bytes) -> None: ...

    def delete(self, filename: str) -> None: ...

    def names(self) -> list[str]: ...

    def cleanup_partials(self, *, older_than_seconds: float) -> int: ...

    def location(self, filename: str) -> str: ...


class _LocalUpload:
    def __init__(self, directory: Path, filename: str) -> None:
        self.final = directory / filename
        self.temp = directory / f".{filename}{PARTIAL_MARK}{secrets.token_hex(4)}"
        fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.handle = os.fdopen(fd, "wb", buffering=1024 * 1024)

    def write(self, data: bytes) -> int:
        return self.handle.write(data)

    def commit(self) -> str:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.temp, self.final)
        dir_fd = os.open(self.final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return str(self.final)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


class LocalDirectoryTarget:
    backend = "local"

    def __init__(self, name: str, path: str) -> None:
        self.name = name
        self.path = Path(path)

    def _dir(self) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        return self.path

    def open_upload(self, filename: str) -> Upload:
        return _LocalUpload(self._dir(), filename)

    @contextlib.contextmanager
    def open_read(self, filename: str) -> Iterator[IO[bytes]]:
        with open(self.path / filename, "rb") as handle:
            yield handle

    def put_small(self, filename: str, data: bytes) -> None:
        upload = _LocalUpload(self._dir(), filename)
        try:
            upload.write(data)
            upload.commit()
        except BaseException:
            upload.abort()
            raise

    def delete(self, filename: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.path / filename).unlink()

    def names(self) -> list[str]:
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir() if p.is_file() and not p.name.startswith("."))

    def cleanup_partials(self, *, older_than_seconds: float) -> int:
        if not self.path.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - older_than_seconds
        for p in self.path.iterdir():
            if p.name.startswith(".") and PARTIAL_MARK in p.name and p.stat().st_mtime <= cutoff:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
                    removed += 1
        return removed

    def location(self, filename: str) -> str:
        return str(self.path / filename)


class _S3Upload:
    PART = 8 * 1024 * 1024

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []

    def _flush_part(self) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=bytes(self.buffer)
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self.buffer.clear()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= self.PART:
            self._flush_part()
        return len(data)

    def commit(self) -> str:
        if self.buffer or not self.parts:
            self._flush_part()
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )
        return f"s3://{self.bucket}/{self.key}"

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


class S3Target:
    """An S3-compatible bucket (AWS, MinIO, Ceph, Aliyun OSS in S3 mode, ...)."""

    backend = "s3"

    def __init__(
        self,
        name: str,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        connect_timeout: float = 5,
        retries: int = 2,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.name = name
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=Config(
                connect_timeout=connect_timeout,
                read_timeout=60,
                retries={"max_attempts": retries, "mode": "standard"},
            ),
        )

    def _key(self, filename: str) -> str:
        return self.prefix + filename

    def open_upload(self, filename: str) -> Upload:
        return _S3Upload(self.client, self.bucket, self._key(filename))

    @contextlib.contextmanager
    def open_read(self, filename: str) -> Iterator[IO[bytes]]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(filename))["Body"]
        try:
            yield body
        finally:
            body.close()

    def put_small(self, filename: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(filename), Body=data)

    def delete(self, filename: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(filename))

    def names(self) -> list[str]:
        found: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            found += [item["Key"][len(self.prefix) :] for item in page.get("Contents", [])]
        return sorted(found)

    def cleanup_partials(self, *, older_than_seconds: float) -> int:
        answer = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        removed = 0
        cutoff = time.time() - older_than_seconds
        for upload in answer.get("Uploads", []):
            if upload["Initiated"].timestamp() <= cutoff:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                removed += 1
        return removed

    def location(self, filename: str) -> str:
        return f"s3://{self.bucket}/{self._key(filename)}"


def configured_targets() -> dict[str, BackupTarget]:
    """The targets named in FIRMPORTAL_BACKUP_TARGETS, built fresh (cheap; settings may change in tests)."""
    built: dict[str, BackupTarget] = {}
    specs: dict[str, dict[str, Any]] = settings.FIRMPORTAL_BACKUP_TARGETS
    for name, spec in specs.items():
        factory = import_string(str(spec["BACKEND"]))
        built[name] = factory(name=name, **dict(spec.get("OPTIONS", {})))
    return built
