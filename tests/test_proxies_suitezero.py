"""NAS-Bench-Suite-Zero proxies l2_norm, plain, epe_nas, zico: each formula against an
independent computation on a tiny network, scoring on small NB201/NB101 networks, the
disconnected NB201 cell, and determinism."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zsnas.proxies.epe_nas
import zsnas.proxies.l2_norm
import zsnas.proxies.plain
import zsnas.proxies.zico  # noqa: F401 - registers the proxies
from zsnas.proxies import PROXIES, score_network
from zsnas.proxies.epe_nas import epe_nas_score
from zsnas.proxies.zico import zico_score
from proxy_nets import MIXED_ARCH, NONE_ARCH
from proxy_nets import batch as _batch
from proxy_nets import nb101_net as _nb101
from proxy_nets import nb201_net as _nb201

NAMES = ["l2_norm", "plain", "epe_nas", "zico"]
K = 1e-5


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# --------------------------------------------------------------------------------------
# Tiny network and its functional forward (independent of nn.Module machinery)
# --------------------------------------------------------------------------------------

class Tiny(nn.Module):
    """Conv(3→4, bias)→ReLU→BN→Conv(4→5)→ReLU→BN→GAP→Linear(5→10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=True)
        self.relu1 = nn.ReLU()
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1, bias=False)
        self.relu2 = nn.ReLU()
        self.bn2 = nn.BatchNorm2d(5)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 10)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        x = self.bn1(self.relu1(self.conv1(x)))
        x = self.bn2(self.relu2(self.conv2(x)))
        return self.fc(self.pool(x).flatten(1))


WEIGHTS = ("conv1.weight", "conv2.weight", "fc.weight")


def ffwd(p, x):
    """Functional train-mode forward of Tiny (BN with the batch's statistics)."""
    h = F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=1))
    h = F.batch_norm(h, None, None, p["bn1.weight"], p["bn1.bias"], training=True, eps=1e-5)
    h = F.relu(F.conv2d(h, p["conv2.weight"], None, padding=1))
    h = F.batch_norm(h, None, None, p["bn2.weight"], p["bn2.bias"], training=True, eps=1e-5)
    return F.linear(h.mean(dim=(2, 3)), p["fc.weight"], p["fc.bias"])


def params_of(net):
    return {k: v.detach().clone().to(torch.float64).requires_grad_(True) for k, v in net.named_parameters()}


def ce_grads(p, x, y):
    loss = F.cross_entropy(ffwd(p, x), y)
    return [g.detach().numpy() for g in torch.autograd.grad(loss, [p[k] for k in WEIGHTS])]


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    net = Tiny().double()
    x = torch.randn(12, 3, 8, 8, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 3, 0, 2, 4, 1, 0, 2])  # class 3 and 4: one sample each
    return net, x, y


def score(net, x, y, name):
    res = score_network(net, x, y, name, arch_seed=0)[name]
    assert res.error is None, res.error
    return res.value


# --------------------------------------------------------------------------------------
# Formulas
# --------------------------------------------------------------------------------------

def test_l2_norm_formula_and_purity(tiny):
    net, x, y = tiny
    state = {k: v.clone() for k, v in net.state_dict().items()}
    expect = sum(math.sqrt(float(np.sum(net.get_parameter(k).detach().numpy() ** 2))) for k in WEIGHTS)
    got = score(net, x, y, "l2_norm")
    assert got == pytest.approx(expect, rel=1e-12)
    # a sum of per-layer norms, not the norm of all weights concatenated
    flat = np.concatenate([net.get_parameter(k).detach().numpy().ravel() for k in WEIGHTS])
    assert got > np.linalg.norm(flat) * (1 + 1e-6)
    # data-independent, reads the model only
    assert score(net, x[:3] * 7, y[:3], "l2_norm") == got
    for k, v in net.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert PROXIES["l2_norm"].group == "static"


def test_plain_formula_is_signed(tiny):
    net, x, y = tiny
    p = params_of(net)
    grads = ce_grads(p, x, y)
    terms = [float(np.sum(p[k].detach().numpy() * g)) for k, g in zip(WEIGHTS, grads)]
    expect = sum(terms)
    got = score(net, x, y, "plain")
    assert got == pytest.approx(expect, rel=1e-10)
    assert abs(got) < sum(float(np.sum(np.abs(p[k].detach().numpy() * g))) for k, g in zip(WEIGHTS, grads))
    assert PROXIES["plain"].needs == ("weight_grads",)


def _explicit_epe(jac, labels, n_classes):
    """NASLib's per-class loop with np.corrcoef, literally."""
    per_class = {}
    for i, lab in enumerate(labels):
        per_class[lab] = jac[i] if lab not in per_class else np.vstack((per_class[lab], jac[i]))
    scores = {}
    for c, rows in per_class.items():
        try:
            with np.errstate(all="ignore"):
                corrs = np.corrcoef(rows)
                s = np.sum(np.log(np.abs(corrs) + K))
            if n_classes > 100:
                s /= len(corrs)
        except TypeError:
            continue
        scores[c] = s
    if n_classes <= 100:
        return sum(abs(s) for s in scores.values())
    total = sum(abs(a - b) for a in scores.values() for b in scores.values())
    return total / len(scores) if scores else 0.0


