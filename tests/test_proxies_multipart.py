"""Multi-part zero-cost proxies: the TE-NAS components (te_nas_ntk, te_nas_lr) and the
AZ-NAS components (az_expressivity, az_progressivity, az_trainability), each formula
against an independent computation (explicit per-sample loops, numpy eigen/SVD, numpy
pattern counting, explicit block Jacobians), plus scoring on NB201 / NB101, degenerate
cells and determinism."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

# importing the proxy modules registers them
import zsnas.proxies.az_expressivity
import zsnas.proxies.az_progressivity
import zsnas.proxies.az_trainability
import zsnas.proxies.te_nas_lr
import zsnas.proxies.te_nas_ntk  # noqa: F401
from zsnas.networks.nb201 import build_nb201
from zsnas.proxies import PROXIES, score_network
from zsnas.proxies.az_nas import az_blocks, az_components
from zsnas.proxies.common import FIXED_SEED, fixed_generator
from zsnas.proxies.te_nas_lr import count_distinct_rows
from zsnas.proxies.te_nas_ntk import condition_number, per_sample_logit_grads
from proxy_nets import MIXED_ARCH, NONE_ARCH
from proxy_nets import batch as _batch
from proxy_nets import nb101_net as _nb101
from proxy_nets import nb201_net as _nb201

NAMES = ["te_nas_ntk", "te_nas_lr", "az_expressivity", "az_progressivity", "az_trainability"]


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





def test_registered_with_sign_conventions():
    for name in NAMES:
        assert PROXIES[name].group == "own"
    assert PROXIES["te_nas_ntk"].higher_is_better is False
    for name in NAMES[1:]:
        assert PROXIES[name].higher_is_better is True


# --------------------------------------------------------------------------------------
# TE-NAS: NTK condition number
# --------------------------------------------------------------------------------------

class TinyNTK(nn.Module):
    """Conv(3→3, bias)→BN→ReLU→Conv(3→4)→BN→ReLU→GAP→Linear(4→5): BN couples the samples."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 3, 3, padding=1, bias=True)
        self.bn1 = nn.BatchNorm2d(3)
        self.conv2 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 5)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean(dim=(2, 3)))


def _tiny_ntk(n=10):
    torch.manual_seed(0)
    net = TinyNTK().double().train()
    x = torch.randn(n, 3, 5, 5, dtype=torch.float64)
    return net, x, torch.zeros(n, dtype=torch.long)


def loop_grads(net, x, with_bias=False, train=True):
    """The reference literally: per sample, backward of ones through logits[i] of the whole
    batch's graph, then the .grad of every parameter named '*weight*' (n × P)."""
    net = copy.deepcopy(net).train(train)
    rows = []
    for i in range(x.shape[0]):
        net.zero_grad(set_to_none=True)
        logits = net(x)
        logits[i:i + 1].backward(torch.ones_like(logits[i:i + 1]))
        rows.append(torch.cat([p.grad.reshape(-1) for name, p in net.named_parameters()
                               if (with_bias or "weight" in name) and p.grad is not None]))
    return torch.stack(rows).detach().numpy()


def numpy_cond(jac):
    lam = np.linalg.eigvalsh(jac @ jac.T)
    return lam[-1] / lam[0]


@pytest.mark.parametrize("chunk", [1, 3, 16])
def test_ntk_batched_per_sample_grads_equal_explicit_loop(chunk):
    net, x, _ = _tiny_ntk()
    expect = loop_grads(net, x)
    copy_ = copy.deepcopy(net).train()
    grads = per_sample_logit_grads(copy_, x, chunk=chunk)
    got = torch.cat([g.reshape(g.shape[0], -1) for g in grads], dim=1).numpy()
    assert got.shape == expect.shape == (10, sum(p.numel() for n_, p in net.named_parameters()
                                                 if "weight" in n_))
    np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-12)


def test_te_nas_ntk_formula_loop_and_numpy_eig():
    net, x, y = _tiny_ntk()
    jac = loop_grads(net, x)
    expect = numpy_cond(jac)
    got = score(net, x, y, "te_nas_ntk")
    assert got == pytest.approx(expect, rel=1e-8)
    assert 1.0 < got < 1e8
    # the test discriminates: with the biases, or in eval mode (no BN coupling), it differs
    assert numpy_cond(loop_grads(net, x, with_bias=True)) != pytest.approx(expect, rel=1e-6)
    assert numpy_cond(loop_grads(net, x, train=False)) != pytest.approx(expect, rel=1e-6)


def test_te_nas_ntk_uses_first_72_samples():
    net, x, y = _tiny_ntk(n=80)
    expect = numpy_cond(loop_grads(net, x[:72]))
    assert score(net, x, y, "te_nas_ntk") == pytest.approx(expect, rel=1e-8)
    assert numpy_cond(loop_grads(net, x)) != pytest.approx(expect, rel=1e-6)


