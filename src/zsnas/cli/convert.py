"""``zsnas convert``: a benchmark source to the zsnas HDF5 schema."""
from __future__ import annotations

#: Options that only some converter kinds take: option -> (argparse dest, kinds).
_KIND_OPTIONS = {"--space": ("space", ("table",)), "--no-crc": ("no_crc", ("nb101",)),
                 "--verify-hashes": ("verify_hashes", ("nb101",)),
                 "--workers": ("workers", ("nats", "nats-sss")),
                 "--allow-missing": ("allow_missing", ("nb101", "nats", "nats-sss"))}


def add_parser(sub) -> None:
    from ..benchmarks.converters import CONVERTERS
    from ..spaces import space_names
    from .args import int_at_least

    p = sub.add_parser("convert", help="convert a benchmark source to the zsnas HDF5 schema",
                       description="; ".join(f"{c.kind}: {c.description}"
                                             for c in CONVERTERS.values())
                       + " (table columns documented in the README).")
    p.add_argument("kind", choices=tuple(CONVERTERS))
    p.add_argument("source", help="the source file or folder")
    p.add_argument("out", help="the HDF5 file to write (written atomically)")
    p.add_argument("--dataset", default="cifar10",
                   help="the dataset whose numbers to convert (default cifar10; nats and "
                        "nb201-pth: cifar10, cifar100, ImageNet16-120 — one file each)")
    p.add_argument("--space", choices=space_names(),
                   help="table: the search space (detected from the columns if omitted)")
    p.add_argument("--no-crc", action="store_true", help="nb101: skip CRC checks (faster)")
    p.add_argument("--verify-hashes", action="store_true",
                   help="nb101: recompute every module hash from its cell")
    p.add_argument("--workers", type=int_at_least(1), default=None,
                   help="nats: decompression processes (>= 1)")
    p.add_argument("--allow-missing", action="store_true",
                   help="nb101, nats: convert an incomplete source (architectures or trials "
                        "missing); the file is marked complete=False")
    p.add_argument("--synthetic", action="store_true",
                   help="flag the output as synthetic (sources written by zsnas synth are "
                        "detected automatically)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..benchmarks.converters import run_converter
    from ..benchmarks.schema import describe_file
    from ..errors import UsageError
    from .args import check_output

    for option, (dest, kinds) in _KIND_OPTIONS.items():
        value = getattr(args, dest)
        if value not in (None, False) and args.kind not in kinds:
            raise UsageError(f"{option} only applies to 'convert {' / '.join(kinds)}'")
    check_output(args.out, inputs=[args.source], option="OUT")
    from ..benchmarks.converters import get_converter
    from ..spaces import get_space
    converter = get_converter(args.kind)
    if converter.space is not None:
        get_space(converter.space).check_dataset(args.dataset)
    options = {"synthetic": args.synthetic, "dataset": args.dataset}
    if args.kind == "table":
        options["space"] = args.space
    else:
        options["progress"] = not args.no_progress
    if args.kind == "nb101":
        options.update(verify_crc=not args.no_crc, verify_hashes=args.verify_hashes,
                       allow_missing=args.allow_missing)
    elif args.kind in ("nats", "nats-sss"):
        options.update(workers=args.workers, allow_missing=args.allow_missing)
    out = run_converter(args.kind, args.source, args.out, **options)
    print(describe_file(out))
    return 0
