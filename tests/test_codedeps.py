"""Code fingerprints (zsnas.codedeps): each stage's import closure, and what counts as an edit."""
from __future__ import annotations

import hashlib

import pytest

from zsnas.codedeps import (closure, fingerprint_of, normalized_tokens, stage_fingerprint,
                            stage_modules)


def digest(source: str) -> str:
    return hashlib.sha256("\x00".join(normalized_tokens(source.encode())).encode()).hexdigest()


BASE = '''"""Module docstring."""
import math


def f(x, y=2):
    """Function docstring."""
    z = x + y  # a comment
    return math.sqrt(z) + len(f"{x!r:>4}")


class C:
    """Class docstring."""
    value = {"a": 1}
'''


@pytest.mark.parametrize("edited", [
    BASE.replace("# a comment", "# another comment"),
    BASE.replace("z = x + y", "z = x   +   y"),
    BASE + "\n\n\n# trailing comment\n",
    BASE.replace('"""Module docstring."""', '"""Other\n\nmodule docs."""'),
    BASE.replace('"""Function docstring."""', "'''Rewritten.'''"),
    BASE.replace('    """Class docstring."""\n', ""),
    BASE.replace("def f(x, y=2):", "def f(x,\n      y=2):"),
])
def test_comments_formatting_and_docstrings_do_not_count(edited):
    assert digest(edited) == digest(BASE)


@pytest.mark.parametrize("edited", [
    BASE.replace("x + y", "x - y"),
    BASE.replace("y=2", "y=3"),
    BASE.replace('f"{x!r:>4}"', 'f"{x!r:>5}"'),
    BASE.replace('{"a": 1}', '{"a": 2}'),
    BASE.replace("    return math", "    pass\n    return math"),
    BASE.replace("    z = x + y  # a comment\n", "    z = x + y\n    z = z\n"),
])
def test_code_edits_count(edited):
    assert digest(edited) != digest(BASE)


def test_indentation_is_code():
    a = "if x:\n    y = 1\nz = 2\n"
    b = "if x:\n    y = 1\n    z = 2\n"
    assert digest(a) != digest(b)


def test_score_closure_is_the_groups_code():
    static = set(stage_modules("score", space="nb201", proxies=["params", "flops", "random"],
                               dataset="cifar10"))
    forward = set(stage_modules("score", space="nb201", proxies=["snip", "grasp", "nwot"],
                                dataset="cifar100"))
    # the FLOP counter is the static group's arithmetic; the data reader everyone's
    assert "zsnas.networks.flops" in static and "zsnas.networks.flops" not in forward
    assert {"zsnas.datasets.pickled_batches", "zsnas.scoring.data", "zsnas.scoring.engine",
            "zsnas.networks.nb201"} <= static & forward
    assert "zsnas.datasets.cifar10" in static and "zsnas.datasets.cifar100" in forward
    assert "zsnas.datasets.cifar100" not in static
    assert "zsnas.proxies.snip" in forward and "zsnas.proxies.snip" not in static
    for closure_ in (static, forward):      # neither mutation, nor the other space, nor search
        assert not closure_ & {"zsnas.spaces.nb201_evolution", "zsnas.spaces.nb101",
                               "zsnas.networks.nb101", "zsnas.search.ga"}


def test_search_closure_is_the_search_and_the_spaces_moves():
    nb201 = set(stage_modules("search", space="nb201"))
    assert {"zsnas.search.ga", "zsnas.search.run", "zsnas.spaces.nb201",
            "zsnas.spaces.nb201_evolution"} <= nb201
    assert not nb201 & {"zsnas.spaces.nb101_evolution", "zsnas.networks.nb201",
                        "zsnas.proxies.snip", "zsnas.proxies.shared", "zsnas.scoring.engine"}


def test_convert_closure_is_the_converter():
    nats = set(stage_modules("convert", space="nb201", converter="nats"))
    assert {"zsnas.benchmarks.convert_nb201", "zsnas.benchmarks.nb201_results"} <= nats
    assert not nats & {"zsnas.benchmarks.store", "zsnas.benchmarks.convert_nb101",
                       "zsnas.benchmarks.tfrecord", "zsnas.synthetic.nb201",
                       "zsnas.benchmarks.download"}
    nb101 = set(stage_modules("convert", space="nb101", converter="nb101"))
    assert "zsnas.benchmarks.tfrecord" in nb101 and "zsnas.benchmarks.convert_nb201" not in nb101
    assert stage_fingerprint("convert", space="nb201", converter="nats") != \
        stage_fingerprint("convert", space="nb101", converter="nb101")


def test_analyse_closure_and_distinct_fingerprints():
    analyse = set(stage_modules("analyse", spaces=["nb201", "nb101"],
                                datasets=["cifar10", "cifar100"]))
    assert {"zsnas.analysis.stats", "zsnas.analysis.table1", "zsnas.spaces.nb101",
            "zsnas.datasets.cifar100"} <= analyse
    assert "zsnas.datasets.pickled_batches" not in analyse
    assert "zsnas.proxies.snip" not in analyse and "zsnas.scoring.engine" not in analyse
    assert "zsnas.spaces.nb201_evolution" in analyse      # mutation neighbourhoods
    prints = {stage_fingerprint("score", space="nb201", proxies=["snip"]),
              stage_fingerprint("score", space="nb101", proxies=["snip"]),
              stage_fingerprint("search", space="nb201"), stage_fingerprint("merge")}
    assert len(prints) == 4 and all(p.startswith("sha256:") for p in prints)


def test_a_plugin_outside_the_package_is_part_of_its_closure(tmp_path, monkeypatch):
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text("from zsnas.proxies.registry import register\nX = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    names = closure(["my_plugin"])
    assert "my_plugin" in names and "zsnas.proxies.registry" in names
    before = fingerprint_of(names)
    plugin.write_text("from zsnas.proxies.registry import register\nX = 2\n")
    assert fingerprint_of(names) != before


def test_deps_command_lists_modules(capsys):
    from zsnas.cli.main import main
    assert main(["deps", "score", "--space", "nb201", "--proxies", "params", "--list"]) == 0
    out = capsys.readouterr().out.split()
    assert "zsnas.networks.flops" in out and out[-1].startswith("sha256:")
