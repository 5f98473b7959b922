"""NAS-Bench-101 cell search space (Ying et al., ICML 2019).

A cell ("module") is a DAG given by a square, strictly upper-triangular 0/1
adjacency matrix (edge ``i -> j`` only for ``i < j``) and one op label per
vertex: vertex 0 is :data:`INPUT`, the last vertex is :data:`OUTPUT` and every
interior vertex carries one of :data:`OPS`.  The space holds at most
:data:`MAX_VERTICES` vertices and :data:`MAX_EDGES` edges; after isomorphism
de-duplication it contains :data:`NUM_ARCHS` unique cells (SPEC §3.1).

This module mirrors the public ``nasbench`` API (``nasbench/lib/model_spec.py``
and ``nasbench/lib/graph_util.py``):

- :class:`ModelSpec` prunes vertices off every input->output path (SPEC §3.2)
  and checks validity like ``NASBench._check_spec`` (SPEC §3.1);
- :func:`graph_hash` is the iterated-MD5 fingerprint ``hash_module`` that keys
  the dataset (SPEC §3.3); isomorphic cells hash equal;
- sampling and mutation (the NB101 paper's sampler and mutation, GEA's
  single-edge flip) live in :mod:`.nb101_evolution`, the network in
  :mod:`zsnas.networks.nb101`; this module holds the encoding and registers
  the space.
"""

from __future__ import annotations

import hashlib
import json
from operator import itemgetter
from typing import Callable, Sequence

import numpy as np

from .base import Accuracy, SearchSpace, register

__all__ = [
    "INPUT",
    "OUTPUT",
    "OPS",
    "MAX_VERTICES",
    "MAX_EDGES",
    "NUM_ARCHS",
    "ModelSpec",
    "prune",
    "graph_hash",
    "OP_CODES",
    "NB101Archs",
    "SPACE",
]

INPUT = "input"
OUTPUT = "output"
#: Interior op labels; the position in this tuple is the op index used by the hash.
OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
MAX_VERTICES = 7
MAX_EDGES = 9
NUM_ARCHS = 423624

_OP_INDEX = {op: i for i, op in enumerate(OPS)}
#: Vertex label codes of the hash and of the benchmark file's ``/archs/ops``.
OP_CODES = {INPUT: -1, OUTPUT: -2, **_OP_INDEX}
#: ``/archs/ops`` padding beyond a cell's vertices.
PAD_CODE = -3


# --------------------------------------------------------------------------
# Graph hash (SPEC §3.3)
# --------------------------------------------------------------------------

try:  # CPython's built-in MD5 is faster than OpenSSL's for tiny inputs.
    from _md5 import md5 as _fast_md5
except ImportError:  # pragma: no cover - other interpreters
    _fast_md5 = hashlib.md5


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


# The initial per-vertex hash depends only on (out_degree, in_degree, label),
# a tiny domain, so it is memoised.
_INITIAL_HASH_CACHE: dict[tuple[int, int, int], str] = {}


def _initial_hash(key: tuple[int, int, int]) -> str:
    h = _INITIAL_HASH_CACHE.get(key)
    if h is None:
        # str() of a python tuple of ints, e.g. "(2, 0, -1)", exactly as nasbench.
        h = _INITIAL_HASH_CACHE[key] = _md5(str(key))
    return h


def _concat_getter(idx: list[int]) -> Callable[[list[str]], str]:
    """Function mapping the hash list to the sorted concatenation of ``hashes[idx]``."""
    if not idx:
        return lambda hashes: ""
    if len(idx) == 1:
        return itemgetter(idx[0])
    get = itemgetter(*idx)
    return lambda hashes: "".join(sorted(get(hashes)))


def _graph_hash_lists(rows: list[list[int]], labels: Sequence[int]) -> str:
    """:func:`graph_hash` on a matrix given as a list of lists of python ints.

    Neighbour lists are precomputed once as ``itemgetter``s so the V x V inner
    loop is just string joins and MD5 calls.
    """
    vertices = range(len(rows))
    out_nb = [[w for w in vertices if row[w]] for row in rows]
    in_nb = [[w for w in vertices if rows[w][v]] for v in vertices]
    hashes = [
        _initial_hash((len(o), len(i), int(lab))) for o, i, lab in zip(out_nb, in_nb, labels)
    ]
    getters = [(_concat_getter(i), _concat_getter(o)) for i, o in zip(in_nb, out_nb)]
    md5 = _fast_md5
    for _ in vertices:
        hashes = [
            md5(f"{get_in(hashes)}|{get_out(hashes)}|{h}".encode()).hexdigest()
            for (get_in, get_out), h in zip(getters, hashes)
        ]
    # str() of a python list of str, e.g. "['ab…', 'cd…']", exactly as nasbench.
    return _md5(str(sorted(hashes)))


