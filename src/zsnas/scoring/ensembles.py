"""Ensembles: guides computed from cached proxy scores by rank aggregation, no rescoring.

An **ensemble** is a name, a tuple of *member* proxies (cache columns) and an
aggregation *method*.  Its score is a column derived from the members' columns
of a :class:`~zsnas.scoring.cache.ProxyCache` over every cached architecture;
:meth:`ProxyCache.add_ensemble` adds it so that the search
(:class:`~zsnas.search.scorers.CacheScorer`) and the analysis (proxy quality,
anytime curves) treat it like any proxy.  Scores are higher = better.

Ranks.  Each member's values are oriented (higher = better, the member's
``higher_is_better``), non-finite values become −∞ (they rank last, as in the
search), and ``r_m = scipy.stats.rankdata(·, "average")`` over the n cached
architectures (1 = worst, n = best; ties share their mean rank).

Methods (:data:`METHODS`):

``mean_rank``
    s(a) = (1/M) Σ_m r_m(a) / n.  Equal in order to the sum of ranks that TE-NAS
    (Chen et al., ICLR 2021) uses to combine its NTK condition number and its
    linear-region count.
``log_rank``
    s(a) = Σ_m log(r_m(a) / n): AZ-NAS's non-linear rank aggregation (Lee & Ham,
    CVPR 2024, eq. 9; reference ``cvlab-yonsei/AZ-NAS``), which punishes an
    architecture that is poor on any one member.
``vote``
    Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021),
    §5: architecture a beats b when a strict majority of the members rank a above
    b.  The paper uses the vote to compare pairs; a guide needs one score per
    architecture, so s(a) is a's Copeland score: the fraction of the reference
    architectures it beats by majority.  The reference set is every cached
    architecture when n ≤ :data:`VOTE_EXACT_MAX` (NB201: exact), otherwise
    :data:`VOTE_SAMPLE` architectures drawn without replacement by a generator
    seeded with :data:`VOTE_SEED` (NB101's 423,624: the fraction's standard
    error is ≤ 0.5/√8192 ≈ 0.006).  Where the candidates the GA compares have a
    majority winner among themselves, the highest Copeland score usually, not
    always, picks it (a pairwise majority need not be transitive).

Presets (:data:`PRESETS`): ``vote`` = vote of synflow, jacob_cov, snip (the
paper's), ``te_nas`` = mean_rank of te_nas_ntk, te_nas_lr, ``az_nas`` = log_rank
of az_expressivity, az_progressivity, az_trainability, flops (AZ-NAS's four:
its complexity component is the FLOPs).

Status: an ensemble's entry is pending where a member's is pending, failed
(``error``, message naming the member) where a member failed, else ok —
a member's non-finite value only ranks last.  Seconds: the sum of the members'
(the cost of computing all of them).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import UsageError

__all__ = [
    "METHODS",
    "PRESETS",
    "VOTE_EXACT_MAX",
    "VOTE_SAMPLE",
    "VOTE_SEED",
    "Ensemble",
    "ensemble_columns",
    "from_config",
    "member_ranks",
    "parse_ensemble",
    "resolve_ensemble",
]

VOTE_EXACT_MAX = 20_000
VOTE_SAMPLE = 8_192
VOTE_SEED = 0x707E
_CHUNK = 256


@dataclass(frozen=True)
class Ensemble:
    """One ensemble: ``name`` (its column), ``members`` (proxies) and ``method``."""

    name: str
    members: tuple[str, ...]
    method: str = "mean_rank"

    def __post_init__(self):
        if self.method not in METHODS:
            raise UsageError(f"ensemble {self.name!r}: unknown method {self.method!r}; "
                             f"known: {', '.join(METHODS)}")
        if len(self.members) < 2:
            raise UsageError(f"ensemble {self.name!r} needs at least two members, got "
                             f"{list(self.members)}")
        if len(set(self.members)) != len(self.members):
            raise UsageError(f"ensemble {self.name!r} lists a member twice: {list(self.members)}")
        if self.name in self.members:
            raise UsageError(f"ensemble {self.name!r} cannot be its own member")

    @property
    def spec(self) -> str:
        """``METHOD:m1,m2,…``, the form :func:`parse_ensemble` reads (``zsnas search --ensemble``)."""
        return f"{self.method}:{','.join(self.members)}"

    def as_dict(self) -> dict:
        return {"name": self.name, "method": self.method, "members": list(self.members)}


def member_ranks(values: np.ndarray) -> np.ndarray:
    """``rankdata(values, "average")`` with non-finite values as −∞ (ranked last, tied)."""
    from scipy.stats import rankdata
    v = np.array(values, dtype=np.float64)
    v[~np.isfinite(v)] = -np.inf
    return rankdata(v, method="average")


def _mean_rank(ranks: np.ndarray, n: int) -> np.ndarray:
    return ranks.mean(axis=0) / n


def _log_rank(ranks: np.ndarray, n: int) -> np.ndarray:
    return np.log(ranks / n).sum(axis=0)


def _vote(ranks: np.ndarray, n: int) -> np.ndarray:
    m = ranks.shape[0]
    if n <= VOTE_EXACT_MAX:
        ref = np.arange(n)
    else:
        ref = np.sort(np.random.default_rng(VOTE_SEED).choice(n, VOTE_SAMPLE, replace=False))
    ref_ranks = ranks[:, ref]
    wins = np.empty(n, dtype=np.float64)
    for start in range(0, n, _CHUNK):
        block = ranks[:, start:start + _CHUNK]
        votes = np.zeros((block.shape[1], ref.size), dtype=np.int16)
        for k in range(m):
            votes += block[k][:, None] > ref_ranks[k][None, :]
        wins[start:start + _CHUNK] = (2 * votes > m).sum(axis=1)
    return wins / ref.size


#: Aggregation methods: ``fn(ranks (M × n), n) -> scores (n,)``, higher = better.
METHODS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "mean_rank": _mean_rank,
    "log_rank": _log_rank,
    "vote": _vote,
}

#: Ensembles available by name without configuration.
PRESETS: dict[str, Ensemble] = {
    "vote": Ensemble("vote", ("synflow", "jacob_cov", "snip"), "vote"),
    "te_nas": Ensemble("te_nas", ("te_nas_ntk", "te_nas_lr"), "mean_rank"),
    "az_nas": Ensemble("az_nas", ("az_expressivity", "az_progressivity", "az_trainability",
                                  "flops"), "log_rank"),
}


def parse_ensemble(name: str, spec: str) -> Ensemble:
    """``Ensemble`` from ``"METHOD:m1,m2,…"`` (or ``"m1,m2,…"``: the preset's method when
    ``name`` is a preset, else mean_rank)."""
    method, sep, members = spec.partition(":")
    if not sep:
        method, members = default_method(name), spec
    names = tuple(m.strip() for m in members.split(",") if m.strip())
    return Ensemble(name, names, method.strip())


def default_method(name: str) -> str:
    return PRESETS[name].method if name in PRESETS else "mean_rank"


def from_config(name: str, value) -> Ensemble:
    """An ensemble from the study config: ``[m1, m2, …]`` or ``{members: [...], method: M}``."""
    if isinstance(value, dict):
        return Ensemble(name, tuple(value["members"]), value.get("method", default_method(name)))
    return Ensemble(name, tuple(value), default_method(name))


def resolve_ensemble(name: str, spec: str | None = None) -> Ensemble | None:
    """The ensemble ``name`` means: ``spec`` parsed when given, else the preset, else None."""
    if spec:
        return parse_ensemble(name, spec)
    return PRESETS.get(name)


def ensemble_columns(cache, ensemble: Ensemble):
    """(scores, seconds, status, messages) of ``ensemble`` over every row of ``cache``.

    Raises :class:`UsageError` naming the cache when a member is not one of its proxies.
    """
    from .cache import ERROR, OK, PENDING
    missing = [m for m in ensemble.members if m not in cache.proxies]
    if missing:
        raise UsageError(f"{cache.path}: ensemble {ensemble.name!r} needs "
                         f"{', '.join(missing)}, which this cache does not hold (it holds "
                         f"{', '.join(cache.proxies)})")
    n = cache.n
    ranks = np.empty((len(ensemble.members), n), dtype=np.float64)
    status = np.full(n, OK, dtype=np.int8)
    messages = [""] * n
    seconds = np.zeros(n, dtype=np.float64)
    for k, member in enumerate(ensemble.members):
        _, raw, st = cache.all_scores(member)
        ranks[k] = member_ranks(cache.oriented(raw, member))
        seconds += cache.all_seconds(member)
        for row in np.flatnonzero(st == ERROR):
            if status[row] != PENDING:
                status[row] = ERROR
                messages[row] = messages[row] or f"member {member} failed: " \
                                                 f"{cache.messages(member)[row]}"
        status[st == PENDING] = PENDING
    scores = METHODS[ensemble.method](ranks, n) if n else np.zeros(0)
    scores = np.asarray(scores, dtype=np.float64)
    scores[status == PENDING] = np.nan
    for row in np.flatnonzero(status == PENDING):
        messages[row] = ""
    return scores, seconds, status, messages
