"""``zsnas merge``: join score shards and proxy groups into one cache."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("merge", help="join score shards into one cache",
                       description="Join shard caches; refuses shards whose settings, proxies, "
                                   "space, benchmark or scoring code differ, and incomplete "
                                   "shards.")
    p.add_argument("shards", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--allow-incomplete", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..scoring.cache import ProxyCache
    from ..scoring.merge import merge_caches
    from .args import check_output
    check_output(args.out, inputs=args.shards)
    out = merge_caches([Path(s) for s in args.shards], Path(args.out),
                       allow_incomplete=args.allow_incomplete)
    print(ProxyCache(out))
    return 0
