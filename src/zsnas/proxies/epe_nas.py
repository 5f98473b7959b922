"""epe_nas (Lopes, Alirezazadeh & Alexandre, "EPE-NAS: Efficient Performance Estimation Without
Training for Neural Architecture Search", ICANN 2021; reference: NASLib
``naslib/predictors/utils/pruners/measures/epe_nas.py``, itself taken from the authors'
``VascoLopes/EPE-NAS`` ``search.py``).

    J      = ∂(Σ_c logits_c)/∂x, one row per sample (N × 3·H·W; backward of ones
             through the logits, train mode -- the shared pass's ``input_jacobian``)
    C_t    = corrcoef(rows of J whose label is t)      (N_t × N_t, per class t present)
    e_t    = Σ_{i,j} log(|C_t[i, j]| + k),   k = 1e-5
    n_cls  = number of logits (the network's output width, NASLib ``y.shape[-1]``)
    score  = Σ_t |e_t|                                   if n_cls ≤ 100
             Σ_t Σ_t' |e_t/N_t − e_t'/N_t'| / T          if n_cls > 100

(T = number of classes kept).  CIFAR-10 heads have 10 logits, so the first
branch is the one that runs in this project; the second is implemented for
completeness and tested on synthetic Jacobians.

Reference semantics followed (NASLib):

* **Number of classes**: ``n_cls`` is the width of the logits, not the number
  of distinct labels in the batch (an older copy of the measure used
  ``len(np.unique(labels))``; both are ≤ 100 for CIFAR-10).
* **Classes with one sample**: the class's "matrix" is a single row and
  ``np.corrcoef`` of one row is the scalar 1.0 (NaN for a constant row), so
  with ``n_cls ≤ 100`` the class contributes ``|log(1 + k)|`` ≈ 1e-5.  With
  ``n_cls > 100`` the reference's ``s /= len(corrs)`` raises on that 0-d
  array and its ``except`` skips the class: singletons are dropped there.
* **Normalisation**: none in the ≤ 100 branch; in the > 100 branch e_t is
  divided by N_t (``len(corrs)``, the number of rows, not N_t²) and the double
  sum by the number of classes kept (0.0 if none is kept).
* **NaN**: a zero-variance Jacobian row (e.g. an NB201 cell with no
  input→output path: every row is 0) makes its class's correlations NaN;
  numpy only warns, the reference does not skip the class, and the NaN
  propagates to the score.  We return that NaN (never raise); NASLib's
  ``ZeroCost`` wrapper would map it to −1e8.
* Correlations are clipped to [−1, 1] like ``np.corrcoef``; computed in
  float64 (numpy does the same).

Deviations: the Jacobian comes from the shared pass, i.e. from a clean input
tensor per network (the reference reuses one input tensor, so its ``x.grad``
could accumulate across measures run before it -- not a semantic we keep).
Per-class correlations are computed for all classes at once (one N×N
correlation matrix, per-class block sums by a one-hot product) instead of one
``corrcoef`` per class; the values are the same up to rounding.

Cost: shared forward + the input-Jacobian backward (shared with jacob_cov),
plus an N×D by D×N product.  Higher = better (the reference's convention).
"""
from __future__ import annotations

import math

import torch

from .registry import register

K = 1e-5
#: Above this many logits the reference switches to the pairwise-difference formula.
MANY_CLASSES = 100


def _row_correlations(jac: torch.Tensor) -> torch.Tensor:
    """N×N Pearson correlations of the rows of ``jac`` (float64, clipped to [−1, 1]; NaN rows
    for constant rows, like ``np.corrcoef``)."""
    centred = jac - jac.mean(dim=1, keepdim=True)
    z = centred / centred.norm(dim=1, keepdim=True)
    return (z @ z.T).clamp(-1.0, 1.0)


def epe_nas_score(jacobian, labels, n_classes: int, k: float = K) -> float:
    """EPE-NAS score of an N×… input Jacobian with integer ``labels`` (NASLib semantics)."""
    jac = torch.as_tensor(jacobian)
    jac = jac.reshape(jac.shape[0], -1).to(torch.float64)
    labels = torch.as_tensor(labels, device=jac.device).reshape(-1)
    if jac.shape[0] != labels.shape[0]:
        raise ValueError(f"epe_nas: {jac.shape[0]} Jacobian rows but {labels.shape[0]} labels")
    _, inverse = torch.unique(labels, return_inverse=True)
    onehot = torch.nn.functional.one_hot(inverse).to(torch.float64)        # N × T
    logcorr = torch.log(_row_correlations(jac).abs() + k)                  # N × N
    e = ((onehot.T @ logcorr) * onehot.T).sum(dim=1)                       # per-class block sums
    counts = onehot.sum(dim=0)
    e, counts = e.cpu().tolist(), counts.cpu().tolist()
    if n_classes <= MANY_CLASSES:
        return float(sum(abs(v) for v in e))
    kept = [v / c for v, c in zip(e, counts) if c > 1]
    if not kept:
        return 0.0
    total = sum(abs(a - b) for a in kept for b in kept)
    return float(total / len(kept)) if not math.isnan(total) else math.nan


@register("epe_nas", group="forward", needs=("input_jacobian",), higher_is_better=True, version="1")
def epe_nas(state) -> float:
    """epe_nas = Σ_t |Σ_ij log(|corrcoef(J_t)|_ij + 1e-5)| over the classes t of the batch,
    J = ∂Σlogits/∂x (Lopes et al., ICANN 2021; NASLib ``epe_nas``); NaN on zero-variance rows."""
    n_classes = int(state.logits.shape[-1])
    return epe_nas_score(state.input_jacobian, state.y, n_classes)
