# Shared helpers: the code that runs, paths, registries, code fingerprints, config checks.
import os
import re
import shlex
import stat
import sys
from functools import cache
from pathlib import Path

# The checkout's package is the code that runs: the Snakefile imports it from src/ (so the
# registries and code fingerprints below describe that code) and every rule runs it
# (PYTHONPATH=src), also inside a --use-conda environment, which holds only the
# dependencies. Without a src/ beside the Snakefile the installed zsnas is used by both.
SRC = Path(workflow.basedir) / "src"
if (SRC / "zsnas").is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
# plug-in modules (extra spaces, datasets, proxies) are imported by the registries, here and
# in every job
PLUGINS = list(config.get("plugins", []))
if PLUGINS:
    os.environ["ZSNAS_PLUGINS"] = ",".join(PLUGINS)

from zsnas.benchmarks.converters import CONVERTERS
from zsnas.benchmarks.sources import SOURCES
from zsnas.codedeps import stage_fingerprint
from zsnas.datasets import dataset_names, get_dataset
from zsnas.errors import UsageError
from zsnas.proxies import PROXIES
from zsnas.scoring.ensembles import PRESETS as ENSEMBLE_PRESETS
from zsnas.scoring.ensembles import from_config as ensemble_from_config
from zsnas.search.run import STRATEGIES
from zsnas.spaces import get_space, space_names

# The interpreter that runs Snakemake runs the jobs (its venv need not be active); with
# --use-conda, the environment's python.
try:
    from snakemake.settings.types import DeploymentMethod
    _CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
except (ImportError, AttributeError):
    _CONDA = False
PYTHON = "python" if _CONDA else shlex.quote(sys.executable)
_PLUGIN_ENV = f'ZSNAS_PLUGINS="{",".join(PLUGINS)}" ' if PLUGINS else ""
ZSNAS = (f'{_PLUGIN_ENV}PYTHONPATH="{SRC}${{PYTHONPATH:+:$PYTHONPATH}}" '
         f'{PYTHON} -m zsnas')

R = config["results"]
D = config["data"]
# a benchmark is one search space on one dataset: (space, dataset), written SPACE/DATASET
BENCHMARKS = [tuple(str(b).split("/", 1)) for b in config["benchmarks"]]
SPACES = list(dict.fromkeys(s for s, _ in BENCHMARKS))
DATASETS = list(dict.fromkeys(d for _, d in BENCHMARKS))
SCORING = config["scoring"]
SEARCH = config["search"]
GROUPS = {name: list(proxies) for name, proxies in SCORING["groups"].items()}
N_SHARDS = int(SCORING["shards"])
SEEDS = list(range(SEARCH["seeds"]["start"], SEARCH["seeds"]["start"] + SEARCH["seeds"]["count"]))
GUIDES = list(SEARCH["proxies"])                       # GEA guided by each proxy
ENSEMBLES = {}                        # the guides that are ensembles of cached proxies: name -> Ensemble
BASELINE_STRATEGIES = list(SEARCH.get("strategies", []))
# cuda or auto (GPU when the job finds one) ask the scheduler for a GPU: resources gpu=1
ON_GPU = str(SCORING.get("device", "cpu")).startswith(("cuda", "auto"))
WORKERS = int(SCORING.get("workers", 1))
WIDTH = {s: get_space(s).default_width for s in space_names()} | SCORING.get("width", {})
SPACE_PATTERN = "|".join(re.escape(s) for s in space_names())
DATASET_PATTERN = "|".join(re.escape(d) for d in dataset_names())
PROTECT = bool(config.get("protect_caches", True))


def _config_error(key, message):
    raise ValueError(f"config: {key}: {message}")


# -- checks the JSON schema cannot express (they stop the run before any job) -------------
for _space, _dataset in BENCHMARKS:
    if _space not in space_names():
        _config_error("benchmarks", f"{_space}/{_dataset}: unknown search space {_space!r}; "
                      f"known: {', '.join(space_names())}")
    try:
        get_space(_space).check_dataset(_dataset, where=f"{_space}/{_dataset}")
    except UsageError as _exc:
        _config_error("benchmarks", str(_exc))