def test_condition_number_edge_cases():
    assert condition_number(torch.eye(3, dtype=torch.float64)) == 1.0
    assert condition_number(torch.diag(torch.tensor([4.0, 2.0], dtype=torch.float64))) == 2.0
    assert math.isnan(condition_number(torch.zeros(3, 3, dtype=torch.float64)))
    assert math.isnan(condition_number(None))
    v = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    assert condition_number(v.T @ v) == math.inf  # singular PSD
    assert math.isnan(condition_number(torch.full((2, 2), math.nan, dtype=torch.float64)))


# --------------------------------------------------------------------------------------
# TE-NAS: number of linear regions
# --------------------------------------------------------------------------------------

class TinyLR(nn.Module):
    """Few ReLU units, so that 3000 inputs share patterns: Conv(3→2, k3)→ReLU on 4×4 → 2×2
    (8 units), Conv1×1(2→2)→BN→ReLU (8 units), then a 2-D ReLU (not counted)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 2, 3, bias=True)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(2, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(2)
        self.relu2 = nn.ReLU()
        self.fc1 = nn.Linear(2, 16)
        self.relu3 = nn.ReLU()  # 2-D input: ignored by the reference's hook
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        h = self.relu2(self.bn2(self.conv2(self.relu1(self.conv1(x)))))
        return self.fc2(self.relu3(self.fc1(h.mean(dim=(2, 3)))))


def numpy_region_count(net, c_in, include_2d=False, batches=3):
    """Independent count: the same fixed draws, a functional train-mode forward per batch of
    1000, unique rows of the sign patterns with numpy."""
    g = torch.Generator().manual_seed(FIXED_SEED)
    p = {k: v.detach() for k, v in net.named_parameters()}
    rows = []
    for _ in range(batches):
        u = torch.randn((1000, c_in, 4, 4), generator=g, dtype=torch.float64)
        a1 = F.relu(F.conv2d(u, p["conv1.weight"], p["conv1.bias"]))
        z2 = F.batch_norm(F.conv2d(a1, p["conv2.weight"]), None, None, p["bn2.weight"],
                          p["bn2.bias"], training=True, eps=1e-5)
        a2 = F.relu(z2)
        codes = [a1.reshape(1000, -1) > 0, a2.reshape(1000, -1) > 0]
        if include_2d:
            a3 = F.relu(F.linear(a2.mean(dim=(2, 3)), p["fc1.weight"], p["fc1.bias"]))
            codes.append(a3 > 0)
        rows.append(torch.cat(codes, dim=1).numpy())
    return len({r.tobytes() for r in np.concatenate(rows).astype(np.uint8)})


def test_te_nas_lr_counts_distinct_patterns():
    torch.manual_seed(0)
    net = TinyLR().double()
    x, y = _batch(dtype=torch.float64)
    expect = numpy_region_count(net, 3)
    got = score(net, x, y, "te_nas_lr")
    assert got == expect
    assert 1 < got < 3000  # shared patterns: the count is not the sample count
    assert numpy_region_count(net, 3, include_2d=True) != expect  # the 4-D-only rule matters
    assert numpy_region_count(net, 3, batches=2) != expect  # all 3 × 1000 inputs count


def test_count_distinct_rows():
    rows = np.array([[1, 0, 1], [1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=np.uint8)
    assert count_distinct_rows(rows) == 3
    assert count_distinct_rows(np.zeros((5, 0), dtype=np.uint8)) == 1
    assert count_distinct_rows(np.zeros((0, 4), dtype=np.uint8)) == 0


def test_te_nas_lr_without_relu_is_one_region():
    net = nn.Sequential(nn.Conv2d(3, 2, 3, padding=1), nn.Flatten(), nn.Linear(32, 10)).double()
    x, y = _batch(dtype=torch.float64)
    assert score(net, x, y, "te_nas_lr") == 1.0


# --------------------------------------------------------------------------------------
# AZ-NAS: expressivity, progressivity, trainability
# --------------------------------------------------------------------------------------

class TinyAZ(nn.Module):
    """stem → b1 → b2 (stride 2, 4→6 channels) → b3 → lastact (dropped by AZ-NAS) → GAP → fc."""

    def __init__(self, identity_b3: bool = False):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4))
        self.b1 = nn.Sequential(nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1, bias=True), nn.BatchNorm2d(4))
        self.b2 = nn.Sequential(nn.ReLU(), nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False),
                                nn.BatchNorm2d(6))
        self.b3 = nn.Identity() if identity_b3 else nn.Sequential(  # non-centred output
            nn.Conv2d(6, 6, 1, bias=False), nn.BatchNorm2d(6), nn.ReLU())
        self.lastact = nn.Sequential(nn.BatchNorm2d(6), nn.ReLU())
        self.fc = nn.Linear(6, 10)

    def feature_blocks(self):
        return [self.stem, self.b1, self.b2, self.b3, self.lastact]

    def forward(self, x):
        for block in self.feature_blocks():
            x = block(x)
        return self.fc(x.mean(dim=(2, 3)))


def reference_init(net, g):
    """kaiming_normal(fan_in, relu) by hand: N(0, 2/fan_in) for conv/linear weights, zero
    biases, BN weight 1 / bias 0, in modules() order."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            with torch.no_grad():
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=g)
                if m.bias is not None:
                    m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.fill_(1.0)
                m.bias.zero_()


