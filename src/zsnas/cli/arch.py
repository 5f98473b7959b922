"""``zsnas arch``: inspect architectures — canonical encoding, hash, size, FLOPs."""
from __future__ import annotations

import json
from pathlib import Path


def add_parser(sub) -> None:
    from .args import int_at_least

    p = sub.add_parser(
        "arch", help="print encoding, NB101 hash, parameter count and FLOPs of architectures",
        description="For each architecture print its canonical encoding, its NB101 module "
                    "hash, the parameter count of the PyTorch network at the configured width "
                    "and its FLOPs (MFLOPs, NAS-Bench-201 convention: conv + linear "
                    "multiply-accumulates for one 32x32 image). NB201 specs are arch strings "
                    "('|nor_conv_3x3~0|+|...|'); NB101 specs are JSON "
                    '{"adjacency": [[...]], "ops": ["input", ..., "output"]}.')
    p.add_argument("--space", required=True, choices=("nb201", "nb101"))
    p.add_argument("specs", nargs="*", metavar="SPEC", help="architectures (see above)")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="read architectures from FILE, one a line ('-' = stdin)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--width", type=int_at_least(1), default=None,
                   help="NB201: cell channels C (default 16); NB101: stem channels "
                        "(default 128, the benchmark's; GEA scored at 16)")
    p.add_argument("--classes", type=int_at_least(1), default=10,
                   help="classifier outputs (default 10)")
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


def describe(space: str, spec: str, width: int | None = None, classes: int = 10) -> dict:
    """The facts ``zsnas arch`` prints for one architecture."""
    from ..errors import UsageError
    from ..networks.flops import count_flops, count_params
    if width is not None:
        from ..spaces import get_space
        get_space(space).check_width(width)
    if space == "nb201":
        from ..networks.nb201 import build_nb201
        from ..spaces.nb201 import arch_str, is_connected, parse_arch
        try:
            ops = parse_arch(spec)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        model = build_nb201(ops, C=width or 16, num_classes=classes)
        info = {"space": "nb201", "arch": arch_str(ops), "ops": list(ops),
                "connected": is_connected(ops)}
    else:
        from ..networks.nb101 import build_nb101
        from ..spaces.nb101 import ModelSpec
        try:
            obj = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise UsageError(f"NB101 spec is not JSON ({exc.msg}): {spec!r}") from None
        if not isinstance(obj, dict) or set(obj) != {"adjacency", "ops"}:
            raise UsageError(f'NB101 spec must be {{"adjacency": [[...]], "ops": [...]}}: {spec!r}')
        cell = ModelSpec(obj["adjacency"], obj["ops"])
        if not cell.is_valid():
            reason = cell.check() if hasattr(cell, "check") else "invalid"
            raise UsageError(f"not a NAS-Bench-101 cell ({reason}): {spec}")
        model = build_nb101(cell, stem_channels=width or 128, num_classes=classes)
        info = {"space": "nb101", **cell.to_json(), "hash": cell.hash_spec()}
    model.eval()
    info["width"] = width or (16 if space == "nb201" else 128)
    info["params"] = count_params(model)
    info["mflops"] = round(count_flops(model), 5)
    return info


def run(args) -> int:
    rows = [describe(args.space, s, args.width, args.classes) for s in _read_specs(args)]
    for row in rows:
        if args.json:
            print(json.dumps(row))
        elif args.space == "nb201":
            print(f"{row['arch']}\tops={','.join(map(str, row['ops']))}\t"
                  f"params={row['params']}\tmflops={row['mflops']}")
        else:
            enc = json.dumps({"adjacency": row["adjacency"], "ops": row["ops"]},
                             separators=(",", ":"))
            print(f"{row['hash']}\t{enc}\tparams={row['params']}\tmflops={row['mflops']}")
    return 0