for _dataset in DATASETS:
    _d = get_dataset(_dataset)
    _folder = config.get("data_folders", {}).get(_dataset)
    if config.get("demo"):
        continue
    if _d.source is None and _folder is None:
        _config_error(f"data_folders.{_dataset}", f"{_d.label} cannot be downloaded; set the "
                      f"folder of its files ({_d.where})")
    if _folder is not None and not os.path.exists(_folder):
        _config_error(f"data_folders.{_dataset}", f"{_folder} does not exist"
                      + ("" if _d.source else f" ({_d.label} cannot be downloaded; {_d.where})"))
for _group, _proxies in GROUPS.items():
    for _p in _proxies:
        if _p not in PROXIES:
            _config_error(f"scoring.groups.{_group}", f"unknown proxy {_p!r}; known: "
                          f"{', '.join(sorted(PROXIES))}")
_scored = [p for ps in GROUPS.values() for p in ps]
if len(set(_scored)) != len(_scored):
    _config_error("scoring.groups", "a proxy appears in two groups")
for _name, _value in config.get("ensembles", {}).items():
    if _name in PROXIES:
        _config_error(f"ensembles.{_name}", f"{_name!r} is a proxy's name; name the ensemble "
                      "otherwise")
    try:
        ENSEMBLES[_name] = ensemble_from_config(_name, _value)
    except UsageError as _exc:
        _config_error(f"ensembles.{_name}", str(_exc))
for _p in SEARCH["proxies"]:
    _ens = ENSEMBLES.get(_p) or (ENSEMBLE_PRESETS.get(_p) if _p not in PROXIES else None)
    if _ens is not None:
        ENSEMBLES[_p] = _ens
        for _m in _ens.members:
            if _m not in _scored:
                _config_error("search.proxies", f"ensemble {_p!r} needs {_m!r}, which no "
                              "scoring.groups entry scores")
    elif _p not in _scored:
        _config_error("search.proxies", f"{_p!r} is not scored by any scoring.groups entry "
                      "(nor an ensemble: ensembles, or a preset: "
                      f"{', '.join(ENSEMBLE_PRESETS)})")
if SEARCH["S"] > SEARCH["P"] * 100:
    _config_error("search.S", "tournament far larger than the population")
if SEARCH["C"] < SEARCH["P"]:
    _config_error("search.C", f"C = {SEARCH['C']} is smaller than P = {SEARCH['P']}: the "
                  "population is the best P of the C initial architectures")
for _space, _dataset in BENCHMARKS:
    _name = SEARCH.get("report", {}).get(_space)
    try:
        get_space(_space).report(_name, _dataset)
    except UsageError as _exc:
        _config_error(f"search.report.{_space}", f"{_space}/{_dataset}: {_exc}")
    if SEARCH["mutation"] not in get_space(_space).mutations:
        _config_error("search.mutation", f"{SEARCH['mutation']!r} is not a mutation of "
                      f"{_space} (it has: {', '.join(get_space(_space).mutations)})")
for _space, _width in SCORING.get("width", {}).items():
    if _space in space_names() and _width < get_space(_space).min_width:
        _config_error(f"scoring.width.{_space}", f"{_width} is below the smallest width the "
                      f"{_space} network accepts ({get_space(_space).min_width})")


def synthetic_kind(dataset):
    """The `zsnas synth` kind that writes a dataset's synthetic stand-in (demo)."""
    from zsnas.synthetic.writers import WRITERS
    ref = get_dataset(dataset).synthetic
    kind = next((k for k, r in WRITERS.items() if r == ref), None)
    if kind is None:
        _config_error("benchmarks", f"dataset {dataset!r} has no synthetic writer for the demo")
    return kind


def bench_path(kind, space, dataset, suffix=".h5"):
    """{R}/{kind}/{space}/{dataset}{suffix}: benchmarks, scores, ..."""
    return f"{R}/{kind}/{space}/{dataset}{suffix}"


# -- code fingerprints: a job reruns exactly when the code it runs changes (zsnas.codedeps) --
@cache
def fingerprint(stage, space=None, proxies=(), converter=None, writer=None, spaces=(),
                dataset=None, datasets=()):
    return stage_fingerprint(stage, space=space, proxies=list(proxies), converter=converter,
                             writer=writer, spaces=list(spaces), dataset=dataset,
                             datasets=list(datasets))


def log(path):
    return f"{R}/logs/{path}.log"


def timing(path):
    return f"{R}/timing/{path}.tsv"
