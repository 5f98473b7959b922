"""Argument types and output checks shared by the commands (validated before any work)."""
from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from ..errors import UsageError


def int_at_least(low: int, high: int | None = None):
    """An argparse ``type``: an integer >= ``low`` (and <= ``high``); argparse names the
    option in its error ("argument --seed: …")."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"in {low}..{high}"
            raise argparse.ArgumentTypeError(f"must be an integer {bound}, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


_DEVICE = re.compile(r"^(cpu|auto|mps|cuda(:\d+)?)$")


def device(text: str) -> str:
    """``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``."""
    if not _DEVICE.match(text):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; expected cpu, cuda, cuda:N, "
                                         "mps or auto")
    return text


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def check_output(path, *, inputs=(), option: str = "--out", folder: bool = False) -> Path:
    """Refuse an output that is one of the inputs, that has the wrong kind (a folder
    where a file is written, or the reverse), or whose location cannot be written —
    before any work is done or any file created."""
    path = Path(path)
    for item in inputs:
        if item is not None and _same(path, Path(item)):
            raise UsageError(f"{option} {path}: is also an input of this command; choose "
                             "another output path (nothing was written)")
    if folder:
        if path.exists() and not path.is_dir():
            raise UsageError(f"{option} {path}: exists and is not a folder")
    elif path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; give a file name")
    ancestor = path if folder and path.exists() else path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{option} {path}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: {ancestor} is not writable")
    return path


__all__ = ["check_output", "device", "int_at_least", "nonnegative_float"]
