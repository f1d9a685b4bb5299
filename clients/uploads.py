"""An upload handler that keeps the file in memory only (never a temporary file on disk, which would
hold plaintext), and stops reading past a limit: the size is reported so the form can refuse it."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class InMemoryOnlyUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.buffer = io.BytesIO()
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received <= self.limit:
            self.buffer.write(raw_data)
        return None  # no later handler gets the data (none writes it to disk)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,  # the real size, so an oversized file is refused by the form
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the chain: a file past `limit` is dropped as it streams (never kept, in memory or
    encrypted on disk) and its name noted, so the view can say which file was too large."""

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.refused: list[str] = []

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.refused.append(str(self.file_name or "")[:200])
            for handler in getattr(self.request, "upload_handlers", []):
                if handler is not self:
                    handler.upload_interrupted()
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def limited_upload_handlers(request: Any, *, limit: int) -> list[FileUploadHandler]:
    """The project's upload handlers (memory, then ciphertext-only temp files) behind a size limit."""
    from django.core.files.uploadhandler import MemoryFileUploadHandler

    from confidentiality.uploads import EncryptingTemporaryFileUploadHandler

    return [
        SizeLimitUploadHandler(request, limit=limit),
        MemoryFileUploadHandler(request),
        EncryptingTemporaryFileUploadHandler(request),
    ]
