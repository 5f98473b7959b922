"""The errors a user can cause, as one family.

The ``zsnas`` command reports any :class:`ZsnasError` (and an :class:`OSError`
about a path: missing, unreadable or unwritable) as **one line** on stderr,
``zsnas <command>: error: <message>``, and exits with status 2. Anything else
is a bug: the command shows its traceback and exits with status 1, so an
internal error is never disguised as a user error.

Every message names the file (or option) and the problem. The classes also
derive from the matching built-in exception (``ValueError``, ``LookupError``,
``FileNotFoundError``) so library callers can catch them either way.
"""
from __future__ import annotations


class ZsnasError(Exception):
    """Base of every error a user can cause (reported in one line, exit 2)."""


class UsageError(ZsnasError, ValueError):
    """A bad option value or combination (names the option)."""


class InputError(ZsnasError, ValueError):
    """A file whose content is malformed, corrupted or out of range (names the file)."""


class MismatchError(InputError):
    """Files that do not belong together: a cache scored on another benchmark, runs
    with different settings pooled in one cell, shards of different scorings."""


class ConversionError(InputError):
    """A benchmark source that cannot be converted (names the file and the problem)."""


class InputMissingError(ZsnasError, FileNotFoundError):
    """A path that does not exist (names it)."""


__all__ = ["ConversionError", "InputError", "InputMissingError", "MismatchError", "UsageError", "ZsnasError"]
