"""User-facing errors.

A `ProctorError` is a user mistake or an unusable input (a malformed config, a missing column, a data set with one
class). The CLI prints its message on one line and exits with `exit_code`; it never shows a traceback for these.
"""

from __future__ import annotations


class ProctorError(Exception):
    """An error the user can fix; its message names the file, line or field at fault."""

    exit_code: int = 2


class DataError(ProctorError):
    """A data set is missing, malformed, lacks a column, is empty or has a single class."""


class ConfigError(ProctorError):
    """An experiment spec or CLI option is invalid."""


class ModelError(ProctorError):
    """A model could not be found or loaded."""
