"""``zsnas score``: proxy scores of one shard of a benchmark into an HDF5 cache."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    from .args import device, int_at_least, nonnegative_float

    p = sub.add_parser(
        "score", help="score a shard of a benchmark's architectures with zero-cost proxies",
        description="Score every architecture of shard I/N (strided slices of the sorted ids) "
                    "with the requested proxies on one fixed CIFAR-10 minibatch; weights are "
                    "initialised from a seed derived from (--init-seed, architecture id). "
                    "A rerun resumes the output file; outputs are written atomically.")
    p.add_argument("--benchmark", required=True, help="converted benchmark (HDF5)")
    p.add_argument("--data", required=True,
                   help="the benchmark dataset's images: its archive or folder (CIFAR-10 / "
                        "CIFAR-100 python archive, ImageNet16 folder)")
    p.add_argument("--proxies", default="all",
                   help="'all' (the six), 'baselines', or a comma list (default: all)")
    p.add_argument("--shard", default="0/1", help="I/N: the I-th of N disjoint slices")
    p.add_argument("--ids", help="score only these architecture ids (file, one a line)")
    p.add_argument("--batch-size", type=int_at_least(1), default=64)
    p.add_argument("--data-seed", type=int_at_least(0), default=0, help="seed of the batch draw")
    p.add_argument("--init-seed", type=int_at_least(0), default=0, help="global weight-init seed")
    p.add_argument("--normalisation", default="default",
                   help="the dataset's normalisation: default (CIFAR-10: foresight; others: "
                        "nats), foresight, nats, nb201 (= nats), nb101")
    p.add_argument("--augmentation", default="flip-crop", choices=("none", "flip-crop"))
    p.add_argument("--split-file", help="NB201 split JSON: draw the batch from its 'train' list")
    p.add_argument("--width", type=int_at_least(1), default=None,
                   help="NB201 cell channels (default 16) / NB101 stem channels (default 128, "
                        ">= 5; GEA scored at 16)")
    p.add_argument("--classes", type=int_at_least(2), default=None,
                   help="classifier outputs (>= 2; default: the dataset's classes)")
    p.add_argument("--device", type=device, default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    p.add_argument("--no-shared", action="store_true",
                   help="one pass per proxy (reference loop) instead of shared passes")
    p.add_argument("--workers", type=int_at_least(1), default=1,
                   help="scoring processes sharing the device (several architectures in "
                        "flight on one GPU; same scores as 1)")
    p.add_argument("--checkpoint-seconds", type=nonnegative_float, default=60.0,
                   help="seconds between checkpoints to <out>.partial (default 60; 0 = after every architecture)")
    p.add_argument("--out", required=True, help="the shard's cache file (HDF5)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    import signal

    from ..scoring.cache import ProxyCache
    from ..scoring.data import BatchSettings
    from ..scoring.engine import ScoreJob, parse_shard, read_ids_file, score_shard
    from .args import check_output

    check_output(args.out, inputs=[args.benchmark, args.data, args.ids, args.split_file])

    def terminate(signum, frame):  # SLURM / snakemake stop: checkpoint, then exit
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, terminate)
    job = ScoreJob(
        benchmark=Path(args.benchmark), data=Path(args.data), out=Path(args.out),
        proxies=args.proxies, shard=parse_shard(args.shard),
        ids=read_ids_file(args.ids) if args.ids else None,
        batch=BatchSettings(args.batch_size, args.data_seed, args.normalisation,
                            args.augmentation, args.split_file),
        init_seed=args.init_seed, width=args.width, num_classes=args.classes,
        device=args.device, shared=not args.no_shared, workers=args.workers,
        checkpoint_seconds=args.checkpoint_seconds, progress=not args.no_progress)
    out = score_shard(job)
    print(ProxyCache(out))
    return 0
