"""Zero-cost proxies (zsnas.proxies): each formula against an independent computation,
shared vs one-at-a-time passes, purity, degenerate NB201 cells, and the registry."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from zsnas.networks.flops import count_flops, count_params
from zsnas.proxies import BASELINES, PROXIES, SIX, ProxyResult, register, resolve, score_network, unregister
from zsnas.proxies.common import fresh_copy, scored_layers
from zsnas.proxies.forward_pass import run_forward_pass
from zsnas.proxies.jacob_cov import jacob_cov_score
from proxy_nets import MIXED_ARCH, NONE_ARCH
from proxy_nets import batch as _batch
from proxy_nets import nb101_net as _nb101
from proxy_nets import nb201_net as _nb201

@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One intra-op thread: these nets are tiny, and the CI box may be busy."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


ALL = list(SIX) + list(BASELINES)


# --------------------------------------------------------------------------------------
# A tiny network and an independent functional re-implementation of its forward
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
        with torch.no_grad():  # non-trivial BN affine parameters
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        x = self.bn1(self.relu1(self.conv1(x)))
        x = self.bn2(self.relu2(self.conv2(x)))
        return self.fc(self.pool(x).flatten(1))


WEIGHTS = ("conv1.weight", "conv2.weight", "fc.weight")


def ffwd(p, x, bn=True):
    """Functional forward of Tiny; returns logits, the conv/linear outputs, the ReLU inputs."""
    z1 = F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=1)
    h = F.relu(z1)
    if bn:
        h = F.batch_norm(h, None, None, p["bn1.weight"], p["bn1.bias"], training=True, eps=1e-5)
    z2 = F.conv2d(h, p["conv2.weight"], None, padding=1)
    h = F.relu(z2)
    if bn:
        h = F.batch_norm(h, None, None, p["bn2.weight"], p["bn2.bias"], training=True, eps=1e-5)
    z3 = F.linear(h.mean(dim=(2, 3)), p["fc.weight"], p["fc.bias"])
    return z3, [z1, z2, z3], [z1, z2]


def params_of(net, dtype=torch.float64):
    return {k: v.detach().clone().to(dtype).requires_grad_(True) for k, v in net.named_parameters()}


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    net = Tiny().double()
    x = torch.randn(8, 3, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 10, (8,))
    return net, x, y


def score(net, x, y, name, **kw):
    res = score_network(net, x, y, name, arch_seed=kw.pop("arch_seed", 0), **kw)[name]
    assert res.error is None, res.error
    return res.value


def ce_grads(p, x, y):
    logits, _, _ = ffwd(p, x)
    loss = F.cross_entropy(logits, y)
    return torch.autograd.grad(loss, [p[k] for k in WEIGHTS])


# --------------------------------------------------------------------------------------
# Each proxy against its formula
# --------------------------------------------------------------------------------------

def test_grad_norm_and_snip_formulas(tiny):
    net, x, y = tiny
    p = params_of(net)
    grads = ce_grads(p, x, y)
    expect_gn = sum(float(torch.sqrt((g**2).sum())) for g in grads)
    expect_snip = sum(float((p[k].detach() * g).abs().sum()) for k, g in zip(WEIGHTS, grads))
    assert score(net, x, y, "grad_norm") == pytest.approx(expect_gn, rel=1e-10)
    assert score(net, x, y, "snip") == pytest.approx(expect_snip, rel=1e-10)
    assert expect_gn > 0 and expect_snip > 0


def test_grasp_formula_with_explicit_hessian(tiny):
    """foresight literally: g from pass 1, H from a second forward; here H is the full Hessian."""
    net, x, y = tiny
    p = params_of(net)
    g = torch.cat([t.flatten() for t in ce_grads(p, x, y)]).detach()
    shapes = [p[k].shape for k in WEIGHTS]
    sizes = [math.prod(s) for s in shapes]
    w0 = torch.cat([p[k].detach().flatten() for k in WEIGHTS])

    def loss_of(wflat):
        q = dict(p)
        for k, part, s in zip(WEIGHTS, torch.split(wflat, sizes), shapes):
            q[k] = part.reshape(s)
        return F.cross_entropy(ffwd(q, x)[0], y)

    hess = torch.autograd.functional.hessian(loss_of, w0, vectorize=True)  # (n, n)
    assert torch.allclose(hess, hess.T, atol=1e-10)
    expect = float(-(w0 * (hess @ g)).sum())
    got = score(net, x, y, "grasp")
    assert got == pytest.approx(expect, rel=1e-8, abs=1e-12)
    assert got != 0.0


def test_fisher_formula_with_explicit_activation_grads(tiny):
    net, x, y = tiny
    p = params_of(net)
    logits, zs, _ = ffwd(p, x)
    dzs = torch.autograd.grad(F.cross_entropy(logits, y), zs)
    expect = 0.0
    for k, z, dz in zip(WEIGHTS, zs, dzs):
        prod = (z * dz).detach()
        g_nk = prod.sum(dim=(2, 3)) if prod.dim() == 4 else prod
        f_k = 0.5 * (g_nk**2).mean(dim=0)
        per_channel = math.prod(p[k].shape[1:])
        expect += float(f_k.abs().sum()) * per_channel
    assert score(net, x, y, "fisher") == pytest.approx(expect, rel=1e-10)


def test_jacob_cov_formula(tiny):
    net, x, y = tiny
    p = params_of(net)
    xr = x.clone().requires_grad_(True)
    (jac,) = torch.autograd.grad(ffwd(p, xr)[0].sum(), xr)
    j = jac.reshape(len(x), -1).numpy()
    z = (j - j.mean(1, keepdims=True)) / j.std(1, keepdims=True)
    corr = z @ z.T / j.shape[1]
    lam = np.linalg.eigvals(corr).real
    expect = -np.sum(np.log(lam + 1e-5) + 1.0 / (lam + 1e-5))
    assert score(net, x, y, "jacob_cov") == pytest.approx(expect, rel=1e-8)
    # the seed paper's log-free variant is only a flag of the helper
    assert jacob_cov_score(j, with_log=False) == pytest.approx(-np.sum(1.0 / (lam + 1e-5)), rel=1e-8)
    assert np.isnan(jacob_cov_score(np.zeros((4, 6))))


def test_synflow_formula_and_data_independence(tiny):
    net, x, y = tiny
    p = {k: v.abs().detach().clone().requires_grad_(True) for k, v in params_of(net).items()}
    logits, _, _ = ffwd(p, torch.ones(1, 3, 8, 8, dtype=torch.float64), bn=False)
    grads = torch.autograd.grad(logits.sum(), [p[k] for k in WEIGHTS])
    expect = sum(float((p[k].detach() * g).sum()) for k, g in zip(WEIGHTS, grads))
    got = score(net, x, y, "synflow")
    assert got == pytest.approx(expect, rel=1e-12)
    # no data dependence: other inputs, other labels, other batch size, float32 input
    x2 = torch.randn(3, 3, 8, 8, dtype=torch.float64) * 5
    y2 = torch.randint(0, 10, (3,))
    assert score(net, x2, y2, "synflow") == got
    net32 = Tiny()
    net32.load_state_dict({k: v.float() for k, v in net.state_dict().items()})
    assert score(net32, x.float(), y, "synflow") == pytest.approx(got, rel=1e-6)  # float64 inside


def test_nwot_with_explicit_kernel(tiny):
    net, x, y = tiny
    p = params_of(net)
    _, _, relu_inputs = ffwd(p, x)
    codes = np.concatenate([(r.detach().reshape(len(x), -1) > 0).numpy() for r in relu_inputs], axis=1)
    n = len(x)
    kernel = np.array([[np.sum(codes[i] == codes[j]) for j in range(n)] for i in range(n)], dtype=float)
    expect = np.linalg.slogdet(kernel)[1]
    assert score(net, x, y, "nwot") == pytest.approx(expect, rel=1e-10)


def test_params_flops_random(tiny):
    net, x, y = tiny
    assert score(net, x, y, "params") == count_params(net) == 108 + 4 + 8 + 180 + 10 + 50 + 10
    # by hand: 8x8 outputs; conv1 with bias, conv2 without, fc with bias (MACs)
    by_hand = (64 * 4 * 27 + 64 * 4 + 64 * 5 * 36 + 50 + 10) / 1e6
    assert score(net, x, y, "flops") == pytest.approx(by_hand) == count_flops(net, (1, 3, 8, 8))
    r = score(net, x, y, "random", arch_seed=7)
    assert r == np.random.default_rng([7, 0x5EED]).random() and 0.0 <= r < 1.0
    assert score(Tiny(), x.float(), y, "random", arch_seed=7) == r  # network-independent
    assert score(net, x, y, "random", arch_seed=8) != r


# --------------------------------------------------------------------------------------
# Shared pass == reference loop; purity; degenerate cells
# --------------------------------------------------------------------------------------




@pytest.mark.parametrize("which", ["nb201", "nb101"])
def test_shared_equals_separate_and_model_untouched(which):
    net = _nb201(MIXED_ARCH) if which == "nb201" else _nb101()
    x, y = _batch()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    shared = score_network(net, x, y, ALL, arch_seed=5)
    separate = score_network(net, x, y, ALL, arch_seed=5, shared=False)
    assert list(shared) == ALL == list(separate)
    for name in ALL:
        a, b = shared[name], separate[name]
        assert isinstance(a, ProxyResult) and a.error is None and b.error is None, (name, a, b)
        assert np.isfinite(a.value), name
        assert a.value == pytest.approx(b.value, rel=1e-5, abs=1e-12), name
        assert a.seconds >= 0 and b.seconds >= 0
    after = net.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        assert torch.equal(before[k], after[k]), k
    assert net.training
    net.eval()
    score_network(net, x, y, "snip", arch_seed=0)
    assert not net.training


@pytest.mark.parametrize("which", ["nb201", "nb101"])
def test_consume_gives_the_same_values(which):
    """The engine's in-place mode (no copy for the forward group) changes no value."""
    net = _nb201(MIXED_ARCH) if which == "nb201" else _nb101()
    x, y = _batch()
    reference = score_network(net, x, y, ALL, arch_seed=5)
    consumed = score_network(copy.deepcopy(net), x, y, ALL, arch_seed=5, consume=True)
    for name in ALL:
        assert consumed[name].error is None, name
        assert consumed[name].value == reference[name].value, name


