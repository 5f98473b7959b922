"""Activation-based zero-cost proxies: ``zen`` (Zen-NAS), ``meco`` (MeCo) and ``swap`` (SWAP-NAS).

Each formula is checked against an independent float64 computation on a tiny network
(functional forward with explicit BatchNorm, numpy for the correlation eigenvalues and the
pattern count), then scored through ``score_network`` on small NB201 / NB101 networks,
on the degenerate NB201 cell, and twice for determinism.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zsnas.proxies.meco  # the three imports register "meco", "swap", "zen"
import zsnas.proxies.swap
import zsnas.proxies.zen  # noqa: F401
from zsnas.proxies import PROXIES, score_network
from zsnas.proxies.common import fixed_generator
from zsnas.proxies.meco import min_eigenvalues
from zsnas.proxies.swap import (
    count_unique_patterns,
    pack_patterns,
    regular_factor,
    swap_score,
)
from proxy_nets import MIXED_ARCH, NONE_ARCH
from proxy_nets import batch as _batch
from proxy_nets import nb101_net as _nb101
from proxy_nets import nb201_net as _nb201

NAMES = ("zen", "meco", "swap")
EPS = 1e-5


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One intra-op thread: these nets are tiny, and the CI box may be busy."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def score(net, x, y, name):
    res = score_network(net, x, y, name, arch_seed=0)[name]
    assert res.error is None, res.error
    return res.value


def bn_train(h, weight=None, bias=None):
    """Train-mode BatchNorm2d by hand: (h − μ_c)/sqrt(σ²_c + eps)·γ + β; also the unbiased σ²_c."""
    mean = h.mean(dim=(0, 2, 3), keepdim=True)
    var = ((h - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
    out = (h - mean) / torch.sqrt(var + EPS)
    if weight is not None:
        out = out * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
    m = h.shape[0] * h.shape[2] * h.shape[3]
    return out, var.flatten() * m / (m - 1)


def gaussian(gen, *shape):
    return torch.empty(shape, dtype=torch.float64).normal_(0.0, 1.0, generator=gen)





def test_registered():
    for name in NAMES:
        spec = PROXIES[name]
        assert spec.group == "own" and spec.needs == () and spec.higher_is_better, name
        assert spec.doc


# --------------------------------------------------------------------------------------
# zen
# --------------------------------------------------------------------------------------

class ZenTiny(nn.Module):
    """Conv(3→4, bias)-BN-ReLU, Conv(4→5)-BN-ReLU = pre-GAP map, GAP, Linear(5→10)."""

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=True), nn.BatchNorm2d(4), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(4, 5, 3, padding=1, bias=False), nn.BatchNorm2d(5), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 10)

    def feature_blocks(self):
        return [self.block1, self.block2]

    def forward(self, x):
        return self.fc(self.pool(self.block2(self.block1(x))).flatten(1))


def zen_by_hand(x_shape):
    """Zen-score of ZenTiny with the documented draws: W1, W2, W_fc ~ N(0,1), then a, b."""
    gen = fixed_generator("cpu")
    w1, w2 = gaussian(gen, 4, 3, 3, 3), gaussian(gen, 5, 4, 3, 3)
    gaussian(gen, 10, 5)  # the classifier's weight: drawn, not used by f
    a = torch.randn(x_shape, generator=gen, dtype=torch.float64)
    b = torch.randn(x_shape, generator=gen, dtype=torch.float64)
    mixed = a + 1e-2 * b

    def f(inp):  # BN weight 1, bias 0; conv bias 0
        h1, v1 = bn_train(F.conv2d(inp, w1, padding=1))
        h1 = F.relu(h1)
        h2, v2 = bn_train(F.conv2d(h1, w2, padding=1))
        return F.relu(h2), (v1, v2)

    f_a, var_a = f(a)
    f_m, var_m = f(mixed)
    delta = (f_a - f_m).abs().sum(dim=(1, 2, 3)).mean()
    expect = math.log(float(delta))
    for va, vm in zip(var_a, var_m):  # running_var after two updates with momentum 0.1 from 1
        running = 0.9 * (0.9 * 1.0 + 0.1 * va) + 0.1 * vm
        expect += math.log(math.sqrt(float(running.mean())))
    return expect


def test_zen_formula():
    torch.manual_seed(0)
    net = ZenTiny().double()
    x, y = _batch(n=6, hw=8)
    x = x.double()
    expect = zen_by_hand(x.shape)
    got = score(net, x, y, "zen")
    assert got == pytest.approx(expect, rel=1e-10, abs=1e-10)
    # the caller's weights and BN statistics do not matter (re-initialised, statistics reset)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_var.fill_(7.0)
                m.running_mean.fill_(3.0)
            if isinstance(m, nn.Conv2d):
                m.weight.mul_(5.0)
    assert score(net, x, y, "zen") == got
    # ... nor the data: only the batch's shape is used
    assert score(net, x * 3 + 1, y, "zen") == got
    assert score(net, x[:5], y[:5], "zen") != got


# --------------------------------------------------------------------------------------
# meco
# --------------------------------------------------------------------------------------

class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class MecoTiny(nn.Module):
    """Conv(3→4, bias)→ReLU→BN→(+Zero)→Conv(4→5)→ReLU→BN→GAP→Linear(5→10); channel 0 of
    conv1 is dead (bias −100), so some correlation rows are NaN."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=True)
        self.relu1 = nn.ReLU()
        self.bn1 = nn.BatchNorm2d(4)
        self.zero = Zero()
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1, bias=False)
        self.relu2 = nn.ReLU()
        self.bn2 = nn.BatchNorm2d(5)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 10)
        with torch.no_grad():
            self.conv1.bias[0] = -100.0
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        h = self.bn1(self.relu1(self.conv1(x)))
        h = h + self.zero(h)
        h = self.bn2(self.relu2(self.conv2(h)))
        return self.fc(self.pool(h).flatten(1))


