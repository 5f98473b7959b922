"""Code fingerprints: exactly the code a pipeline job runs, as one digest.

A job's code is the **import closure** of its entry modules inside the
``zsnas`` package: every ``import`` / ``from … import`` statement of every
module reached (at module level or inside a function: both may run), plus the
``__init__`` of every package on the way (Python executes them). Registries
load their plug-ins with :mod:`importlib`, which this static walk does not
follow, so a job's plug-ins are added as entry modules by name:

============  ===============================================================
stage         entry modules
============  ===============================================================
``convert``   ``zsnas.cli.convert``, the converter's module, the space module
``synth``     ``zsnas.cli.synth``, the writer's module (demo sources)
``score``     ``zsnas.cli.score``, each proxy's module (``PROXIES[p].fn``),
              the space module and its ``network`` part, the dataset module
              and its ``reader`` part
``merge``     ``zsnas.cli.merge``
``search``    ``zsnas.cli.search``, the space module and its ``evolution``
              part (sampling and mutation)
``analyse``   ``zsnas.cli.analyse``, the analysed spaces' modules and their
              ``evolution`` parts (mutation neighbourhoods), the datasets'
              modules
============  ===============================================================

The command dispatcher (``zsnas.cli.main``, ``zsnas.__main__``) only parses the
command name and reports errors; no stage imports it.

Fingerprint = sha256 over the sorted ``(module, digest)`` pairs, where a
module's digest is taken over its **tokens** with comments, blank lines,
whitespace inside lines and docstrings removed (indentation is kept as
INDENT/DEDENT tokens). So an edit that changes only comments, formatting or
documentation leaves every fingerprint unchanged and reruns nothing; any edit
that can change what the code does changes the fingerprint of every stage
whose closure holds that module, and of no other.

The Snakemake rules pass the fingerprint as a ``params`` value: Snakemake reruns
a job exactly when a parameter differs from the one recorded with its output
(no time stamps involved, so a ``git checkout`` alone reruns nothing). Output
files record the fingerprint that made them (``code_fingerprint``).

``zsnas deps STAGE …`` prints a stage's modules and fingerprint.
"""
from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import io
import tokenize
from functools import lru_cache
from pathlib import Path

PACKAGE = "zsnas"
STAGES = ("convert", "synth", "score", "merge", "search", "analyse")


def package_root() -> Path:
    """Folder of the ``zsnas`` package that is running (its ``__init__.py``'s folder)."""
    import zsnas
    return Path(zsnas.__file__).resolve().parent


def _external_file(name: str) -> Path | None:
    """Source file of a plug-in module outside the package (e.g. a space a test file or a
    user's module registers): the loaded module's file, else where it would load from."""
    import sys
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None)
    if origin is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
    if origin and origin.endswith(".py") and Path(origin).is_file():
        return Path(origin).resolve()
    return None


def module_file(name: str, root: Path | None = None) -> Path | None:
    """Source file of module ``name`` (``zsnas.x.y`` under ``root``, or a plug-in module
    outside the package), or None."""
    root = root or package_root()
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return _external_file(name)
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    if len(parts) == 1 and (root / "__init__.py").is_file():
        return root / "__init__.py"
    return None


def _is_package(name: str, root: Path) -> bool:
    f = module_file(name, root)
    return f is not None and f.name == "__init__.py"


