# Shared helpers: paths, the proxy registry, code dependencies, config checks.
import importlib.util
import re
from pathlib import Path

from zsnas.benchmarks.sources import SOURCES
from zsnas.proxies import PROXIES

# Every rule runs the checkout's package (so a --use-conda environment, which holds only the
# dependencies, runs the same code the DAG was built from).
SRC = str(Path(workflow.basedir) / "src")
ZSNAS = f'PYTHONPATH="{SRC}${{PYTHONPATH:+:$PYTHONPATH}}" python -m zsnas'

R = config["results"]
D = config["data"]
SPACES = list(config["spaces"])
SCORING = config["scoring"]
SEARCH = config["search"]
GROUPS = {name: list(proxies) for name, proxies in SCORING["groups"].items()}
N_SHARDS = int(SCORING["shards"])
SEEDS = list(range(SEARCH["seeds"]["start"], SEARCH["seeds"]["start"] + SEARCH["seeds"]["count"]))
METHODS = list(SEARCH["proxies"]) + list(SEARCH.get("strategies", []))
# cuda or auto (GPU when the job finds one) ask the scheduler for a GPU: resources gpu=1
ON_GPU = str(SCORING.get("device", "cpu")).startswith(("cuda", "auto"))
WIDTH = {"nb201": 16, "nb101": 128, **SCORING.get("width", {})}


def _config_error(key, message):
    raise ValueError(f"config: {key}: {message}")


# -- checks the JSON schema cannot express (they stop the run before any job) -------------
for _group, _proxies in GROUPS.items():
    for _p in _proxies:
        if _p not in PROXIES:
            _config_error(f"scoring.groups.{_group}", f"unknown proxy {_p!r}; known: "
                          f"{', '.join(sorted(PROXIES))}")
_scored = [p for ps in GROUPS.values() for p in ps]
if len(set(_scored)) != len(_scored):
    _config_error("scoring.groups", "a proxy appears in two groups")
for _p in SEARCH["proxies"]:
    if _p not in _scored:
        _config_error("search.proxies", f"{_p!r} is not scored by any scoring.groups entry")
if SEARCH["S"] > SEARCH["P"] * 100:
    _config_error("search.S", "tournament far larger than the population")


def protect(path):
    """Expensive outputs are write-protected unless protect_caches is false."""
    return protected(path) if config.get("protect_caches", True) else path


def module_file(name):
    """Path of an importable module's source file (a rerun trigger on code)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ValueError(f"cannot locate module {name}")
    return spec.origin


def package_files(package):
    """All .py files of a zsnas sub-package."""
    return sorted(str(p) for p in Path(module_file(package)).parent.glob("*.py"))


def proxy_sources(group, space):
    """Code a score shard depends on: its proxies' modules, the shared machinery,
    the scoring engine, the space's network builder."""
    files = {module_file(PROXIES[p].fn.__module__) for p in GROUPS[group]}
    files |= {module_file(f"zsnas.proxies.{m}") for m in
              ("shared", "registry", "common", "forward_pass")}
    files |= set(package_files("zsnas.scoring"))
    files |= {module_file(f"zsnas.networks.{space}"), module_file(f"zsnas.spaces.{space}")}
    return sorted(files)


def log(path):
    return f"{R}/logs/{path}.log"


def timing(path):
    return f"{R}/timing/{path}.tsv"