def test_epe_nas_formula(tiny):
    net, x, y = tiny
    p = params_of(net)
    xr = x.clone().requires_grad_(True)
    (jac,) = torch.autograd.grad(ffwd(p, xr).sum(), xr)
    j = jac.reshape(len(x), -1).numpy()
    expect = _explicit_epe(j, y.numpy(), 10)
    got = score(net, x, y, "epe_nas")
    assert got == pytest.approx(expect, rel=1e-10)
    # singleton classes 3 and 4 contribute |log(1 + k)| each
    multi = _explicit_epe(j[y.numpy() < 3], y.numpy()[y.numpy() < 3], 10)
    assert expect == pytest.approx(multi + 2 * math.log(1 + K), rel=1e-12)
    # the > 100 classes branch (normalised, pairwise differences, singletons dropped)
    for labels in (y.numpy(), np.array([5, 7] * 6)):
        assert epe_nas_score(j, labels, 200) == pytest.approx(_explicit_epe(j, labels, 200), rel=1e-10)
    assert epe_nas_score(j[:3], np.array([0, 1, 2]), 200) == 0.0  # every class a singleton
    # a zero-variance row makes its class NaN, and the NaN propagates
    j2 = j.copy()
    j2[1] = 0.5
    assert math.isnan(epe_nas_score(j2, y.numpy(), 10))
    assert math.isnan(_explicit_epe(j2, y.numpy(), 10))


def _tiny_part_grads(p, x, y, parts=2):
    n = len(x)
    out = []
    for s in range(parts):
        lo, hi = s * n // parts, (s + 1) * n // parts
        out.append(ce_grads(p, x[lo:hi], y[lo:hi]))
    return out


def _explicit_zico(part_grads):
    total = 0.0
    for layer in range(len(part_grads[0])):
        g = np.stack([pg[layer].ravel() for pg in part_grads])
        std = g.std(axis=0)
        nz = np.nonzero(std)[0]
        r = np.sum(np.mean(np.abs(g), axis=0)[nz] / std[nz])
        if r != 0:
            total += np.log(r)
    return total


@pytest.mark.parametrize("n", [12, 7])
def test_zico_formula_from_per_split_gradients(tiny, n):
    net, x, y = tiny
    x, y = x[:n], y[:n]
    p = params_of(net)
    parts = _tiny_part_grads(p, x, y)
    assert not np.allclose(parts[0][0], parts[1][0])
    expect = _explicit_zico(parts)
    got = score(net, x, y, "zico")
    assert got == pytest.approx(expect, rel=1e-10)
    assert got > 0
    # not the full-batch gradient twice, not the accumulating variant
    cumulative = _explicit_zico([parts[0], [a + b for a, b in zip(parts[0], parts[1])]])
    assert cumulative != pytest.approx(expect, rel=1e-6)
    as_tensors = [[torch.from_numpy(g) for g in pg] for pg in parts]
    assert zico_score(as_tensors, cumulative=True) == pytest.approx(cumulative, rel=1e-10)
    # with 2 parts: mean|g| / std g = (|g1| + |g2|) / |g1 − g2|
    a, b = parts[0][2].ravel(), parts[1][2].ravel()
    keep = a != b
    assert np.log(np.sum((np.abs(a) + np.abs(b))[keep] / np.abs(a - b)[keep])) == pytest.approx(
        _explicit_zico([[parts[0][2]], [parts[1][2]]]), rel=1e-12)


def test_zico_skips_layers_without_spread():
    g = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    same = torch.ones(3, dtype=torch.float64)
    parts = [[g, same, torch.zeros(2)], [-g, same, torch.zeros(2)]]
    # layer 0: every entry |±g| / |g| = 1 → log 4; layers 1, 2: zero std → skipped
    assert zico_score(parts) == pytest.approx(math.log(4.0), rel=1e-15)
    assert zico_score([[same], [same]]) == 0.0
    nan_part = [[torch.tensor([1.0, math.nan])], [torch.tensor([2.0, 1.0])]]
    assert math.isnan(zico_score(nan_part))
    with pytest.raises(ValueError):
        zico_score([[g]])


def test_zico_batch_too_small_is_nan(tiny):
    net, x, y = tiny
    assert math.isnan(score(net, x[:1], y[:1], "zico"))


# --------------------------------------------------------------------------------------
# Benchmark networks
# --------------------------------------------------------------------------------------




@pytest.mark.parametrize("which", ["nb201", "nb101"])
def test_benchmark_networks_score_finite_and_deterministic(which):
    net = _nb201(MIXED_ARCH) if which == "nb201" else _nb101()
    before = copy.deepcopy(net.state_dict())
    x, y = _batch()
    first = score_network(net, x, y, NAMES, arch_seed=0)
    second = score_network(net, x, y, NAMES, arch_seed=0)
    separate = score_network(net, x, y, NAMES, arch_seed=0, shared=False)
    for name in NAMES:
        assert first[name].error is None, (name, first[name])
        assert math.isfinite(first[name].value), (name, first[name])
        assert second[name].value == first[name].value, name
        assert separate[name].value == pytest.approx(first[name].value, rel=1e-5), name
    assert first["l2_norm"].value > 0 and first["epe_nas"].value > 0 and first["zico"].value > 0
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_disconnected_nb201_cell():
    net = _nb201(NONE_ARCH)
    x, y = _batch(n=6)
    res = score_network(net, x, y, NAMES, arch_seed=1)
    for name in NAMES:
        assert res[name].error is None, (name, res[name])
    assert res["l2_norm"].value > 0           # weights exist even if unused
    assert res["plain"].value == 0.0          # every weight gradient is 0
    assert res["zico"].value == 0.0           # every layer has zero spread → all skipped
    assert math.isnan(res["epe_nas"].value)   # all-zero Jacobian rows
    again = score_network(net, x, y, NAMES, arch_seed=1)
    assert again["zico"].value == 0.0 and math.isnan(again["epe_nas"].value)
