"""Log lines an attacker cannot forge: control characters in logged values are written as escapes.

A URL path, a user name or a file name can carry CR/LF (``/x%0d%0a127.0.0.1 - admin ...``); written raw,
it starts a fake line in the access or error log. :func:`install` makes every log record escape control
characters in its arguments (the values; the format strings are the code's own), and
:class:`AccessLogger` does the same for gunicorn's access-log atoms. Text built from code rather than
requests (a traceback's frames) can be passed as :class:`Verbatim` to keep its line breaks.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Verbatim(str):
    """A logged value made by the code itself, written as it is."""


def escape_controls(value: str) -> str:
    if isinstance(value, Verbatim):
        return value
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", value)


def _escaped(value: object) -> object:
    return escape_controls(value) if isinstance(value, str) else value


def install() -> None:
    """Escape control characters in the arguments of every log record made in this process (once)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "escapes_controls", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped(value) for value in record.args)
        return record

    factory.escapes_controls = True
    logging.setLogRecordFactory(factory)


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is a runtime dependency
    _GunicornLogger = object


class AccessLogger(_GunicornLogger):
    """gunicorn's logger with every access-log value (path, method, headers) escaped."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: _escaped(value) for key, value in atoms.items()}