def np_entropy(f):
    c = f.shape[1]
    rows = f.transpose(0, 2, 3, 1).reshape(-1, c)
    rows = rows - rows.mean(axis=0, keepdims=True)
    s = np.linalg.eigvalsh(rows.T @ rows / rows.shape[0])
    p = s / s.sum()
    return float(np.sum(-p * np.log(p + 1e-8)))


def np_pixel_unshuffle(a, r):
    b, c, h, w = a.shape
    return a.reshape(b, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4).reshape(b, c * r * r, h // r, w // r)


def explicit_az(net, x):
    """AZ-NAS by hand: same draws (init, input, Rademacher from the last pair), features by
    calling the blocks in sequence, block Jacobians by autograd.functional, numpy algebra."""
    net = copy.deepcopy(net).train()
    g = torch.Generator().manual_seed(FIXED_SEED)
    reference_init(net, g)
    u = torch.randn(x.shape, generator=g, dtype=x.dtype)
    blocks = [net.stem, net.b1, net.b2, net.b3]  # not lastact
    feats = [blocks[0](u).detach()]
    for blk in blocks[1:]:
        feats.append(blk(feats[-1]).detach())
    e = np.array([np_entropy(f.numpy().astype(np.float64)) for f in feats])
    scores = []
    for i in reversed(range(1, len(feats))):
        f_in, f_out = feats[i - 1], feats[i]
        g_out = (torch.bernoulli(torch.full(f_out.shape, 0.5, dtype=x.dtype), generator=g) - 0.5) * 2
        g_out = g_out.numpy().astype(np.float64)  # jac: out.shape + in.shape
        jac = torch.autograd.functional.jacobian(blocks[i], f_in).numpy().astype(np.float64)
        g_in = np.tensordot(g_out, jac, axes=g_out.ndim)
        if g_in.shape == g_out.shape and np.array_equal(g_in, g_out):
            scores.append(-np.inf)
            continue
        if g_in.shape[2] != g_out.shape[2]:
            g_in = np_pixel_unshuffle(g_in, g_in.shape[2] // g_out.shape[2])
        gi = g_in.transpose(0, 2, 3, 1).reshape(-1, g_in.shape[1])
        go = g_out.transpose(0, 2, 3, 1).reshape(-1, g_out.shape[1])
        sig = np.linalg.svd(gi.T @ go / go.shape[0], compute_uv=False).max()
        scores.append(-sig - 1.0 / (sig + 1e-6) + 2.0)
    return {"expressivity": float(e.sum()), "progressivity": float(np.min(np.diff(e))),
            "trainability": float(np.mean(scores)), "entropies": e, "terms": scores}


@pytest.fixture(scope="module")
def tiny_az():
    torch.manual_seed(0)
    net = TinyAZ().double()
    x, y = _batch(n=6, hw=6, dtype=torch.float64)
    return net, x, y


def test_az_blocks_drop_lastact(tiny_az):
    net = tiny_az[0]
    assert az_blocks(net) == [net.stem, net.b1, net.b2, net.b3]
    nb201 = _nb201(MIXED_ARCH)
    assert az_blocks(nb201) == [nb201.stem, *nb201.cells]  # the reference's cell features
    nb101 = _nb101()
    assert az_blocks(nb101) == list(nb101.layers.children())


def test_az_components_against_explicit_computation(tiny_az):
    net, x, y = tiny_az
    ref = explicit_az(net, x)
    for name, key in [("az_expressivity", "expressivity"), ("az_progressivity", "progressivity"),
                      ("az_trainability", "trainability")]:
        assert score(net, x, y, name) == pytest.approx(ref[key], rel=1e-9, abs=1e-12), name
    # non-trivial values: entropies differ per block, all terms finite and distinct
    assert len(set(np.round(ref["entropies"], 6))) == 4
    assert all(np.isfinite(ref["terms"])) and len(set(np.round(ref["terms"], 6))) == 3
    # one call computing all three agrees with the three proxies
    both = az_components(copy.deepcopy(net), x)
    assert both["trainability"] == pytest.approx(ref["trainability"], rel=1e-9)
    assert both["progressivity"] == pytest.approx(ref["progressivity"], rel=1e-9)


def test_az_trainability_identity_block_is_minus_inf(tiny_az):
    torch.manual_seed(0)
    net = TinyAZ(identity_b3=True).double()
    x, y = tiny_az[1], tiny_az[2]
    ref = explicit_az(net, x)
    assert ref["terms"][0] == -np.inf
    assert score(net, x, y, "az_trainability") == -math.inf
    assert score(net, x, y, "az_progressivity") == pytest.approx(ref["progressivity"], rel=1e-9)


def test_az_float32_network(tiny_az):
    """A float32 network (production dtype): draws in float32, statistics still agree with
    the explicit float64 algebra on the float32 features up to float32 rounding."""
    net, x, y = tiny_az
    net32, x32 = copy.deepcopy(net).float(), x.float()
    ref = explicit_az(net32, x32)
    for name in ("expressivity", "progressivity", "trainability"):
        assert score(net32, x32, y, f"az_{name}") == pytest.approx(ref[name], rel=1e-4, abs=1e-6)


# --------------------------------------------------------------------------------------
# Benchmark networks: finite values, degenerate cells, determinism, purity
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["nb201", "nb101"])
def test_scores_finite_on_benchmark_networks(which):
    net = _nb201(MIXED_ARCH) if which == "nb201" else _nb101()
    x, y = _batch()
    before = copy.deepcopy(net.state_dict())
    res = score_network(net, x, y, NAMES, arch_seed=0)
    for name in NAMES:
        assert res[name].error is None, (name, res[name].error)
        assert math.isfinite(res[name].value), (name, res[name].value)
    assert res["te_nas_ntk"].value >= 1.0
    assert 1.0 <= res["te_nas_lr"].value <= 3000.0
    assert res["az_trainability"].value <= 0.0
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the caller's net untouched


def test_degenerate_nb201_cell_scores_without_error():
    net = _nb201(NONE_ARCH)
    x, y = _batch()
    res = score_network(net, x, y, NAMES, arch_seed=0)
    for name in NAMES:
        assert res[name].error is None, (name, res[name].error)
    assert math.isnan(res["te_nas_ntk"].value)  # zero NTK: 0/0
    assert res["te_nas_lr"].value == 1.0  # one activation pattern
    assert res["az_expressivity"].value == -math.inf
    assert res["az_progressivity"].value == -math.inf
    assert math.isfinite(res["az_trainability"].value)


def test_deterministic():
    net = _nb201(MIXED_ARCH)
    x, y = _batch()
    first = score_network(net, x, y, NAMES, arch_seed=0)
    second = score_network(net, x, y, NAMES, arch_seed=0)
    for name in NAMES:
        assert first[name].value == second[name].value, name


def test_fixed_generator_is_the_seed_used():
    """The tests' independent draws assume fixed_generator = a generator seeded FIXED_SEED."""
    a = torch.randn(5, generator=fixed_generator(torch.device("cpu")))
    b = torch.randn(5, generator=torch.Generator().manual_seed(FIXED_SEED))
    assert torch.equal(a, b)


def test_te_nas_lr_counts_on_the_thin_nb201_network():
    """NB201: the reference's thin network (the cell at C = 1 + final BN/ReLU) and 1×3×3
    inputs; counted independently here with numpy on the thin network's ReLU outputs."""
    from zsnas.proxies.te_nas_lr import LR_BATCHES, LR_SAMPLES, THIN_SIZE
    arch = "|skip_connect~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|nor_conv_3x3~1|skip_connect~2|"
    net = build_nb201(arch, C=4)
    x = torch.randn(4, 3, 16, 16)
    value = score_network(net, x, torch.zeros(4, dtype=torch.long), "te_nas_lr",
                          arch_seed=0)["te_nas_lr"]
    assert value.error is None
    thin = net.linear_region_network(FIXED_SEED).train()
    assert sum(p.numel() for p in thin.parameters()) < 30        # C = 1: a few weights
    gen = fixed_generator(x.device)
    rows = []
    for _ in range(LR_BATCHES):
        u = torch.randn((LR_SAMPLES, 1, THIN_SIZE, THIN_SIZE), generator=gen)
        outs = []
        hooks = [m.register_forward_hook(lambda m, i, o: outs.append(o.reshape(len(o), -1) > 0))
                 for m in thin.modules() if isinstance(m, nn.ReLU)]
        with torch.no_grad():
            thin(u)
        for h in hooks:
            h.remove()
        rows.append(torch.cat(outs, 1).numpy())
    expect = len({r.tobytes() for r in np.concatenate(rows)})
    assert value.value == expect and 1 < expect < LR_BATCHES * LR_SAMPLES
    # the global RNG is untouched by building the thin network
    state = torch.random.get_rng_state()
    net.linear_region_network(FIXED_SEED)
    assert torch.equal(state, torch.random.get_rng_state())
