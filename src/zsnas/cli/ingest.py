"""``zsnas download``, ``zsnas convert`` and ``zsnas synth``: get the benchmarks into HDF5."""
from __future__ import annotations

from pathlib import Path


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
                   help="also extract the CIFAR-10 archive into --dest")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_download)

    p = sub.add_parser("convert", help="convert a benchmark source to the zsnas HDF5 schema",
                       description="nb101: NAS-Bench-101 tfrecord; nats: NATS-Bench tss simple "
                                   "archive (folder or .tar); nb201-pth: NAS-Bench-201 .pth; "
                                   "table: CSV/Parquet table (columns documented in README).")
    p.add_argument("kind", choices=("nb101", "nats", "nb201-pth", "table"))
    p.add_argument("source", help="the source file or folder")
    p.add_argument("out", help="the HDF5 file to write (written atomically)")
    p.add_argument("--space", choices=("nb201", "nb101"),
                   help="table: the search space (detected from the columns if omitted)")
    p.add_argument("--no-crc", action="store_true", help="nb101: skip CRC checks (faster)")
    p.add_argument("--verify-hashes", action="store_true",
                   help="nb101: recompute every module hash from its cell")
    p.add_argument("--workers", type=int, default=None, help="nats: decompression processes")
    p.add_argument("--allow-missing", action="store_true",
                   help="nats: convert the architecture files present (partial archive)")
    p.add_argument("--synthetic", action="store_true",
                   help="flag the output as synthetic (sources written by zsnas synth are "
                        "detected automatically)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_convert)

    p = sub.add_parser("synth", help="write small synthetic sources in the real formats",
                       description="Write format-faithful benchmark sources with SYNTHETIC "
                                   "numbers (tests, demo): nb101 tfrecord, nats archive, "
                                   "nb201-pth, cifar10 archive.")
    p.add_argument("kind", choices=("nb101", "nats", "nb201-pth", "cifar10"))
    p.add_argument("out", help="file (nb101, nb201-pth, cifar10) or folder (nats)")
    p.add_argument("-n", "--n-archs", type=int, default=None,
                   help="architectures (default: nb101 200, nats all 15625, nb201-pth 20); "
                        "cifar10: images per batch (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tar", action="store_true", help="nats: also pack the folder as .tar")
    p.set_defaults(func=run_synth)


def run_download(args) -> int:
    from ..benchmarks.download import download, extract_cifar10
    progress = not args.no_progress
    for name in args.sources:
        path = download(name, args.dest, url=args.url, progress=progress, force=args.force)
        print(path)
        if args.extract and name == "cifar10":
            print(extract_cifar10(path, args.dest))
    return 0


def run_convert(args) -> int:
    from ..benchmarks import convert_nb101, convert_nb201, convert_table
    progress = not args.no_progress
    if args.kind != "table" and args.space:
        from .main import UserError
        raise UserError("--space is only for 'convert table'")
    if args.kind == "nb101":
        out = convert_nb101.convert_nb101(args.source, args.out, verify_crc=not args.no_crc,
                                          verify_hashes=args.verify_hashes,
                                          synthetic=args.synthetic, progress=progress)
    elif args.kind == "nats":
        out = convert_nb201.convert_nats(args.source, args.out, workers=args.workers,
                                         synthetic=args.synthetic, progress=progress,
                                         allow_missing=args.allow_missing)
    elif args.kind == "nb201-pth":
        out = convert_nb201.convert_nb201_pth(args.source, args.out, synthetic=args.synthetic,
                                              progress=progress)
    else:
        out = convert_table.convert_table(args.source, args.out, space=args.space,
                                          synthetic=args.synthetic)
    from ..benchmarks.store import Benchmark
    print(Benchmark(out))
    return 0


def run_synth(args) -> int:
    out = Path(args.out)
    if args.kind == "nb101":
        from ..synthetic.nb101 import write_nb101_tfrecord
        path = write_nb101_tfrecord(out, args.n_archs or 200, seed=args.seed)
    elif args.kind == "nats":
        from ..synthetic.nb201 import write_nats_archive
        path = write_nats_archive(out, args.n_archs, seed=args.seed, tar=args.tar, workers=2)
    elif args.kind == "nb201-pth":
        from ..synthetic.nb201 import write_nb201_pth
        path = write_nb201_pth(out, args.n_archs or 20, seed=args.seed)
    else:
        from ..synthetic.cifar10 import write_cifar10_archive
        path = write_cifar10_archive(out, args.n_archs or 64, seed=args.seed)
    print(path)
    return 0
