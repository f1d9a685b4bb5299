"""Upload handling without plaintext temp files.

Django keeps uploads up to FILE_UPLOAD_MAX_MEMORY_SIZE in memory (MemoryFileUploadHandler, first
in FILE_UPLOAD_HANDLERS). A larger upload reaches this handler, which writes it to a temp file
*encrypted as it arrives* (the chunked file format) under a random key that exists only in this
process's memory and dies with the request. The view reads it back decrypted (constant memory)
and `files.store_encrypted` encrypts it under the client's key. A crash leaves only ciphertext
whose key no longer exists.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from confidentiality.files import ChunkedEncryptor, DecryptingReader, decrypt_chunks


class EphemeralEncryptedUpload(UploadedFile):
    """An uploaded file held on disk only as ciphertext under a key kept in memory."""

    def __init__(self, *, tmp: Any, key: bytes, file_id: uuid.UUID, **kwargs: Any) -> None:
        self._tmp = tmp
        self._key = key
        self._file_id = file_id

        def open_chunks() -> Any:
            self._tmp.seek(0)
            return decrypt_chunks(self._key, self._tmp, file_id=self._file_id, where="upload")

        super().__init__(file=DecryptingReader(open_chunks), **kwargs)  # type: ignore[arg-type]

    def temporary_file_path(self) -> str:
        # Callers must not reopen the path: it holds ciphertext only.
        raise AttributeError("an encrypted upload has no plaintext path")

    def close(self) -> None:
        try:
            self._tmp.close()  # NamedTemporaryFile(delete=True): the ciphertext is removed
        finally:
            self._key = b""
            super().close()


class EncryptingTemporaryFileUploadHandler(FileUploadHandler):
    """Streams an upload into a temp file, encrypting each chunk before it is written."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._key = AESGCM.generate_key(bit_length=256)
        self._file_id = uuid.uuid4()
        directory = settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()
        os.makedirs(directory, exist_ok=True)
        self._tmp = tempfile.NamedTemporaryFile(prefix="fp-upload-", suffix=".enc", dir=directory)  # noqa: SIM115
        self._writer = ChunkedEncryptor(self._key, self._file_id, self._tmp)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._writer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        self._writer.close()
        self._tmp.flush()
        return EphemeralEncryptedUpload(
            tmp=self._tmp,
            key=self._key,
            file_id=self._file_id,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def upload_interrupted(self) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.close()