def meco_by_hand(net, x1):
    """Every module output of MecoTiny for one sample (functional), then numpy as the reference."""
    p = {k: v.detach().double() for k, v in net.named_parameters()}
    z1 = F.conv2d(x1, p["conv1.weight"], p["conv1.bias"], padding=1)
    r1 = F.relu(z1)
    b1, _ = bn_train(r1, p["bn1.weight"], p["bn1.bias"])
    zero = b1 * 0.0
    z2 = F.conv2d(b1 + zero, p["conv2.weight"], None, padding=1)
    r2 = F.relu(z2)
    b2, _ = bn_train(r2, p["bn2.weight"], p["bn2.bias"])
    pooled = b2.mean(dim=(2, 3), keepdim=True)
    logits = F.linear(pooled.flatten(1), p["fc.weight"], p["fc.bias"])
    outputs = [z1, r1, b1, zero, z2, r2, b2, pooled, logits, logits]  # the last: the root module
    total, terms = 0.0, []
    for o in outputs:
        fea = o[0].numpy().reshape(o.shape[1], -1)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            corr = np.corrcoef(fea)
        corr[np.isnan(corr)] = 0.0
        corr[np.isinf(corr)] = 0.0
        lam = np.min(np.real(np.linalg.eigvals(corr)))
        terms.append(lam)
        if np.isfinite(lam):
            total += lam
    return total, terms


def test_meco_formula():
    torch.manual_seed(4)
    net = MecoTiny().double()
    x, y = _batch(n=5, hw=8)
    x = x.double()
    expect, terms = meco_by_hand(net, x[:1])
    assert terms[3] == 0.0 and terms[7] == 0.0 and terms[8] == 0.0  # NaN rows → 0 → λ = 0
    assert abs(expect) > 1e-3
    got = score(net, x, y, "meco")
    assert got == pytest.approx(expect, rel=1e-9, abs=1e-12)
    # only the first sample is read, and it is forwarded alone (BN over that sample)
    x2 = x.clone()
    x2[1:] = torch.randn_like(x2[1:]) * 4
    assert score(net, x2, y, "meco") == got
    assert score(net, x[1:], y[1:], "meco") != pytest.approx(got)


def test_meco_eigvalsh_matches_eig():
    g = torch.Generator().manual_seed(5)
    mats = []
    for c in (3, 5, 3, 8, 5):
        a = torch.randn(c, 12, generator=g, dtype=torch.float64)
        mats.append(torch.corrcoef(a))
    got = min_eigenvalues(mats).numpy()
    expect = [np.min(np.real(np.linalg.eigvals(m.numpy()))) for m in mats]
    np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------
# swap
# --------------------------------------------------------------------------------------