def _resolve(module: str, level: int, current: str, root: Path) -> str:
    if level == 0:
        return module or ""
    base = current.split(".")
    if not _is_package(current, root):
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(name: str, root: Path | None = None) -> set[str]:
    """``zsnas`` modules that module ``name`` imports (anywhere in its body)."""
    root = root or package_root()
    path = module_file(name, root)
    if path is None:
        return set()
    st = path.stat()
    return set(_imports_cached(name, str(root), str(path), st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=4096)
def _imports_cached(name: str, root_text: str, path_text: str, mtime_ns: int,
                    size: int) -> frozenset:
    root, path = Path(root_text), Path(path_text)
    tree = ast.parse(path.read_bytes(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module or "", node.level, name, root)
            found.add(target)
            for alias in node.names:
                if alias.name != "*":
                    found.add(f"{target}.{alias.name}")
    return frozenset(m for m in found
                     if m.split(".")[0] == PACKAGE and module_file(m, root) is not None)


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def closure(roots, root: Path | None = None) -> list[str]:
    """Sorted module names reachable from ``roots`` by static imports (with every
    parent package's ``__init__``)."""
    root = root or package_root()
    todo = []
    for r in roots:
        if module_file(r, root) is None:
            raise ValueError(f"code fingerprint: no module {r!r} under {root}")
        todo.append(r)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name.split(".")[0] == PACKAGE:      # a plug-in outside: its file only
            todo.extend(m for m in _parents(name) if m not in seen)
        todo.extend(m for m in imports_of(name, root) if m not in seen)
    return sorted(seen)


def _docstring_spans(tree: ast.AST) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                e = body[0]
                spans.append(((e.lineno, e.col_offset), (e.end_lineno, e.end_col_offset)))
    return spans


def normalized_tokens(source: bytes) -> list[str]:
    """The module's tokens with comments, blank lines, intra-line whitespace and
    docstrings removed; f-strings kept as their exact source text (the same tokens
    on every Python version)."""
    tree = ast.parse(source)
    spans = _docstring_spans(tree)
    lines = source.decode("utf-8").splitlines(keepends=True)

    def text(start, end):
        (sl, sc), (el, ec) = start, end
        if sl == el:
            return lines[sl - 1][sc:ec]
        return lines[sl - 1][sc:] + "".join(lines[sl:el - 1]) + lines[el - 1][:ec]

    def in_docstring(tok) -> bool:
        return any(a <= tok.start and tok.end <= b for a, b in spans)

    out: list[str] = []
    fstart = getattr(tokenize, "FSTRING_START", None)
    fend = getattr(tokenize, "FSTRING_END", None)
    depth, f_begin = 0, None
    skip_newline = False
    for tok in tokenize.tokenize(io.BytesIO(source).readline):
        if fstart is not None and tok.type == fstart:
            depth += 1
            if depth == 1:
                f_begin = tok.start
            continue
        if depth:
            if tok.type == fend:
                depth -= 1
                if depth == 0:
                    out.append(text(f_begin, tok.end))
            continue
        if tok.type in (tokenize.ENCODING, tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER):
            continue
        if tok.type == tokenize.STRING and in_docstring(tok):
            skip_newline = True
            continue
        if tok.type == tokenize.NEWLINE:
            if skip_newline:
                skip_newline = False
                continue
            out.append("\n")
        elif tok.type == tokenize.INDENT:
            out.append("\x01")
        elif tok.type == tokenize.DEDENT:
            out.append("\x02")
        else:
            skip_newline = False
            out.append(tok.string)
    return out


@lru_cache(maxsize=4096)
def _digest_cached(path: str, mtime_ns: int, size: int) -> str:
    tokens = normalized_tokens(Path(path).read_bytes())
    return hashlib.sha256("\x00".join(tokens).encode("utf-8")).hexdigest()


def module_digest(path: Path) -> str:
    """Digest of one source file's normalised tokens."""
    st = path.stat()
    return _digest_cached(str(path), st.st_mtime_ns, st.st_size)


def fingerprint_of(modules, root: Path | None = None) -> str:
    """``sha256:<hex>`` over the sorted (module name, token digest) pairs."""
    root = root or package_root()
    h = hashlib.sha256()
    for name in sorted(modules):
        h.update(f"{name}={module_digest(module_file(name, root))}\n".encode())
    return "sha256:" + h.hexdigest()


# --------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------

def _module_of(dotted: str, root: Path) -> str:
    """``pkg.mod`` or ``pkg.mod.function`` / ``pkg.mod:function`` → ``pkg.mod``."""
    dotted = dotted.partition(":")[0]
    while dotted and module_file(dotted, root) is None:
        dotted = dotted.rpartition(".")[0]
    if not dotted:
        raise ValueError(f"code fingerprint: no module for {dotted!r}")
    return dotted


def stage_roots(stage: str, *, space: str | None = None, proxies=(), converter: str | None = None,
                writer: str | None = None, spaces=(), dataset: str | None = None, datasets=(),
                root: Path | None = None) -> list[str]:
    """Entry modules of a job of ``stage`` (table in the module docstring).

    ``space``: the job's search space (convert, score, search); ``proxies``: the
    proxies a score job computes; ``converter`` / ``writer``: the converter kind
    (``zsnas convert KIND``) or synthetic writer kind (``zsnas synth KIND``), or a
    dotted module / function path; ``spaces``: the spaces an analysis reads;
    ``dataset``: a score job's dataset (its module and reader); ``datasets``: the
    datasets an analysis reads.
    """
    root = root or package_root()
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")
    roots = [f"{PACKAGE}.cli.{stage}"]

    # registries are looked up by name, like the jobs do (not part of this module's imports)
    def registry(module):
        return importlib.import_module(f"{PACKAGE}.{module}")

    def space_module(name):
        return registry("spaces").get_space(name)

    def dataset_object(name):
        return registry("datasets").get_dataset(name)

    if stage == "convert":
        ref = registry("benchmarks.converters").converter_ref(converter)
        roots.append(_module_of(ref, root))
        if space:
            roots.append(space_module(space).module)
    elif stage == "synth":
        roots.append(_module_of(registry("synthetic.writers").writer_ref(writer), root))
    elif stage == "score":
        proxy_registry = registry("proxies")
        roots += sorted({proxy_registry.PROXIES[p].fn.__module__
                         for p in proxy_registry.resolve(list(proxies))})
        sp = space_module(space)
        roots += [sp.module] + sp.part_modules("network")
        if dataset:
            data = dataset_object(dataset)
            roots += [data.module] + data.part_modules("reader")
    elif stage == "search":
        sp = space_module(space)
        roots += [sp.module] + sp.part_modules("evolution")
    elif stage == "analyse":
        roots += sorted({space_module(s).module for s in spaces})
        # the neighbourhood analysis mutates architectures with the space's own moves
        roots += sorted({m for s in spaces for m in space_module(s).part_modules("evolution")})
        roots += sorted({dataset_object(d).module for d in datasets})
    return roots


def stage_modules(stage: str, **kwargs) -> list[str]:
    """The closure of :func:`stage_roots`."""
    root = kwargs.get("root") or package_root()
    return closure(stage_roots(stage, **kwargs), root)


def stage_fingerprint(stage: str, **kwargs) -> str:
    """Fingerprint of the code a job of ``stage`` runs (see :func:`stage_roots`)."""
    root = kwargs.get("root") or package_root()
    return fingerprint_of(stage_modules(stage, **kwargs), root)


def converter_fingerprint(converter: str, space: str) -> str:
    """Fingerprint of a ``convert`` job (recorded in the benchmark file)."""
    return stage_fingerprint("convert", converter=converter, space=space)


__all__ = ["STAGES", "closure", "converter_fingerprint", "fingerprint_of", "imports_of",
           "module_digest", "normalized_tokens", "package_root", "stage_fingerprint",
           "stage_modules", "stage_roots"]
