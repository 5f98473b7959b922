"""``zsnas download``: benchmark files and CIFAR-10, checksummed."""
from __future__ import annotations


def add_parser(sub) -> None:
    from ..benchmarks.sources import SOURCES

    p = sub.add_parser("download", help="download benchmark files and CIFAR-10 (checksummed)",
                       description="Download with a progress bar, resume a partial file, "
                                   "verify its checksum, then rename it into place. Sources: "
                                   + "; ".join(f"{k}: {s.filename}" for k, s in SOURCES.items()))
    p.add_argument("sources", nargs="+", choices=sorted(SOURCES), metavar="SOURCE",
                   help=f"one or more of: {', '.join(sorted(SOURCES))}")
    p.add_argument("--dest", default="data", help="target folder (default: data)")
    p.add_argument("--url", help="override the source URL (a mirror, or file://)")
    p.add_argument("--force", action="store_true", help="download again even if present")
    p.add_argument("--extract", action="store_true",
                   help="also extract the CIFAR-10 / CIFAR-100 archives into --dest")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..benchmarks.download import ARCHIVES, download, extract_dataset_archive
    from .args import check_output
    check_output(args.dest, option="--dest", folder=True)
    progress = not args.no_progress
    for name in args.sources:
        path = download(name, args.dest, url=args.url, progress=progress, force=args.force)
        print(path)
        if args.extract and name in ARCHIVES:
            print(extract_dataset_archive(path, args.dest, name))
    return 0