def test_fisher_hooks_reach_every_nb201_conv():
    net = fresh_copy(_nb201("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_3x3~2|"))
    x, y = _batch(n=4)
    state = run_forward_pass(net, x, y, {"fisher"})
    layers = scored_layers(net)
    assert len(layers) == 1 + 3 * 6 + 2 * 3 + 1  # stem, cell convs, reduction blocks, classifier
    assert all(float(f.abs().sum()) > 0 for f in state.fisher)
    assert not state.errors


def test_disconnected_nb201_cell():
    net = _nb201(NONE_ARCH)
    x, y = _batch(n=6)
    res = score_network(net, x, y, ALL, arch_seed=1)
    for name in ALL:
        assert res[name].error is None, (name, res[name])
    for name in ("grad_norm", "snip", "synflow", "grasp"):
        assert res[name].value == 0.0, name
    # fisher: only the classifier term 0.5·mean_n(b_k·∂L/∂z_nk)² survives (logits = bias b)
    b = net.classifier.bias.detach()
    dz = (torch.softmax(b, 0).expand(len(y), -1) - F.one_hot(y, 10)) / len(y)
    expect = float((0.5 * ((b * dz) ** 2).mean(0)).sum()) * net.classifier.in_features
    assert res["fisher"].value == pytest.approx(expect, rel=1e-4) and expect < 0.05
    assert math.isnan(res["jacob_cov"].value)
    sep = score_network(net, x, y, "all", arch_seed=1, shared=False)
    assert math.isnan(sep["jacob_cov"].value) and sep["jacob_cov"].error is None


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------

