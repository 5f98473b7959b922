"""NAS-Bench-201 cell search space (Dong & Yang, "NAS-Bench-201: Extending the
Scope of Reproducible Neural Architecture Search", ICLR 2020; identical to the
NATS-Bench topology space "tss").

The searched cell is a DAG with 4 nodes: node 0 is the cell input, node 3 the
cell output.  Every pair ``i < j`` is an edge carrying exactly one of five
operations (``OPS``), and ``node_j = sum_{i<j} op_{i->j}(node_i)``.  A cell is
therefore a tuple of 6 op ids, giving ``5**6 = 15,625`` architectures.

Architecture strings use the benchmark's format (SPEC §2.2)::

    '|A~0|+|B~0|C~1|+|D~0|E~1|F~2|'

Groups separated by ``+`` are the target nodes 1, 2, 3; inside a group,
``op~i`` means "op applied to node i".  The edge order of the string -- and of
every op tuple in this package -- is ``EDGES``:
(0->1), (0->2), (1->2), (0->3), (1->3), (2->3).  This differs from NASLib's
edge order and op indices (SPEC §2.1).

The index <-> string order of the benchmark is *not* defined here: it is the
order of ``meta_archs`` in the benchmark file (SPEC §2.5).

Sampling and mutation live in :mod:`.nb201_evolution` (the search's part of
the space), the network in :mod:`zsnas.networks.nb201` (the scoring part);
this module holds the encoding and registers the space.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import Accuracy, SearchSpace, register

__all__ = [
    "OPS",
    "EDGES",
    "NUM_EDGES",
    "NUM_OPS",
    "NUM_ARCHS",
    "parse_arch",
    "arch_str",
    "to_matrix",
    "is_connected",
    "NB201Archs",
    "SPACE",
]

#: Canonical op list (AutoDL ``NAS_BENCH_201`` order, SPEC §2.1); index = op id.
OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: (src, dst) of the 6 edges in arch-string order (SPEC §2.2).
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NUM_EDGES: int = 6
NUM_OPS: int = 5
NUM_NODES: int = 4
NUM_ARCHS: int = NUM_OPS**NUM_EDGES  # 15,625

_OP_INDEX = {name: i for i, name in enumerate(OPS)}
# Edge indices (into EDGES) grouped by target node 1, 2, 3.
_EDGES_BY_NODE: tuple[tuple[int, ...], ...] = tuple(
    tuple(e for e, (_, dst) in enumerate(EDGES) if dst == node) for node in range(1, NUM_NODES)
)

def _check_ops(ops: Sequence[int]) -> tuple[int, ...]:
    """Validate an op tuple (6 ints in ``range(5)``) and return it as a tuple."""
    try:
        out = tuple(int(o) for o in ops)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ops must be a sequence of {NUM_EDGES} ints, got {ops!r}") from exc
    if len(out) != NUM_EDGES:
        raise ValueError(f"ops must have {NUM_EDGES} entries, got {len(out)}: {ops!r}")
    if any(o < 0 or o >= NUM_OPS for o in out):
        raise ValueError(f"op ids must be in 0..{NUM_OPS - 1}, got {ops!r}")
    return out


def parse_arch(s: str) -> tuple[int, ...]:
    """Parse an NB201 arch string into 6 op ids in ``EDGES`` order.

    Follows AutoDL's ``str2lists`` (SPEC §2.2), but strictly: exactly 3 groups
    with 1, 2, 3 tokens, each token ``op~src`` with a known op and the sources
    0..j-1 in order.  Raises ``ValueError`` naming the string otherwise.
    """
    if not isinstance(s, str):
        raise ValueError(f"arch string must be a str, got {type(s).__name__}: {s!r}")
    groups = s.split("+")
    if len(groups) != NUM_NODES - 1:
        raise ValueError(f"bad NB201 arch string {s!r}: expected 3 '+'-separated groups, got {len(groups)}")
    ops: list[int] = []
    for node, group in enumerate(groups, start=1):
        if not (len(group) >= 2 and group[0] == "|" and group[-1] == "|"):
            raise ValueError(f"bad NB201 arch string {s!r}: group {group!r} must start and end with '|'")
        tokens = group[1:-1].split("|")
        if len(tokens) != node:
            raise ValueError(
                f"bad NB201 arch string {s!r}: node {node} needs {node} inputs, got {len(tokens)} in {group!r}"
            )
        for src, token in enumerate(tokens):
            parts = token.split("~")
            if len(parts) != 2:
                raise ValueError(f"bad NB201 arch string {s!r}: token {token!r} is not 'op~src'")
            name, src_str = parts
            if name not in _OP_INDEX:
                raise ValueError(f"bad NB201 arch string {s!r}: unknown op {name!r} (known: {', '.join(OPS)})")
            if src_str != str(src):
                raise ValueError(
                    f"bad NB201 arch string {s!r}: token {token!r} of node {node} must have source node {src}"
                )
            ops.append(_OP_INDEX[name])
    return tuple(ops)


def arch_str(ops: Sequence[int]) -> str:
    """Format 6 op ids (``EDGES`` order) as an NB201 arch string (inverse of ``parse_arch``)."""
    ops = _check_ops(ops)
    groups = []
    for edge_ids in _EDGES_BY_NODE:
        tokens = [f"{OPS[ops[e]]}~{EDGES[e][0]}" for e in edge_ids]
        groups.append("|" + "|".join(tokens) + "|")
    return "+".join(groups)


def to_matrix(ops: Sequence[int]) -> np.ndarray:
    """4x4 int matrix with ``M[j, i]`` = op id of edge i->j (AutoDL ``str2matrix``, SPEC §2.2).

    Note that ``none`` (id 0) is indistinguishable from "no edge".
    """
    ops = _check_ops(ops)
    m = np.zeros((NUM_NODES, NUM_NODES), dtype=np.int64)
    for (src, dst), op in zip(EDGES, ops):
        m[dst, src] = op
    return m


def is_connected(ops: Sequence[int]) -> bool:
    """True iff some path from node 0 to node 3 uses only non-``none`` edges.

    Cells without such a path output a constant zero tensor (their networks
    ignore the input; zero-cost proxies become degenerate there).
    """
    ops = _check_ops(ops)
    reached = {0}
    for (src, dst), op in zip(EDGES, ops):  # EDGES is topologically ordered by dst
        if op != 0 and src in reached:
            reached.add(dst)
    return NUM_NODES - 1 in reached


# --------------------------------------------------------------------------
# The benchmark file's /archs columns, and the registered space
# --------------------------------------------------------------------------

class NB201Archs:
    """The ``/archs`` columns of an NB201 benchmark file: ``ops`` uint8 (n, 6) in
    ``EDGES`` order and ``arch_str`` (utf-8), both in ``/archs/id`` order."""

    columns = ("ops", "arch_str")

    def __init__(self, group, n: int):
        self.op_rows = group["ops"][()]
        self.strings = [s.decode() if isinstance(s, bytes) else str(s)
                        for s in group["arch_str"][()]]
        if self.op_rows.shape != (n, NUM_EDGES) or len(self.strings) != n:
            raise ValueError(f"/archs/ops has shape {self.op_rows.shape} and /archs/arch_str "
                             f"{len(self.strings)} rows; expected ({n}, {NUM_EDGES}) and {n}")

    def encoding(self, row: int) -> str:
        return self.strings[row]

    def ops(self, row: int) -> tuple[int, ...]:
        return tuple(int(o) for o in self.op_rows[row])

    def arch_str(self, row: int) -> str:
        return self.strings[row]

    def arch(self, row: int) -> tuple[int, ...]:
        """The network builder's input: the op tuple."""
        return self.ops(row)

    def keys(self, ids) -> dict:
        """Every encoding form -> id (arch string and op tuple)."""
        index = {s: int(i) for s, i in zip(self.strings, ids)}
        index.update({tuple(int(o) for o in ops): int(i) for ops, i in zip(self.op_rows, ids)})
        return index

    @staticmethod
    def key(encoding):
        if isinstance(encoding, (list, tuple, np.ndarray)):
            return tuple(int(o) for o in encoding)
        return encoding