class SwapTiny(nn.Module):
    """Conv(3→4, bias)-BN-ReLU, Conv(4→5)-BN-ReLU, GAP, Linear(5→6)-ReLU (2-D input: not
    counted), Linear(6→10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=True)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(5)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(5, 6)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(6, 10)

    def forward(self, x):
        h = self.relu1(self.bn1(self.conv1(x)))
        h = self.relu2(self.bn2(self.conv2(h)))
        return self.fc2(self.relu3(self.fc1(self.pool(h).flatten(1))))


def swap_by_hand(x):
    """Draws W_conv1, W_conv2, W_fc1, W_fc2 ~ N(0,1) (module order), ReLU outputs, numpy unique."""
    gen = fixed_generator("cpu")
    w1, w2 = gaussian(gen, 4, 3, 3, 3), gaussian(gen, 5, 4, 3, 3)
    r1 = F.relu(bn_train(F.conv2d(x, w1, padding=1))[0])
    r2 = F.relu(bn_train(F.conv2d(r1, w2, padding=1))[0])
    n = x.shape[0]
    acts = np.concatenate([r1.reshape(n, -1).numpy(), r2.reshape(n, -1).numpy()], axis=1)
    patterns = np.sign(acts).T  # (units, samples)
    return len(np.unique(patterns, axis=0))


def test_swap_formula():
    torch.manual_seed(0)
    net = SwapTiny().double()
    x, y = _batch(n=8, hw=8)
    x = x.double()
    expect = swap_by_hand(x)
    assert 2 < expect < 256  # far from both bounds: a real count
    assert score(net, x, y, "swap") == expect
    # more than 16 samples: the first 16 are used
    x20, y20 = _batch(seed=6, n=20, hw=8)
    x20 = x20.double()
    expect16 = swap_by_hand(x20[:16])
    assert score(net, x20, y20, "swap") == expect16
    assert swap_score(SwapTiny().double(), x20, samples=20) == swap_by_hand(x20)
    # the regularised form: × exp(−(P/1e3 − μ)²/σ)
    p_k = sum(p.numel() for p in net.parameters()) / 1e3
    factor = math.exp(-((p_k - 0.1) ** 2) / 0.5)
    assert regular_factor(net, 0.1, 0.5) == pytest.approx(factor, rel=1e-12)
    assert swap_score(SwapTiny().double(), x, mu=0.1, sigma=0.5) == pytest.approx(expect * factor, rel=1e-12)


@pytest.mark.parametrize("n_samples", [5, 16, 20, 62, 63, 130])
def test_swap_pattern_count(n_samples):
    g = torch.Generator().manual_seed(n_samples)
    base = torch.rand(n_samples, 40, generator=g) > 0.5
    idx = torch.randint(0, 40, (300,), generator=g)  # 300 units, many duplicated patterns
    active = base[:, idx]
    active[:, :7] = False  # some all-zero patterns too
    expect = len(np.unique(active.numpy().T, axis=0))
    codes = pack_patterns(active)
    assert codes.shape == (300, math.ceil(n_samples / 62)) and bool((codes >= 0).all())
    assert count_unique_patterns(codes, n_samples) == expect
    assert count_unique_patterns(codes, n_samples, method="unique") == expect
    if n_samples <= 20:
        assert count_unique_patterns(codes, n_samples, method="bincount") == expect


# --------------------------------------------------------------------------------------
# Benchmark networks, degenerate cell, determinism
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["nb201", "nb101"])
def test_benchmark_networks_score_finite_and_deterministic(which):
    net = _nb201(MIXED_ARCH) if which == "nb201" else _nb101()
    x, y = _batch()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    first = score_network(net, x, y, list(NAMES), arch_seed=0)
    second = score_network(net, x, y, list(NAMES), arch_seed=0)
    for name in NAMES:
        assert first[name].error is None, (name, first[name])
        assert np.isfinite(first[name].value), (name, first[name])
        assert first[name].value == second[name].value, name
    assert first["swap"].value > 1
    for k, v in net.state_dict().items():
        assert torch.equal(before[k], v), k


def test_disconnected_nb201_cell():
    net = _nb201(NONE_ARCH)
    x, y = _batch(n=6)
    res = score_network(net, x, y, list(NAMES), arch_seed=0)
    for name in NAMES:
        assert res[name].error is None, (name, res[name])
    assert res["zen"].value == -math.inf  # f(a) = f(a + γb) = 0: log 0
    assert np.isfinite(res["meco"].value)
    assert res["swap"].value == 1.0  # every ReLU sees zeros: one all-zero pattern
    again = score_network(net, x, y, list(NAMES), arch_seed=0)
    for name in NAMES:
        assert again[name].value == res[name].value, name
