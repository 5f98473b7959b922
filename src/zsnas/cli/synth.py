"""``zsnas synth``: small synthetic sources in the real on-disk formats (tests, demo)."""
from __future__ import annotations

from pathlib import Path

#: The largest -n per kind (nats: the whole space).
_MAX_N = {"nb101": 423_624, "nats": 15_625, "nb201-pth": 15_625, "cifar10": 10_000,
          "cifar100": 10_000, "imagenet16": 10_000, "nats-sss": 32_768}
_DEFAULT_N = {"nb101": 200, "nats": None, "nb201-pth": 20, "cifar10": 64, "cifar100": 64,
              "imagenet16": 64, "nats-sss": None}
#: The kinds whose OUT is a folder (archives of one file per architecture).
_FOLDER_KINDS = ("nats", "nats-sss")


def add_parser(sub) -> None:
    from ..synthetic.writers import WRITERS
    from .args import int_at_least

    p = sub.add_parser("synth", help="write small synthetic sources in the real formats",
                       description="Write format-faithful benchmark sources with SYNTHETIC "
                                   "numbers (tests, demo): nb101 tfrecord, nats archive, "
                                   "nb201-pth, cifar10 archive.")
    p.add_argument("kind", choices=tuple(WRITERS))
    p.add_argument("out", help="file (nb101, nb201-pth, cifar10) or folder (nats)")
    p.add_argument("-n", "--n-archs", type=int_at_least(1), default=None,
                   help="architectures (default: nb101 200, nats all 15625, nb201-pth 20); "
                        "cifar10: images per batch (default 64)")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--tar", action="store_true",
                   help="nats, nats-sss: also pack the folder as .tar")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import UsageError
    from ..spaces.base import resolve_ref
    from ..synthetic.writers import writer_ref
    from .args import check_output

    n = args.n_archs if args.n_archs is not None else _DEFAULT_N[args.kind]
    if n is not None and n > _MAX_N[args.kind]:
        raise UsageError(f"-n {n}: at most {_MAX_N[args.kind]:,} for {args.kind}")
    if args.tar and args.kind not in _FOLDER_KINDS:
        raise UsageError("--tar only applies to 'synth nats' / 'synth nats-sss'")
    out = check_output(Path(args.out), option="OUT", folder=args.kind in _FOLDER_KINDS)
    writer = resolve_ref(writer_ref(args.kind))
    if args.kind in _FOLDER_KINDS:
        path = writer(out, n, seed=args.seed, tar=args.tar, workers=2)
    else:
        path = writer(out, n, seed=args.seed)
    print(path)
    return 0