def check_encoding(text: str) -> None:
    """Raise ValueError unless ``text`` is an NB201 arch string."""
    parse_arch(text)


def unique_str(ops) -> str:
    """The canonical form of a cell up to isomorphism and the algebra of ``none`` /
    ``skip_connect`` — AutoDL's ``CellStructure.to_unique_str(consider_zero=True)``:
    each node is the sorted ``+``-sum of its input terms, where an edge from node i
    is ``#`` (zero) if its op is ``none`` or node i is ``#``, node i itself if its op
    is ``skip_connect``, and ``(node i)@op`` otherwise; the cell's form is node 3's.
    Zero terms stay in the sums, as in AutoDL's rule, which is what gives the
    6,466 unique topologies NAS-Bench-201 reports (dropping them as well would merge
    x + 0 with x and give 5,390)."""
    ops = _check_ops(ops)
    nodes = {0: "0"}
    for node in range(1, NUM_NODES):
        terms = []
        for e in _EDGES_BY_NODE[node - 1]:
            src, op = EDGES[e][0], OPS[ops[e]]
            if op == "none" or nodes[src] == "#":
                terms.append("#")
            elif op == "skip_connect":
                terms.append(nodes[src])
            else:
                terms.append(f"({nodes[src]})@{op}")
        nodes[node] = "+".join(sorted(terms))
    return nodes[NUM_NODES - 1]