def graph_hash(matrix, labels: Sequence[int]) -> str:
    """Iterated-MD5 graph fingerprint of NAS-Bench-101 (``graph_util.hash_module``).

    Rule (SPEC §3.3), with ``in_d``/``out_d`` the in/out degrees::

        h[v] = md5(str((out_d[v], in_d[v], labels[v])))
        repeat V times:
            h'[v] = md5(''.join(sorted(h[w] for w -> v)) + '|'
                        + ''.join(sorted(h[w] for v -> w)) + '|' + h[v])
        fingerprint = md5(str(sorted(h)))

    ``md5`` is the hex digest over UTF-8 bytes and ``str`` the Python repr of
    a tuple / list, reproduced exactly, so the result equals the dataset keys.

    Args:
        matrix: square 0/1 adjacency matrix (array-like), normally pruned.
        labels: one int per vertex; NAS-Bench-101 uses
            ``[-1] + [OPS.index(op) for interior ops] + [-2]``.

    Returns:
        32-character lowercase hex string.
    """
    rows = matrix.tolist() if isinstance(matrix, np.ndarray) else [list(r) for r in matrix]
    if len(rows) != len(labels) or any(len(r) != len(rows) for r in rows):
        raise ValueError(
            f"graph_hash: matrix must be square with one label per vertex, got "
            f"{len(rows)} rows and {len(labels)} labels"
        )
    return _graph_hash_lists([[int(x) for x in r] for r in rows], labels)


# --------------------------------------------------------------------------
# Pruning (SPEC §3.2)
# --------------------------------------------------------------------------

def _kept_vertices(rows: list[list[int]]) -> list[int] | None:
    """Vertices on some input->output path, ascending; None if there is no path."""
    n = len(rows)
    if n < 2:
        return None
    fwd = {0}
    frontier = [0]
    while frontier:
        top = frontier.pop()
        for v in range(top + 1, n):
            if rows[top][v] and v not in fwd:
                fwd.add(v)
                frontier.append(v)
    bwd = {n - 1}
    frontier = [n - 1]
    while frontier:
        top = frontier.pop()
        for v in range(0, top):
            if rows[v][top] and v not in bwd:
                bwd.add(v)
                frontier.append(v)
    kept = sorted(fwd & bwd)
    # nasbench: invalid if more than V-2 vertices are extraneous.
    if len(kept) < 2:
        return None
    return kept


def _as_square_array(matrix, who: str) -> np.ndarray:
    try:
        return np.asarray(matrix)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{who}: matrix must be square 2-D ({exc})") from None


def prune(matrix, ops: Sequence[str]) -> tuple[np.ndarray, list[str]] | None:
    """Remove vertices that lie on no input->output path (``ModelSpec._prune``).

    Rule (SPEC §3.2): forward DFS from vertex 0 along edges ``i -> j`` (j > i)
    gives F, backward DFS from vertex V-1 gives B; keep the vertices in
    F ∩ B in their original relative order and delete the other rows,
    columns and ops.  If fewer than 2 vertices remain (no input->output path)
    the cell is invalid and ``None`` is returned.

    Args:
        matrix: square upper-triangular 0/1 adjacency matrix (array-like).
        ops: one label per vertex.

    Returns:
        ``(pruned_matrix, pruned_ops)`` or ``None``.
    """
    arr = _as_square_array(matrix, "prune")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] != len(ops):
        raise ValueError(
            f"prune: need a square matrix with one op per vertex, got shape "
            f"{arr.shape} and {len(ops)} ops"
        )
    rows = arr.tolist()
    kept = _kept_vertices(rows)
    if kept is None:
        return None
    pruned = np.array([[rows[i][j] for j in kept] for i in kept], dtype=np.int64)
    return pruned, [ops[i] for i in kept]


# --------------------------------------------------------------------------
# ModelSpec
# --------------------------------------------------------------------------

