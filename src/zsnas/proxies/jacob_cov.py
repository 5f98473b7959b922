"""jacob_cov (Mellor et al., "Neural Architecture Search without Training", arXiv v1 2020,
the Jacobian-covariance score; as a NAS proxy: Abdelfattah et al., ICLR 2021, foresight).

    J   = ∂(Σ_c logits_c)/∂x, one row per sample (N × C·H·W; backward of ones
          through the logits, train mode, so samples interact through BN)
    C   = corrcoef(J)                  (N × N correlation of the rows)
    λ_i = eigenvalues of C,  k = 1e-5
    jacob_cov = −Σ_i [ log(λ_i + k) + 1/(λ_i + k) ]

**The log term.**  The seed paper's formula drops the log: it writes the
score as −Σ (λ_i + k)⁻¹.  The reference code (foresight's ``eval_score``, and
NASLib's ``jacov``) computes the formula above *with* ``log(λ_i + k)``, and we
follow the reference.  The log-free variant is available as
:func:`jacob_cov_score` ``(..., with_log=False)`` but is not registered.

Eigenvalues come from ``numpy.linalg.eigvalsh`` (C is symmetric) instead of
foresight's ``eig``; results may differ in the last digits (SPEC §1.5).  A
non-finite C (a zero or constant Jacobian row, e.g. an NB201 cell with no
input→output path), a failed decomposition, or eigenvalues below −k give NaN,
which is returned as the value (never raised).  Higher = better.
"""
from __future__ import annotations

import warnings

import numpy as np

from .registry import register

K = 1e-5


def jacob_cov_score(jacobian, k: float = K, with_log: bool = True) -> float:
    """Score of an N×D (or N×…) input Jacobian; NaN when it is degenerate."""
    jac = np.asarray(jacobian, dtype=np.float64).reshape(len(jacobian), -1)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        corr = np.atleast_2d(np.corrcoef(jac))
        if not np.all(np.isfinite(corr)):
            return float("nan")
        try:
            lam = np.linalg.eigvalsh(corr)
        except np.linalg.LinAlgError:
            return float("nan")
        terms = 1.0 / (lam + k)
        if with_log:
            terms = np.log(lam + k) + terms
        return float(-np.sum(terms))


@register("jacob_cov", group="forward", needs=("input_jacobian",), higher_is_better=True, version="1")
def jacob_cov(state) -> float:
    """jacob_cov = −Σ_i[log(λ_i+k) + 1/(λ_i+k)], λ = eig(corrcoef(∂Σlogits/∂x)), k = 1e-5.

    Jacobian covariance of Mellor et al. (NASWOT arXiv v1, 2020) as computed by foresight
    (Abdelfattah et al., ICLR 2021).  The seed paper's formula drops the log; we follow the
    reference code, which keeps it.  Degenerate Jacobians give NaN (returned, not raised).
    """
    return jacob_cov_score(state.input_jacobian.cpu().numpy())