def describe(ops) -> dict:
    """What ``zsnas arch`` prints of a cell (besides size and FLOPs)."""
    return {"arch": arch_str(ops), "ops": list(ops), "connected": is_connected(ops)}


def format_line(info: dict) -> str:
    return (f"{info['arch']}\tops={','.join(map(str, info['ops']))}\tparams={info['params']}"
            f"\tmflops={info['mflops']}")


def table_arch(row: dict):
    """``convert table``: the ``arch`` column (an arch string) -> (key, ops)."""
    arch = row["arch"]
    if not isinstance(arch, str):
        raise ValueError(f"arch {arch!r} is not a string")
    ops = parse_arch(arch)
    return ops, ops


def archs_columns(cells: list) -> dict:
    """The ``/archs`` columns of a list of op tuples (in id order)."""
    ops = np.array(cells, dtype=np.uint8).reshape(-1, NUM_EDGES)
    return {"ops": ops, "arch_str": [arch_str(tuple(int(o) for o in row)) for row in ops]}


SPACE = register(SearchSpace(
    name="nb201", label="NAS-Bench-201", size=NUM_ARCHS,
    datasets=("cifar10", "cifar100", "ImageNet16-120"), budgets=(12, 200),
    converters=("nats", "nb201-pth", "table"),
    read_archs=NB201Archs, check_encoding=check_encoding, parse_spec=parse_arch,
    describe=describe, format_line=format_line,
    table_columns=("arch",), table_arch=table_arch, archs_columns=archs_columns,
    reports=(Accuracy("nb201-200-mean", "test_acc", 200, "mean",
                      "test accuracy after 200 epochs, mean over trials (CIFAR-10: ori-test of "
                      "the model trained on all 50k; CIFAR-100 / ImageNet16-120: x-test)"),
             Accuracy("nb201-ori-test-200-mean", "ori_test_acc", 200, "mean",
                      "CIFAR-100 / ImageNet16-120: ori-test (x-valid + x-test) after 200 "
                      "epochs, mean over trials")),
    dataset_reports={"cifar10": ("nb201-200-mean",)},
    time_rule="zsnas.spaces.nb201_evolution:simulated_train_time",
    canonical=unique_str,
    network="zsnas.networks.nb201:build",
    params_flops="zsnas.networks.nb201:params_flops", network_name="nb201-tinynetwork-N5",
    default_width=16, min_width=1,
    evolution="zsnas.spaces.nb201_evolution:NB201Adapter", mutations=("gea", "uniform"),
    module=__name__))
