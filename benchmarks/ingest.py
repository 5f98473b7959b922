"""Ingest benchmark: convert full-size, format-faithful synthetic sources and time it.

Generates (once, cached under --workdir) a synthetic NB101 tfrecord at the real
size (423,624 cells x 4 budgets x 3 trials = 5,083,488 records, ~2 GB) and a
synthetic NATS-Bench tss simple archive with all 15,625 architectures (the real
key structure, all four datasets), then runs ``zsnas convert`` on each in a
child process and prints wall time and peak resident memory (sum over the
process tree, sampled from /proc every 50 ms).

    python benchmarks/ingest.py [--workdir benchmarks/.cache] [--nb101-archs N]

Targets (2-core machine): NB101 <= 5 min and <= 2 GB peak RSS; NB201 <= 1 min.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            rss[int(entry)] = int(fields[21]) * PAGE
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def measure(cmd: list[str]) -> tuple[float, int, int]:
    """Run ``cmd``; return (wall seconds, peak tree RSS bytes, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    rc = proc.wait()
    done.set()
    thread.join()
    return time.perf_counter() - t0, peak, rc


def _write_chunk(args):
    path, start, stop, seed, n_archs = args
    from zsnas.benchmarks.tfrecord import frame
    from zsnas.synthetic.nb101 import cell_records, sample_cells
    import hashlib
    pool = [spec for _, spec in sample_cells(2000, seed)]
    with open(path, "wb", buffering=1 << 22) as fh:
        for i in range(start, stop):
            h = hashlib.md5(f"synthetic-nb101-{seed}-{i}".encode()).hexdigest()
            for payload in cell_records(h, pool[i % len(pool)], i, seed, n_archs=n_archs):
                fh.write(frame(payload))
    return path


def make_nb101(path: Path, n_archs: int, workers: int = 2) -> Path:
    """Same bytes as ``write_nb101_tfrecord(path, n_archs, real_hashes=False)``, in parallel."""
    if path.exists():
        return path
    bounds = [round(n_archs * k / (4 * workers)) for k in range(4 * workers + 1)]
    parts = [(str(path) + f".chunk{k}", bounds[k], bounds[k + 1], 0, n_archs)
             for k in range(len(bounds) - 1)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_write_chunk, parts))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        for part, *_ in parts:
            with open(part, "rb") as fh:
                while block := fh.read(1 << 24):
                    out.write(block)
            os.unlink(part)
    os.replace(tmp, path)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default=str(Path(__file__).parent / ".cache"))
    ap.add_argument("--nb101-archs", type=int, default=423_624)
    ap.add_argument("--skip", choices=("nb101", "nb201"), action="append", default=[])
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    if "nb101" not in args.skip:
        src = work / f"nb101_synthetic_{args.nb101_archs}.tfrecord"
        t0 = time.perf_counter()
        make_nb101(src, args.nb101_archs)
        print(f"[nb101] source ready: {src} ({src.stat().st_size / 2**30:.2f} GiB, "
              f"{time.perf_counter() - t0:.0f} s to generate/cache)", flush=True)
        out = work / "nb101.h5"
        wall, peak, rc = measure([sys.executable, "-m", "zsnas.cli.main", "convert", "nb101",
                                  str(src), str(out), "--no-progress"])
        rows.append(("NB101 tfrecord -> HDF5", f"{args.nb101_archs} archs x 4 x 3", wall, peak, rc))
    if "nb201" not in args.skip:
        from zsnas.synthetic.nb201 import write_nats_archive
        t0 = time.perf_counter()
        src = write_nats_archive(work / "nats", None, workers=2)
        print(f"[nb201] source ready: {src} ({time.perf_counter() - t0:.0f} s to "
              "generate/cache)", flush=True)
        out = work / "nb201.h5"
        wall, peak, rc = measure([sys.executable, "-m", "zsnas.cli.main", "convert", "nats",
                                  str(src), str(out), "--no-progress"])
        rows.append(("NATS tss simple archive -> HDF5", "15625 archs", wall, peak, rc))
    print()
    print(f"{'conversion':34s} {'size':24s} {'wall s':>8s} {'peak RSS MiB':>13s} rc")
    for name, size, wall, peak, rc in rows:
        print(f"{name:34s} {size:24s} {wall:8.1f} {peak / 2**20:13.0f} {rc}")
    return max((r[4] for r in rows), default=0)


if __name__ == "__main__":
    sys.exit(main())
