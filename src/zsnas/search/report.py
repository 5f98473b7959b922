"""From a search :class:`~.ga.Trace` to the run record, and its byte-stable JSON.

Time accounting (simulated seconds, SPEC §5.5): ``train_time`` = Σ simulated
training time of every training (see :mod:`.fitness`); ``proxy_time`` = Σ
cached proxy seconds of **every** proxy call, duplicates included (GEA scored a
fresh network on every call; the cache's seconds exclude network
construction); ``search_time = train_time + proxy_time``. GEA's code
*subtracted* the proxy wall time (a sign bug, SPEC §5.5); we add it. A
history entry's ``proxy_time`` is the proxy time spent since the previous
training (cycle 0: all C initial scorings on the first entry; cycle k: the
generation's children), so Σ over the history = ``proxy_time`` and cumulative
sums give search time per training.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from ..benchmarks.schema import atomic_path


def _clean(obj):
    """JSON-ready copy: numpy scalars → Python, NaN/±inf → None, tuples → lists."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj


def _floats(values) -> list:
    """Python floats with NaN/±inf → None (fast path for long arrays)."""
    arr = np.asarray(values, dtype=np.float64)
    out = arr.tolist()
    if not np.all(np.isfinite(arr)):
        out = [v if math.isfinite(v) else None for v in out]
    return out


def first_argmax_prefix(values) -> np.ndarray:
    """best[t] = index of the first maximum of ``values[:t+1]``."""
    best = np.empty(len(values), dtype=np.int64)
    b = 0
    for t, v in enumerate(values):
        if v > values[b]:
            b = t
        best[t] = b
    return best


def _float32(values) -> list:
    """Scores as the shortest decimal that reads back as the same float32 (NaN/inf → None):
    what the guide ranked, kept small."""
    out = []
    for v in np.asarray(values, dtype=np.float32).tolist():
        out.append(float(np.format_float_scientific(np.float32(v), unique=True, trim="-"))
                   if math.isfinite(v) else None)
    return out


def batches_record(trace) -> dict | None:
    """Every scoring batch the guide ranked, columnar: batch ``k`` (0 = the C initial
    architectures, k ≥ 1 = cycle k's children) is ``ids[offsets[k]:offsets[k+1]]`` with
    ``scores`` the guide's raw scores (float32 precision)."""
    if not trace.scored:
        return None
    sizes = [len(b) for b in trace.scored]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
    ids = np.concatenate(trace.scored).astype(np.int64).tolist()
    raw = np.concatenate(trace.scored_raw) if trace.scored_raw else np.full(len(ids), np.nan)
    return {"offsets": offsets, "ids": ids, "scores": _float32(raw)}


def build_record(settings: dict, trace, evaluator, scorer, adapter) -> dict:
    """The run dict (format ``zsnas-run`` version 2; see :mod:`zsnas.search.run`)."""
    ids = np.asarray(trace.ids, dtype=np.int64)
    fit = np.asarray(trace.fitness, dtype=np.float64)
    n = ids.size
    train = evaluator.train_times(ids, trace.trials)

    batch_sums = np.zeros(len(trace.scored))
    if trace.scored and scorer is not None:
        scored = np.concatenate(trace.scored)
        seconds = scorer.seconds(scored)
        offsets = np.cumsum([0] + [len(b) for b in trace.scored[:-1]])
        batch_sums = np.add.reduceat(seconds, offsets) if scored.size else batch_sums
        n_scored = int(np.unique(scored).size)
    else:
        n_scored = 0
    batch_of = np.asarray(trace.batch_of, dtype=np.int64)
    proxy = np.zeros(n)
    mask = batch_of >= 0
    proxy[mask] = batch_sums[batch_of[mask]]

    best = first_argmax_prefix(fit)
    points = trace.n_initial - 1 + np.arange(n - trace.n_initial + 1)
    curve_ids = ids[best[points]]
    curve_acc = evaluator.report(curve_ids)
    cumulative = np.cumsum(train + proxy)
    final_k = int(best[-1])
    final_id = int(ids[final_k])
    final_acc = float(curve_acc[-1])
    accuracy = evaluator.report(ids) if n else np.zeros(0)
    history = [{"id": i, "fitness": f, "accuracy": acc, "train_time": t, "proxy_time": p,
                "score": sc, "cycle": c}
               for i, f, acc, t, p, sc, c in zip(ids.tolist(), _floats(fit), _floats(accuracy),
                                                 _floats(train), _floats(proxy),
                                                 _floats(trace.score), trace.cycle)]
    record = {
        "format": "zsnas-run",
        "version": 2,
        "settings": settings,
        "final": {"id": final_id, "encoding": adapter.encoding(final_id),
                  "fitness": fit[final_k], "accuracy": final_acc,
                  "accuracies": evaluator.accuracies(final_id), "training": final_k},
        "final_accuracy": final_acc,
        "n_scored": n_scored,
        "n_trained": int(np.unique(ids).size),
        "n_proxy_calls": trace.n_proxy_calls,
        "n_trainings": int(n),
        "curve": _floats(curve_acc),
        "curve_fitness": _floats(fit[best[points]]),
        "curve_search_time": _floats(cumulative[points]),
        "search_time": float(train.sum() + proxy.sum()),
        "train_time": float(train.sum()),
        "proxy_time": float(proxy.sum()),
        "train_time_known": bool(evaluator.time_known),
        "mutation_fallbacks": int(trace.stats["mutation_fallbacks"]),
        "mutation_redraws": int(trace.stats["mutation_redraws"]),
        "population": [int(i) for i in trace.population],
    }
    record = _clean(record)
    record["history"] = history          # already plain JSON values
    record["batches"] = batches_record(trace)
    return record


def dumps(record: dict) -> str:
    """Canonical text of a run record (sorted keys, indent 1, trailing newline)."""
    try:
        text = json.dumps(record, sort_keys=True, indent=1, allow_nan=False)
    except (TypeError, ValueError):      # numpy values or NaN: clean a copy first
        text = json.dumps(_clean(record), sort_keys=True, indent=1, allow_nan=False)
    return text + "\n"


def write_json(record: dict, path: str | os.PathLike) -> Path:
    """Write ``record`` atomically (temporary file in the target folder, then rename)."""
    path = Path(path)
    text = dumps(record)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


__all__ = ["build_record", "dumps", "first_argmax_prefix", "write_json"]
