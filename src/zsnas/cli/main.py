"""``zsnas`` — the command line of the pipeline.

Each sub-command is one module of :mod:`zsnas.cli` with ``add_parser(subparsers)``;
they are imported by name (:data:`COMMANDS`) so that no stage's code
fingerprint (:mod:`zsnas.codedeps`) holds another stage's command.

Errors: a :class:`~zsnas.errors.ZsnasError` (bad input, bad option, files that
do not belong together) or an :class:`OSError` about a path ends in **one
line** on stderr naming the file and the problem, exit status 2, and no
partial output. Any other exception is a bug: its traceback is shown and the
exit status is 1.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..errors import ZsnasError

#: Sub-command modules of zsnas.cli, in help order.
COMMANDS = ("arch", "download", "convert", "synth", "score", "merge", "search", "analyse",
            "deps")

#: Kept for callers of the earlier API: a UsageError.
from ..errors import UsageError as UserError  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zsnas",
        description="Zero-shot-proxy-guided evolutionary NAS on NAS-Bench-101/201.")
    parser.add_argument("--version", action="version", version=f"zsnas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").add_parser(sub)
    return parser


def _path_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    what = exc.strerror or str(exc)
    return f"{where}: {what}" if where else what


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ZsnasError as exc:
        msg = exc.args[0] if exc.args else type(exc).__name__
        print(f"zsnas {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"zsnas {args.command}: error: {_path_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"zsnas {args.command}: interrupted", file=sys.stderr)
        return 130


__all__ = ["COMMANDS", "UserError", "build_parser", "main"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
