"""Log plumbing: every line carries the server-made request id; files open lazily."""

from __future__ import annotations

import contextvars
import logging
from pathlib import Path

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class LazyFileHandler(logging.FileHandler):
    """A file handler that creates its directory, so a fresh checkout logs without set-up."""

    def __init__(self, filename: str, mode: str = "a", encoding: str | None = "utf-8") -> None:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(filename, mode=mode, encoding=encoding, delay=True)
