"""Logging set-up: verbosity, an optional rotating log file, JSON lines, and a
filter that scrubs every configured secret from every record. Text lines show
names escaped (:func:`~sync2nas_core.names.printable`); JSON lines keep them exact."""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .names import printable

REDACTED = "********"
_LEVELS = {0: logging.WARNING, 1: logging.INFO}
# query-string credentials in URLs, whatever the plugin forgot to scrub
_URL_SECRETS = re.compile(r"(?i)\b(api_key|apikey|token|password|passphrase)=([^&\s]+)")


class SecretFilter(logging.Filter):
    """Replace known secret values (and ``api_key=...`` in URLs) with ``********``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def scrub(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return _URL_SECRETS.sub(rf"\1={REDACTED}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.scrub(message), None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message``, one line per record: control characters in the
    message are escaped, and in a traceback's exception messages too (its own line
    breaks kept)."""

    def format(self, record: logging.LogRecord) -> str:
        escaped = logging.makeLogRecord(record.__dict__)
        escaped.msg, escaped.args = printable(record.getMessage()), None
        escaped.exc_text = record.exc_text and _printable_traceback(
            record.exc_text, record.exc_info)
        return super().format(escaped)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's naming)
        return _printable_traceback(super().formatException(ei), ei)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 (logging's naming)
        return _printable_traceback(super().formatStack(stack_info), None)


def _printable_traceback(text: str, exc_info: Any) -> str:
    """``text`` with each exception's own message escaped whole (a line break in it
    included), then every line escaped."""
    error = exc_info[1] if exc_info else None
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        message = "".join(traceback.format_exception_only(type(error), error)).rstrip("\n")
        text = text.replace(message, printable(message))
        error = error.__cause__ or error.__context__
    return "\n".join(printable(line) for line in text.split("\n"))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(
    verbosity: int, log_file: Path | None = None, log_format: str = "text"
) -> SecretFilter:
    """Configure the root logger for one run; returns the filter to feed secrets to."""
    secret_filter = SecretFilter()
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter()
    else:
        formatter = TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
            )
        )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "sync2nas", False):  # ours, from an earlier run in this process
            root.removeHandler(handler)
    for handler in handlers:
        handler.sync2nas = True  # type: ignore[attr-defined]
        handler.setFormatter(formatter)
        handler.addFilter(secret_filter)
        root.addHandler(handler)
    root.setLevel(log_level(verbosity))
    return secret_filter


def log_level(verbosity: int) -> int:
    """The root logger's level for ``-v`` given ``verbosity`` times."""
    return _LEVELS.get(verbosity, logging.DEBUG)
