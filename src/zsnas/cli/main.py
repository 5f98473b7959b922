"""``zsnas`` — the command line of the pipeline.

Each sub-command lives in its own module and registers itself through
``add_parser(subparsers)``; errors that users can cause (bad input files,
failed downloads, unknown architectures) end in one line on stderr naming the
file and the problem, and exit status 2.
"""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import analyse, arch, ingest, score, search

COMMANDS = (arch, ingest, score, analyse, search)


class UserError(Exception):
    """An error to report as one line without a traceback."""


def _user_errors() -> tuple[type[BaseException], ...]:
    from ..benchmarks.convert_nb101 import ConversionError
    from ..benchmarks.download import DownloadError
    from ..benchmarks.schema import SchemaError
    from ..benchmarks.store import MissingMetricError, UnknownArchitectureError
    from ..scoring.cache import CacheError, MissingScoreError
    return (UserError, ConversionError, DownloadError, SchemaError, MissingMetricError,
            UnknownArchitectureError, CacheError, MissingScoreError, FileNotFoundError,
            ValueError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zsnas",
        description="Zero-shot-proxy-guided evolutionary NAS on NAS-Bench-101/201 (CIFAR-10).")
    parser.add_argument("--version", action="version", version=f"zsnas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except _user_errors() as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"zsnas {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"zsnas {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
