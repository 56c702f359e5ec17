"""Structured logs: one JSON object per line (or a readable line with LOG_FORMAT=text).

Built on structlog's `ProcessorFormatter`, a formatter of the standard library's logging: our
own lines, uvicorn's (error and access) and third-party libraries' all go through the same
processors, so every line has the same shape and the same redaction, whoever logged it.

The fields of the request a line belongs to (`request_id`, `route`, `payment_id`, …) live in
one mutable dict per request, held by a context variable that `RequestContextMiddleware` sets
(`request_context`). `bind()` adds to that dict: a value bound deep in the gateway (the
payment id it was given, the idempotency key) is then on every later line of the request,
its final `request` line included, even when it was bound in a task the request awaited.
Outside a request (the CLI) `bind()` does nothing: a long-running `reconcile` would
otherwise carry one payment's id onto the next one's lines.
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "text"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text")

# Fields of the request being served, shared by every line logged while it runs.
_request_fields: ContextVar[dict[str, object] | None] = ContextVar(
    "orderpay_log_fields", default=None
)


@contextmanager
def request_context(**fields: object) -> Iterator[dict[str, object]]:
    """A fresh set of fields for the lines of one request (its id, at first)."""
    current: dict[str, object] = dict(fields)
    token = _request_fields.set(current)
    try:
        yield current
    finally:
        _request_fields.reset(token)


def bind(**fields: object) -> None:
    """Put these fields (None values skipped) on every further line of the current request."""
    current = _request_fields.get()
    if current is not None:
        for name, value in fields.items():
            if value is not None:
                current[name] = value


def bound_fields() -> Mapping[str, object]:
    return _request_fields.get() or {}


# -- redaction ---------------------------------------------------------------------------
#
# Nothing we log on purpose holds a secret; this is the second line of defence for what we
# do not control (a library's exception text, Stripe's error message quoting a token, an
# access log's query string). Replaced by a marker naming what was removed.

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Stripe secret and restricted keys, webhook signing secrets.
    (re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]+"), "[secret key]"),
    (re.compile(r"\bwhsec_[A-Za-z0-9_]+"), "[webhook secret]"),
    # A PaymentIntent's or SetupIntent's client_secret: `pi_…_secret_…`.
    (re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"), "[client secret]"),
    # Single-use card tokens (they charge the card once), and Stripe's test aliases.
    (re.compile(r"\btok_[A-Za-z0-9_]+"), "[card token]"),
    (re.compile(r"\bpm_card_[A-Za-z0-9_]+"), "[card token]"),
    # Our bearer tokens (users/service.new_token) and any Authorization header value.
    (re.compile(r"\bop_[A-Za-z0-9_-]{16,}"), "[user token]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [token]"),
    # Checkout links carry their signed token in the query string.
    (re.compile(r"(?i)([?&](?:token|client_secret)=)[^&\s\"']+"), r"\1[redacted]"),
)
# 13 to 19 digits, maybe grouped by single spaces, not inside a word or a longer number, nor
# a decimal's part. (Not dashes: the parts of an id would pass for a grouped number.)
_CARD_CANDIDATE = re.compile(r"(?<!\w)(?<!\d\.)\d(?: ?\d){12,18}(?!\w|\.\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_number(match: re.Match[str]) -> str:
    digits = match.group(0).replace(" ", "")
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return "[card number]"
    return match.group(0)


# One cheap search decides whether a value needs the patterns above at all (most don't).
_MAYBE_SECRET = re.compile(
    r"(?:sk|rk)_|whsec_|_secret_|tok_|pm_card_|op_|(?i:bearer)|(?i:[?&](?:token|client_secret)=)"
    r"|\d(?: ?\d){12}"
)


def redact(text: str) -> str:
    """The text with every secret we know the shape of replaced by a marker."""
    if _MAYBE_SECRET.search(text) is None:
        return text
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return _CARD_CANDIDATE.sub(_card_number, text)


def _redact_values(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


# -- processors ---------------------------------------------------------------------------


def _add_request_fields(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    for key, value in bound_fields().items():
        event_dict.setdefault(key, value)
    return event_dict


def _uvicorn_access_fields(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """uvicorn's access line as fields: its record's args are (client, method, path with
    query, HTTP version, status). Other records' arguments are already in their message."""
    args = event_dict.pop("positional_args", None)
    record = event_dict.get("_record")
    if (
        isinstance(record, logging.LogRecord)
        and record.name == "uvicorn.access"
        and isinstance(args, tuple)
        and len(args) == 5
    ):
        client, method, path, _version, status = args
        event_dict.update(event="access", client=client, method=method, path=path, status=status)
    return event_dict


def _drop_color_message(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    # uvicorn passes its message again with terminal colours, as an `extra`.
    event_dict.pop("color_message", None)
    return event_dict


def _logger_name(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    record = event_dict.get("_record")
    if isinstance(record, logging.LogRecord):
        event_dict.setdefault("logger", record.name)
    return event_dict


def _add_pid(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    # Which worker of `orderpay serve --workers N` logged the line.
    event_dict["pid"] = os.getpid()
    return event_dict


def _orjson_dumps(obj: Any, **_kwargs: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


_TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True, key="time")
# Lines logged through the standard library (uvicorn's, libraries', `logging.getLogger`):
# the same fields as ours. Redaction comes at rendering, so it sees exception text too.
_FOREIGN: list[Processor] = [
    _uvicorn_access_fields,
    _logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    _drop_color_message,
    _add_request_fields,
    _add_pid,
    _TIMESTAMP,
]


def formatter(log_format: LogFormat = "json", *, process_wide: bool = False) -> logging.Formatter:
    """The formatter of every handler (referenced by name from `logging_config`, so that
    each uvicorn worker builds its own). `process_wide`: this process logs only through it
    (a server or a CLI command, not the test runner), which may then skip what no line shows."""
    if process_wide:
        skip_unused_record_fields()
    renderer: Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        tail: list[Processor] = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        tail = []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_FOREIGN,
        pass_foreign_args=True,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *tail,
            _redact_values,
            renderer,
        ],
    )


def logging_config(log_format: LogFormat = "json", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the whole process, also given to uvicorn as its
    `log_config` (each worker applies it when it starts). Lines go to stderr."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "orderpay": {
                "()": "orderpay.logs.formatter",
                "log_format": log_format,
                "process_wide": True,
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "orderpay",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "orderpay": {"level": level},
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": level, "handlers": [], "propagate": True},
            # The SDK logs each request at INFO/DEBUG (with its parameters at DEBUG): only
            # its warnings, and those redacted like every line.
            "stripe": {"level": "WARNING"},
        },
    }


def configure(log_format: LogFormat = "json", level: str = "INFO") -> None:
    """Apply `logging_config` to this process (the CLI's commands other than serve)."""
    logging.config.dictConfig(logging_config(log_format, level))


def skip_unused_record_fields() -> None:
    """Our lines show none of a LogRecord's source file, line, thread or process name: the
    standard library then need not look for them on every line (a frame walk and several
    calls; a third of a line's cost)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def _structlog_setup() -> None:
    # Our own lines go through structlog's logger (keyword fields), then to the standard
    # library's logging, whose handlers render them with `formatter`.
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            _add_request_fields,
            _add_pid,
            _TIMESTAMP,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


_structlog_setup()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger taking keyword fields: `log.info("stripe_call", operation=…, …)`."""
    return structlog.stdlib.get_logger(name)
