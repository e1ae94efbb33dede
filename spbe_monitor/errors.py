"""The exception tree; each leaf maps to one CLI exit code.

    SpbeError                 exit 1  (a failure: the thing could not be done)
    ├── BadInput              exit 2  (the user's input is wrong; nothing was written)
    │   ├── ConfigError       exit 2  (config files invalid; carries every error at once)
    │   └── NotFound          exit 2  (no such outage, window, token; HTTP 404)
    └── Refused               exit 3  (authorisation, eselon or gate said no)
"""

from __future__ import annotations


class SpbeError(Exception):
    exit_code = 1


class BadInput(SpbeError):
    exit_code = 2


class ConfigError(BadInput):
    """All problems found in the configuration, each already `file:line: field: message`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class NotFound(BadInput):
    pass


class Refused(SpbeError):
    exit_code = 3


def first_line(exc: BaseException) -> str:
    """An exception's first line (a driver's own message when it wraps one), for logs and
    error messages that must stay one line."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