def _structure_error(rows: list[list], n_ops: int) -> str | None:
    """Reason why a matrix is not a square upper-triangular 0/1 matrix, or None."""
    n = len(rows)
    if any(len(r) != n for r in rows):
        return "matrix must be square"
    if n != n_ops:
        return f"length of ops ({n_ops}) must match matrix dimension ({n})"
    for i, row in enumerate(rows):
        for j, x in enumerate(row):
            if x not in (0, 1):
                return f"matrix entries must be 0 or 1, got {x!r} at ({i}, {j})"
            if x and j <= i:
                return f"matrix must be strictly upper triangular, got an edge {i}->{j}"
    return None


class ModelSpec:
    """A NAS-Bench-101 cell: adjacency matrix + op labels, pruned on construction.

    Mirrors ``nasbench.api.ModelSpec``.  The constructor keeps un-pruned copies
    in :attr:`original_matrix` / :attr:`original_ops` and stores the pruned
    cell (SPEC §3.2) in :attr:`matrix` (``np.int64`` array) / :attr:`ops`.  If
    no input->output path exists, :attr:`valid_spec` is False and
    ``matrix``/``ops`` are None.

    Structurally malformed input (matrix not 2-D or not square, ``len(ops)``
    different from the matrix size) raises :class:`ValueError`.  A square
    matrix that is not strictly upper triangular or not 0/1 is accepted but
    marked invalid (``valid_spec`` False, :meth:`is_valid` False), unlike
    nasbench which raises for a non-upper-triangular matrix.
    """

    __slots__ = (
        "original_matrix",
        "original_ops",
        "matrix",
        "ops",
        "valid_spec",
        "_structure_error",
        "_rows",
        "_hash",
    )

    def __init__(self, matrix, ops: Sequence[str]):
        arr = _as_square_array(matrix, "ModelSpec")
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise ValueError(f"ModelSpec: matrix must be square 2-D, got shape {arr.shape}")
        ops = list(ops)
        if arr.shape[0] != len(ops):
            raise ValueError(
                f"ModelSpec: length of ops ({len(ops)}) must match matrix "
                f"dimension ({arr.shape[0]})"
            )
        rows = arr.tolist()
        self.original_matrix = arr.copy()
        self.original_ops = list(ops)
        self._structure_error = _structure_error(rows, len(ops))
        self._hash: str | None = None
        kept = None if self._structure_error else _kept_vertices(rows)
        if kept is None:
            self.valid_spec = False
            self.matrix = None
            self.ops = None
            self._rows = None
            return
        self.valid_spec = True
        if len(kept) == len(rows):
            self._rows = [[int(x) for x in r] for r in rows]
        else:
            self._rows = [[int(rows[i][j]) for j in kept] for i in kept]
        self.matrix = np.array(self._rows, dtype=np.int64)
        self.ops = [ops[i] for i in kept]

    # -- validity ----------------------------------------------------------

    def check(self) -> str | None:
        """Why the spec is not a NAS-Bench-101 cell, or None if it is one.

        Rules of ``NASBench._check_spec`` (SPEC §3.1): square strictly
        upper-triangular 0/1 matrix; an input->output path exists (valid after
        pruning); at most :data:`MAX_VERTICES` vertices and :data:`MAX_EDGES`
        edges, both counted **after** pruning; first op :data:`INPUT`, last op
        :data:`OUTPUT`, all others in :data:`OPS`.
        """
        if self._structure_error:
            return self._structure_error
        if not self.valid_spec:
            return "no path from input to output"
        n = len(self._rows)
        if n > MAX_VERTICES:
            return f"{n} vertices after pruning > {MAX_VERTICES}"
        edges = sum(map(sum, self._rows))
        if edges > MAX_EDGES:
            return f"{edges} edges after pruning > {MAX_EDGES}"
        if self.ops[0] != INPUT:
            return f"first op must be {INPUT!r}, got {self.ops[0]!r}"
        if self.ops[-1] != OUTPUT:
            return f"last op must be {OUTPUT!r}, got {self.ops[-1]!r}"
        for op in self.ops[1:-1]:
            if op not in _OP_INDEX:
                return f"unknown op {op!r}; allowed: {OPS}"
        return None

    def is_valid(self) -> bool:
        """True iff the spec is a member of the NAS-Bench-101 space (see :meth:`check`)."""
        return self.check() is None

    # -- hash --------------------------------------------------------------

    def hash_spec(self) -> str:
        """Dataset key of the pruned cell: :func:`graph_hash` with labels
        ``[-1] + [OPS.index(op) for interior ops] + [-2]`` (SPEC §3.3).

        Works for any spec that is valid after pruning and has known ops (also
        for > 9 edges, as in nasbench); raises ValueError otherwise.
        """
        if self._hash is None:
            if not self.valid_spec:
                raise ValueError(
                    "ModelSpec.hash_spec: invalid spec "
                    f"({self._structure_error or 'no path from input to output'})"
                )
            try:
                labels = [-1] + [_OP_INDEX[op] for op in self.ops[1:-1]] + [-2]
            except KeyError as exc:
                raise ValueError(f"ModelSpec.hash_spec: unknown op {exc.args[0]!r}") from None
            self._hash = _graph_hash_lists(self._rows, labels)
        return self._hash

    # -- serialisation -----------------------------------------------------

    def to_json(self) -> dict:
        """``{"adjacency": [[...]], "ops": [...]}`` of the pruned cell."""
        if not self.valid_spec:
            raise ValueError("ModelSpec.to_json: invalid spec has no pruned matrix")
        return {"adjacency": [list(r) for r in self._rows], "ops": list(self.ops)}

    @classmethod
    def from_json(cls, obj: dict | str) -> "ModelSpec":
        """Inverse of :meth:`to_json`; accepts the dict or its JSON string."""
        if isinstance(obj, (str, bytes)):
            obj = json.loads(obj)
        try:
            return cls(obj["adjacency"], obj["ops"])
        except KeyError as exc:
            raise ValueError(f"ModelSpec.from_json: missing key {exc.args[0]!r}") from None

    def __repr__(self) -> str:
        if not self.valid_spec:
            return f"ModelSpec(invalid, original_ops={self.original_ops!r})"
        return f"ModelSpec(adjacency={self._rows!r}, ops={self.ops!r})"


