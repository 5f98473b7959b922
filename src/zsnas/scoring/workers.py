"""Several scoring processes sharing one device (``zsnas score --workers K``).

A network of these spaces is small: on a GPU one architecture at a time leaves
the device idle while Python builds the next network and launches kernels one
by one.  K worker processes, each with its own copy of the batch and its own
CUDA context on the *same* device, keep K architectures in flight; the
device's scheduler interleaves their kernels.  Nothing about a score changes:
each architecture is still built from its own seed (``arch_seed(init_seed,
id)``) on the CPU, moved to the device and scored by
:func:`zsnas.proxies.score_network` on the same batch — exactly what the
one-at-a-time loop does — so results do not depend on K or on which worker
took which architecture (tests check K = 1 and K = 2 give the same values).

Workers are started with ``spawn`` (CUDA cannot be forked), each opens the
benchmark itself and uses ``threads`` CPU threads.  The parent keeps at most
``2·K`` architectures queued, records results as they arrive, and owns every
file write (checkpoints, the output), so an interrupted run keeps its work
exactly as the one-process engine does.
"""
from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Iterable, Iterator

import numpy as np

__all__ = ["score_one", "WorkerPool"]


def score_one(space, bench, arch_id: int, *, init_seed: int, width: int, num_classes: int,
              device, x, y, proxies: list[str], shared: bool) -> dict:
    """Build architecture ``arch_id`` from its seed and score it: ``{proxy: ProxyResult}``.

    The network is built on the CPU under ``torch.manual_seed(arch_seed(init_seed,
    arch_id))`` (the global RNG is restored afterwards), moved to ``device`` and
    consumed by :func:`zsnas.proxies.score_network`.
    """
    import torch

    from ..proxies import score_network
    from .engine import arch_seed

    seed = arch_seed(init_seed, arch_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = space.build_network(bench, arch_id, width, num_classes)
    model = model.to(device).train()
    return score_network(model, x, y, proxies, arch_seed=seed, shared=shared, consume=True)


_WORKER: dict = {}


def _init_worker(benchmark: str, x: np.ndarray, y: np.ndarray, options: dict,
                 threads: int) -> None:
    import torch

    from ..benchmarks.store import Benchmark
    from ..spaces import get_space
    torch.set_num_threads(max(1, int(threads)))
    device = torch.device(options["device"])
    if device.type == "cuda":
        torch.cuda.set_device(device)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    bench = Benchmark(benchmark)
    _WORKER.update(bench=bench, space=get_space(bench.space), options=options,
                   x=torch.from_numpy(x).to(device), y=torch.from_numpy(y).to(device),
                   device=device)


def _work(k: int, arch_id: int) -> tuple[int, dict]:
    w = _WORKER
    o = w["options"]
    results = score_one(w["space"], w["bench"], arch_id, init_seed=o["init_seed"],
                        width=o["width"], num_classes=o["num_classes"], device=w["device"],
                        x=w["x"], y=w["y"], proxies=o["proxies"], shared=o["shared"])
    # plain tuples cross the process boundary
    return k, {p: (r.value, r.seconds, r.error) for p, r in results.items()}


class WorkerPool:
    """``workers`` processes scoring architectures of the benchmark file ``benchmark``.

    ``options``: device (string), init_seed, width, num_classes, proxies, shared.
    Use as a context manager; :meth:`map` yields ``(k, {proxy: ProxyResult})``
    in completion order for the ``(k, arch_id)`` pairs given.
    """

    def __init__(self, workers: int, benchmark, x, y, options: dict, threads: int = 1):
        self.workers = int(workers)
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=mp.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(benchmark), x.detach().cpu().numpy(), y.detach().cpu().numpy(),
                      dict(options), int(threads)))

    def map(self, tasks: Iterable[tuple[int, int]]) -> Iterator[tuple[int, dict]]:
        from ..proxies import ProxyResult
        tasks = iter(tasks)
        pending = set()
        limit = 2 * self.workers

        def fill() -> None:
            for k, arch_id in tasks:
                pending.add(self._executor.submit(_work, int(k), int(arch_id)))
                if len(pending) >= limit:
                    return

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                k, raw = future.result()
                yield k, {p: ProxyResult(*v) for p, v in raw.items()}
            fill()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