def test_resolve():
    assert resolve("all") == list(SIX)
    assert resolve("baselines") == list(BASELINES)
    assert resolve("snip, synflow,snip") == ["snip", "synflow"]
    assert resolve(["all", "nwot"]) == list(SIX) + ["nwot"]
    assert resolve(["fisher", "params,flops"]) == ["fisher", "params", "flops"]
    with pytest.raises(ValueError, match="bogus.*known: grad_norm"):
        resolve("snip,bogus")
    with pytest.raises(ValueError):
        resolve("")
    assert set(SIX) | set(BASELINES) <= set(PROXIES)
    for spec in PROXIES.values():
        assert spec.doc and spec.version


def test_register_new_proxy_and_errors_are_isolated(tiny):
    net, x, y = tiny

    @register("tmp_l1_grad", group="forward", needs=("weight_grads",), version="0")
    def tmp_l1_grad(state):
        """Σ|∂L/∂W| (throwaway test proxy)."""
        return sum(float(g.abs().sum()) for g in state.weight_grads)

    @register("tmp_boom", group="static")
    def tmp_boom(model, x, y, arch_seed):
        raise RuntimeError("boom")

    try:
        assert resolve("tmp_l1_grad,snip") == ["tmp_l1_grad", "snip"]
        with pytest.raises(ValueError, match="already registered"):
            register("tmp_boom", group="static")(tmp_boom)
        res = score_network(net, x, y, ["tmp_boom", "tmp_l1_grad", "snip"], arch_seed=0)
        assert math.isnan(res["tmp_boom"].value) and res["tmp_boom"].error == "RuntimeError: boom"
        expect = sum(float(g.abs().sum()) for g in ce_grads(params_of(net), x, y))
        assert res["tmp_l1_grad"].value == pytest.approx(expect, rel=1e-10)
        assert res["snip"].error is None and res["snip"].value > 0
    finally:
        unregister("tmp_l1_grad")
        unregister("tmp_boom")
    assert "tmp_l1_grad" not in PROXIES
    with pytest.raises(ValueError, match="tmp_l1_grad"):
        resolve("tmp_l1_grad")