# --------------------------------------------------------------------------
# The benchmark file's /archs columns, and the registered space
# --------------------------------------------------------------------------

_LABELS = {code: label for label, code in OP_CODES.items()}


class NB101Archs:
    """The ``/archs`` columns of an NB101 benchmark file: ``hash`` |S32 (n,),
    ``num_vertices`` uint8 (n,), ``adjacency`` uint8 (n, 7, 7) zero padded and
    ``ops`` int8 (n, 7) hash labels (:data:`OP_CODES`, :data:`PAD_CODE` padding)."""

    columns = ("hash", "num_vertices", "adjacency", "ops")

    def __init__(self, group, n: int):
        self.hashes = group["hash"][()]
        self.num_vertices = group["num_vertices"][()]
        self.adjacency = group["adjacency"][()]
        self.op_codes = group["ops"][()]
        shapes = {"hash": (n,), "num_vertices": (n,), "adjacency": (n, MAX_VERTICES, MAX_VERTICES),
                  "ops": (n, MAX_VERTICES)}
        for name, arr in zip(self.columns, (self.hashes, self.num_vertices, self.adjacency,
                                            self.op_codes)):
            if arr.shape != shapes[name]:
                raise ValueError(f"/archs/{name} has shape {arr.shape}, expected {shapes[name]}")

    def encoding(self, row: int) -> str:
        return self.hashes[row].decode()

    def module_hash(self, row: int) -> str:
        return self.hashes[row].decode()

    def spec(self, row: int) -> tuple[np.ndarray, list[str]]:
        v = int(self.num_vertices[row])
        ops = [_LABELS[int(o)] for o in self.op_codes[row, :v]]
        return self.adjacency[row, :v, :v].astype(np.int64), ops

    def ops(self, row: int) -> list[str]:
        return self.spec(row)[1]

    def arch(self, row: int) -> "ModelSpec":
        """The network builder's input: the pruned cell."""
        return ModelSpec(*self.spec(row))

    def keys(self, ids) -> dict:
        return {h.decode(): int(i) for h, i in zip(self.hashes, ids)}

    @staticmethod
    def key(encoding):
        return encoding


def check_encoding(text: str) -> None:
    """Raise ValueError unless ``text`` is an NB101 module hash (32 hex digits)."""
    if not (isinstance(text, str) and len(text) == 32
            and all(c in "0123456789abcdef" for c in text)):
        raise ValueError(f"{text!r} is not an NB101 module hash (32 lower-case hex digits)")


