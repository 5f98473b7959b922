"""``zsnas arch``: inspect architectures — canonical encoding, hash, size, FLOPs."""
from __future__ import annotations

import json
from pathlib import Path


def add_parser(sub) -> None:
    from ..spaces import space_names
    from .args import int_at_least

    p = sub.add_parser(
        "arch", help="print encoding, NB101 hash, parameter count and FLOPs of architectures",
        description="For each architecture print its canonical encoding (and NB101 module "
                    "hash), the parameter count of the PyTorch network at the configured width "
                    "with the dataset's head, and its FLOPs for one image of the dataset's "
                    "size (MFLOPs, NAS-Bench-201 convention: conv + linear "
                    "multiply-accumulates). NB201 specs are arch strings ('|nor_conv_3x3~0|+"
                    "|...|'); NB101 specs are JSON "
                    '{"adjacency": [[...]], "ops": ["input", ..., "output"]}.')
    p.add_argument("--space", required=True, choices=space_names())
    p.add_argument("specs", nargs="*", metavar="SPEC", help="architectures (see above)")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="read architectures from FILE, one a line ('-' = stdin)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--width", type=int_at_least(1), default=None,
                   help="NB201: cell channels C (default 16); NB101: stem channels "
                        "(default 128, the benchmark's; GEA scored at 16)")
    p.add_argument("--dataset", default=None,
                   help="the dataset whose head (classes) and image size to use (default: the "
                        "space's first, CIFAR-10)")
    p.add_argument("--classes", type=int_at_least(1), default=None,
                   help="classifier outputs (default: the dataset's)")
    p.set_defaults(func=run)


def _read_specs(args) -> list[str]:
    specs = list(args.specs)
    if args.from_file:
        import sys
        text = sys.stdin.read() if args.from_file == "-" else Path(args.from_file).read_text()
        specs += [line.strip() for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")]
    if not specs:
        from ..errors import UsageError
        raise UsageError("no architectures given (pass SPEC arguments or --from FILE)")
    return specs


def describe(space: str, spec: str, width: int | None = None, classes: int | None = None,
             dataset: str | None = None) -> dict:
    """The facts ``zsnas arch`` prints for one architecture (the space's ``describe``
    plus width, classes, image size, parameters and MFLOPs of its network)."""
    from ..datasets import get_dataset
    from ..errors import UsageError
    from ..networks.flops import params_and_flops
    from ..spaces import get_space
    sp = get_space(space)
    dataset = sp.check_dataset(dataset or sp.datasets[0])
    data = get_dataset(dataset)
    width = sp.default_width if width is None else sp.check_width(width)
    classes = data.num_classes if classes is None else classes
    try:
        arch = sp.parse_spec(spec)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        params, mflops = params_and_flops(sp, arch, width, classes, data.image_size)
    except ValueError as exc:
        raise UsageError(f"{spec}: {exc}") from None
    return {"space": space, **sp.describe(arch), "dataset": dataset, "width": width,
            "classes": classes, "params": params, "mflops": round(mflops, 6)}


def run(args) -> int:
    from ..spaces import get_space
    rows = [describe(args.space, s, args.width, args.classes, args.dataset)
            for s in _read_specs(args)]
    line = get_space(args.space).format_line
    for row in rows:
        print(json.dumps(row) if args.json else line(row))
    return 0