#: Short op labels accepted in tables and ``zsnas arch`` specs.
OP_ALIASES = {"conv3x3": "conv3x3-bn-relu", "conv1x1": "conv1x1-bn-relu"}


def cell_from(adjacency, ops) -> ModelSpec:
    """A valid, pruned cell from an adjacency matrix and op labels (JSON text or lists);
    ValueError naming the problem otherwise."""
    try:
        matrix = json.loads(adjacency) if isinstance(adjacency, str) else adjacency
        labels = json.loads(ops) if isinstance(ops, str) else ops
        labels = [OP_ALIASES.get(o, o) for o in labels]
        spec = ModelSpec(np.asarray(matrix, dtype=np.int64), list(labels))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"malformed NB101 cell ({exc})") from None
    if not spec.is_valid():
        raise ValueError(f"cell {matrix} {labels} is outside the NAS-Bench-101 space (no "
                         "input→output path, >7 vertices, >9 edges or unknown op)")
    return spec


def parse_spec(text: str) -> ModelSpec:
    """``zsnas arch``: a JSON ``{"adjacency": [[...]], "ops": [...]}`` -> a valid cell."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"NB101 spec is not JSON ({exc.msg}): {text!r}") from None
    if not isinstance(obj, dict) or set(obj) != {"adjacency", "ops"}:
        raise ValueError(f'NB101 spec must be {{"adjacency": [[...]], "ops": [...]}}: {text!r}')
    try:
        return cell_from(obj["adjacency"], obj["ops"])
    except ValueError as exc:
        raise ValueError(f"not a NAS-Bench-101 cell: {exc}") from None


def describe(spec: ModelSpec) -> dict:
    return {**spec.to_json(), "hash": spec.hash_spec()}


def format_line(info: dict) -> str:
    enc = json.dumps({"adjacency": info["adjacency"], "ops": info["ops"]}, separators=(",", ":"))
    return f"{info['hash']}\t{enc}\tparams={info['params']}\tmflops={info['mflops']}"


def table_arch(row: dict):
    """``convert table``: the ``adjacency`` and ``ops`` columns -> (module hash, cell);
    isomorphic rows share the hash, so they are one architecture."""
    spec = cell_from(row["adjacency"], row["ops"])
    return spec.hash_spec(), spec


def archs_columns(cells: list) -> dict:
    """The ``/archs`` columns of a list of cells (in id order)."""
    n = len(cells)
    hashes, nv = [], np.zeros(n, dtype=np.uint8)
    adjacency = np.zeros((n, MAX_VERTICES, MAX_VERTICES), dtype=np.uint8)
    codes = np.full((n, MAX_VERTICES), PAD_CODE, dtype=np.int8)
    for r, spec in enumerate(cells):
        v = len(spec.ops)
        hashes.append(spec.hash_spec())
        nv[r] = v
        adjacency[r, :v, :v] = np.asarray(spec.matrix)
        codes[r, :v] = [OP_CODES[o] for o in spec.ops]
    return {"hash": np.array(hashes, dtype="S32"), "num_vertices": nv, "adjacency": adjacency,
            "ops": codes}


SPACE = register(SearchSpace(
    name="nb101", label="NAS-Bench-101", size=NUM_ARCHS,
    datasets=("cifar10",), budgets=(4, 12, 36, 108), converters=("nb101", "table"),
    read_archs=NB101Archs, check_encoding=check_encoding, parse_spec=parse_spec,
    describe=describe, format_line=format_line,
    table_columns=("adjacency", "ops"), table_arch=table_arch, archs_columns=archs_columns,
    reports=(Accuracy("nb101-108-mean", "test_acc", 108, "mean",
                      "test accuracy after 108 epochs, mean over trials (the customary NB101 "
                      "number)"),
             Accuracy("nb101-max", "test_acc", None, "max-over-budgets",
                      "GEA's: maximum test accuracy over every budget and trial (biased "
                      "upwards)")),
    time_rule="zsnas.spaces.nb101_evolution:simulated_train_time",
    network="zsnas.networks.nb101:build",
    params_flops="zsnas.networks.nb101:params_flops", network_name="nb101-3x3",
    default_width=128, min_width=5,   # the widest cell feeds 5 vertices into the output
    evolution="zsnas.spaces.nb101_evolution:NB101Adapter", mutations=("gea", "paper"),
    module=__name__))
