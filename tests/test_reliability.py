"""Defects found by probing every command with bad and mismatched inputs (one test each).

Each test failed before its fix: files from other benchmarks used silently, runs pooled that
do not belong together, tables converted with silently changed data, outputs overwriting
inputs, corrupted content accepted, incomplete sources converted quietly, arguments that
slipped through, `.partial` files left by refused commands, tracebacks instead of one line.
"""
from __future__ import annotations

import json
import os
import shutil

import h5py
import numpy as np
import pandas as pd
import pytest

from zsnas.benchmarks.convert_table import convert_table
from zsnas.benchmarks.store import Benchmark
from zsnas.cli.main import main
from zsnas.errors import ConversionError, InputError, MismatchError, UsageError
from zsnas.scoring.cache import CacheError, ProxyCache
from zsnas.scoring.data import BatchSettings
from zsnas.scoring.engine import ScoreJob, score_shard

ARCHS = ["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
         "nor_conv_3x3~2|",
         "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|",
         "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
         "skip_connect~2|",
         "|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"]


def cli(capsys, *args):
    """Run ``zsnas ARGS`` in-process: (exit status, stdout, stderr)."""
    capsys.readouterr()                # drop what earlier steps printed
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:          # argparse refusals
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(rc, err, *needles):
    assert rc == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert str(needle) in err, (needle, err)


def table(tmp_path, name="t.csv", valid=(70.0, 80.0, 75.0, 60.0), **columns):
    df = pd.DataFrame({"index": [0, 1, 2, 3], "arch": ARCHS, "valid_acc@12": list(valid),
                       "test_acc@200": [90.0, 91.0, 92.0, 88.0],
                       "train_time@12": [100.0, 110.0, 120.0, 90.0], **columns})
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    from zsnas.synthetic.cifar10 import write_cifar10_archive
    return write_cifar10_archive(tmp_path_factory.mktemp("cifar") / "cifar-10-python.tar.gz",
                                 n_per_batch=20, seed=1)


@pytest.fixture
def bench_a(tmp_path):
    return convert_table(table(tmp_path, "a.csv"), tmp_path / "a.h5", synthetic=True)


@pytest.fixture
def bench_b(tmp_path):
    """The 'same' benchmark re-converted from a corrected source: other content."""
    return convert_table(table(tmp_path, "b.csv", valid=(71.0, 80.0, 75.0, 60.0)),
                         tmp_path / "b.h5", synthetic=True)


def score_job(bench, cifar, out, **kw):
    kw.setdefault("proxies", ["snip", "params"])
    kw.setdefault("width", 4)
    return ScoreJob(benchmark=bench, data=cifar, out=out, batch=BatchSettings(batch_size=8),
                    progress=False, **kw)


# ----------------------------------------------- 1. a cache from another benchmark
def test_score_refuses_to_resume_or_keep_a_shard_of_another_benchmark(bench_a, bench_b, cifar,
                                                                      tmp_path):
    out = score_shard(score_job(bench_a, cifar, tmp_path / "s.h5"))
    before = out.read_bytes()
    with pytest.raises(MismatchError) as err:                   # finished shard
        score_shard(score_job(bench_b, cifar, out))
    assert str(out) in str(err.value) and str(bench_b) in str(err.value)
    assert out.read_bytes() == before
    partial = tmp_path / "s.h5.partial"
    out.rename(partial)                                          # an interrupted shard
    with pytest.raises(MismatchError, match="another benchmark"):
        score_shard(score_job(bench_b, cifar, tmp_path / "s.h5"))
    assert partial.read_bytes() == before and not (tmp_path / "s.h5").exists()


def test_search_and_analyse_refuse_a_cache_of_another_benchmark(bench_a, bench_b, cifar,
                                                                tmp_path, capsys):
    cache = score_shard(score_job(bench_a, cifar, tmp_path / "cache.h5"))
    rc, _, err = cli(capsys, "search", "--benchmark", bench_b, "--cache", cache, "--proxy", "snip",
                     "--seed", 0, "--C", 10, "--cycles", 3, "--out", tmp_path / "r.json")
    one_line_error(rc, err, cache, bench_b, "another benchmark")
    assert not (tmp_path / "r.json").exists()
    rc, _, err = cli(capsys, "search", "--benchmark", bench_a, "--cache", cache, "--proxy",
                     "snip", "--seed", 0, "--C", 10, "--cycles", 3, "--out", tmp_path / "r.json")
    assert rc == 0, err
    rc, _, err = cli(capsys, "analyse", tmp_path / "r.json", "--cache", cache, "--benchmark",
                     bench_b, "--out", tmp_path / "an")
    one_line_error(rc, err, cache, bench_b)


# ----------------------------------------------- 2. analyse pools only what belongs together
@pytest.fixture
def runs(bench_a, tmp_path):
    from zsnas.search.report import write_json
    from zsnas.search.run import run_search
    folder = tmp_path / "runs"
    paths = []
    for seed in range(3):
        rec = run_search(bench_a, None, strategy="random-score", seed=seed, C=10, cycles=4)
        paths.append(write_json(rec, folder / f"seed{seed}.json"))
    return paths


def test_a_copied_run_is_a_duplicate(runs, tmp_path, capsys):
    shutil.copy(runs[0], tmp_path / "copy.json")
    rc, _, err = cli(capsys, "analyse", *runs, tmp_path / "copy.json", "--out", tmp_path / "an")
    one_line_error(rc, err, "duplicate", "copy.json", "seed0.json")


@pytest.mark.parametrize("key,value", [("C", 20), ("P", 8), ("preset", "paper"),
                                       ("benchmark_checksum", "sha256:other")])
def test_a_cell_mixing_settings_is_refused(runs, key, value, tmp_path, capsys):
    obj = json.loads(runs[2].read_text())
    obj["settings"][key] = value
    runs[2].write_text(json.dumps(obj))
    rc, _, err = cli(capsys, "analyse", *runs, "--out", tmp_path / "an")
    one_line_error(rc, err, f"{key} differ", "seed2.json")


@pytest.mark.parametrize("edit,needle", [
    (lambda o: o.update(final_accuracy=float("nan")), "final_accuracy"),
    (lambda o: o["settings"].update(space="nb999"), "unknown search space 'nb999'"),
    (lambda o: o["settings"].update(space="nb101"), "not a nb101 architecture"),
])
def test_nan_accuracy_unknown_or_relabelled_space_are_refused(runs, edit, needle, tmp_path,
                                                              capsys):
    obj = json.loads(runs[1].read_text())
    edit(obj)
    runs[1].write_text(json.dumps(obj))
    rc, _, err = cli(capsys, "analyse", *runs, "--out", tmp_path / "an")
    one_line_error(rc, err, needle, "seed1.json")


def test_table1_counts_each_run_once(runs, tmp_path):
    from zsnas.analysis.report import analyse
    written = analyse(runs, tmp_path / "an")
    t1 = pd.read_csv(written["table1.csv"])
    assert list(t1.n) == [3]


# ----------------------------------------------- 3. convert table changes no data silently
@pytest.mark.parametrize("columns,needle", [
    ({"valid_acc@012": [1.0, 2, 3, 4]}, "columns 'valid_acc@12' and 'valid_acc@012' both give"),
    ({"index": [0, 1, 2, 1e20]}, "column 'index', line 5: value 1e+20 is outside"),
    ({"params": ["abc", 1, 2, 3]}, "column 'params', line 2: value 'abc' is not a number"),
    ({"valid_acc@12": [150.0, 1, 2, 3]}, "column 'valid_acc@12', line 2: value 150.0 is outside"),
    ({"valid_acc@12": [1.0, -20, 2, 3]}, "column 'valid_acc@12', line 3: value -20.0 is outside"),
    ({"test_acc@200": [1.0, 2, float("inf"), 3]}, "column 'test_acc@200', line 4: value inf"),
    ({"train_time@12": [1.0, 2, 3, -4]}, "column 'train_time@12', line 5"),
])
def test_table_values_are_checked_naming_column_and_row(tmp_path, columns, needle, capsys):
    src = table(tmp_path, **{k: v for k, v in columns.items()})
    out = tmp_path / "t.h5"
    rc, _, err = cli(capsys, "convert", "table", src, out)
    one_line_error(rc, err, needle, src)
    assert not out.exists()


def test_a_huge_trial_number_does_not_allocate_by_value(tmp_path):
    src = table(tmp_path, trial=[10**9, 0, 0, 7])
    bench = Benchmark(convert_table(src, tmp_path / "t.h5"))
    assert bench.trials(12) == 3 and bench.trial_labels(12) == [0, 7, 10**9]


# ----------------------------------------------- 4. an output that is an input
def test_outputs_never_overwrite_inputs(bench_a, tmp_path, capsys):
    src = table(tmp_path)
    before = src.read_bytes()
    rc, _, err = cli(capsys, "convert", "table", src, src)
    one_line_error(rc, err, "is also an input")
    assert src.read_bytes() == before
    before = bench_a.read_bytes()
    rc, _, err = cli(capsys, "search", "--benchmark", bench_a, "--strategy", "random", "--seed", 0,
                     "--cycles", 2, "--out", bench_a)
    one_line_error(rc, err, "is also an input")
    assert bench_a.read_bytes() == before


# ----------------------------------------------- 5. corrupted content is detected
def test_a_flipped_score_sign_in_a_cache_is_detected(bench_a, cifar, tmp_path, capsys):
    cache = score_shard(score_job(bench_a, cifar, tmp_path / "c.h5"))
    with h5py.File(cache, "r+") as f:
        f["scores/snip"][...] = -f["scores/snip"][()]
    with pytest.raises(InputError, match=r"/scores/snip is corrupted"):
        ProxyCache(cache)
    rc, _, err = cli(capsys, "search", "--benchmark", bench_a, "--cache", cache, "--proxy",
                     "snip", "--seed", 0, "--out", tmp_path / "r.json")
    one_line_error(rc, err, cache, "corrupted")


def test_a_bit_flip_in_a_benchmark_file_is_detected(bench_a, tmp_path):
    with h5py.File(bench_a, "r+") as f:
        f["metrics/12/valid_acc"][0, 0] = 77.0
    with pytest.raises(InputError, match=r"metrics/12/valid_acc is corrupted"):
        Benchmark(bench_a)


def test_a_bit_flip_in_an_nb201_pth_time_is_refused(tmp_path):
    import torch

    from zsnas.benchmarks.convert_nb201 import convert_nb201_pth
    from zsnas.synthetic.nb201 import write_nb201_pth
    pth = write_nb201_pth(tmp_path / "nb201.pth", 3, seed=0)
    data = torch.load(pth, weights_only=False)
    results = data["arch2infos"][1]["less"]["all_results"]
    key = next(k for k in results if k[0] == "cifar10-valid")
    results[key]["train_times"][0] = 6.3e10
    torch.save(data, pth)
    with pytest.raises(ConversionError, match=r"train_time at 12 epochs of architecture 1, "
                                              r"trial \d+ is 6.3e\+10, outside \[0, 1e\+07\] s"):
        convert_nb201_pth(pth, tmp_path / "b.h5", progress=False)
    assert not (tmp_path / "b.h5").exists()


# ----------------------------------------------- 6. a source cut at a record boundary
def test_a_tfrecord_cut_at_a_record_boundary_is_an_error(tmp_path, capsys):
    from zsnas.benchmarks.tfrecord import iter_records, write_records
    from zsnas.synthetic.nb101 import write_nb101_tfrecord
    full = write_nb101_tfrecord(tmp_path / "full.tfrecord", 6, seed=1)
    records = list(iter_records(full))
    cut = tmp_path / "cut.tfrecord"
    write_records(cut, records[:-13])          # whole records only: 5 archs, one short
    rc, _, err = cli(capsys, "convert", "nb101", cut, tmp_path / "cut.h5", "--no-progress")
    one_line_error(rc, err, cut, "incomplete", "--allow-missing")
    rc, _, err = cli(capsys, "convert", "nb101", cut, tmp_path / "cut.h5", "--no-progress",
                     "--allow-missing")
    assert rc == 0, err
    with h5py.File(tmp_path / "cut.h5") as f:
        assert not f.attrs["complete"]
    rc, _, err = cli(capsys, "convert", "nb101", full, tmp_path / "full.h5", "--no-progress")
    assert rc == 0, err


# ----------------------------------------------- 7. a benchmark without training times
def test_a_benchmark_without_training_times_can_be_searched(tmp_path, capsys):
    df = pd.read_csv(table(tmp_path)).drop(columns="train_time@12")
    df.to_csv(tmp_path / "nt.csv", index=False)
    bench = convert_table(tmp_path / "nt.csv", tmp_path / "nt.h5")
    out = tmp_path / "r.json"
    rc, stdout, err = cli(capsys, "search", "--benchmark", bench, "--strategy", "random",
                          "--seed", 0, "--cycles", 3, "--out", out)
    assert rc == 0, err
    assert err.count("stores no training times") == 1 and "search time unknown" in stdout
    rec = json.loads(out.read_text())
    assert rec["search_time"] is None and rec["train_time"] is None
    assert rec["train_time_known"] is False and rec["final_accuracy"] > 0


# ----------------------------------------------- 8. arguments that slipped through
@pytest.mark.parametrize("args,needle", [
    (("score", "--width", "0"), "argument --width: must be an integer >= 1, got 0"),
    (("score", "--classes", "0"), "argument --classes: must be an integer >= 2"),
    (("score", "--classes", "1"), "argument --classes: must be an integer >= 2"),
    (("score", "--device", "tpu"), "argument --device: unknown device 'tpu'"),
    (("score", "--init-seed", "-1"), "argument --init-seed: must be an integer >= 0"),
    (("convert", "nats", "x", "y.h5", "--workers", "0"), "argument --workers"),
    (("convert", "nats", "x", "y.h5", "--workers", "-3"), "argument --workers"),
    (("synth", "nats", "out", "-n", "-5"), "argument -n/--n-archs: must be an integer >= 1"),
    (("search", "--benchmark", "b.h5", "--seed", "-1", "--out", "r.json"),
     "argument --seed: must be an integer >= 0, got -1"),
])
def test_bad_arguments_are_refused_naming_the_option(args, needle, capsys):
    base = {"score": ("--benchmark", "b.h5", "--data", "d", "--out", "o.h5")}.get(args[0], ())
    rc, _, err = cli(capsys, *args, *base)
    assert rc == 2 and needle in err, err


def test_synth_refuses_more_architectures_than_the_space(tmp_path, capsys):
    rc, _, err = cli(capsys, "synth", "nats", tmp_path / "n", "-n", 20000)
    one_line_error(rc, err, "-n 20000: at most 15,625")
    assert not (tmp_path / "n").exists()


# ----------------------------------------------- 9. refused commands leave nothing behind
@pytest.mark.parametrize("kw,needle", [({"init_seed": -1}, "--init-seed"),
                                       ({"width": -4}, "--width"), ({"num_classes": 1}, "classes")])
def test_a_refused_score_leaves_no_partial(bench_a, cifar, tmp_path, kw, needle):
    out = tmp_path / "s.h5"
    with pytest.raises(UsageError, match=needle):
        score_shard(score_job(bench_a, cifar, out, **kw))
    assert not list(tmp_path.glob("s.h5*"))
    score_shard(score_job(bench_a, cifar, out))                # the corrected command runs
    assert out.exists()


def test_nb101_too_narrow_is_refused_before_anything_is_written(cifar, tmp_path):
    from zsnas.benchmarks.convert_nb101 import convert_nb101
    from zsnas.synthetic.nb101 import write_nb101_tfrecord
    bench = convert_nb101(write_nb101_tfrecord(tmp_path / "n.tfrecord", 3, seed=2),
                          tmp_path / "n.h5", progress=False)
    with pytest.raises(UsageError, match="--width 1: nb101 needs an integer width >= 5"):
        score_shard(score_job(bench, cifar, tmp_path / "s.h5", width=1))
    assert not list(tmp_path.glob("s.h5*"))


# ----------------------------------------------- 10. one line instead of a traceback
def test_unwritable_output_locations_are_one_line_before_any_work(bench_a, cifar, tmp_path,
                                                                  capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad = blocker / "out.h5"
    src = table(tmp_path)
    cases = [("convert", "table", src, bad),
             ("score", "--benchmark", bench_a, "--data", cifar, "--proxies", "params",
              "--width", 4, "--batch-size", 8, "--out", bad),
             ("merge", bench_a, "--out", bad),
             ("search", "--benchmark", bench_a, "--strategy", "random", "--seed", 0, "--out", bad),
             ("analyse", src, "--out", blocker / "analysis"),
             ("synth", "cifar10", bad)]
    for args in cases:
        rc, _, err = cli(capsys, *args)
        one_line_error(rc, err, "is a file, not a folder")
    if os.geteuid() != 0:                     # root writes into read-only folders anyway
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        rc, _, err = cli(capsys, "convert", "table", src, ro / "t.h5")
        one_line_error(rc, err, "is not writable")


def test_analyse_out_that_is_a_file(runs, tmp_path, capsys):
    rc, _, err = cli(capsys, "analyse", *runs, "--out", runs[0])
    one_line_error(rc, err, "exists and is not a folder")


def test_hdf5_files_with_missing_or_short_parts(bench_a, tmp_path, capsys):
    def broken(name, edit):
        path = tmp_path / name
        shutil.copy(bench_a, path)
        with h5py.File(path, "r+") as f:
            edit(f)
        return path
    cases = {
        "no-dataset.h5": (lambda f: f.__delitem__("metrics/12/valid_acc"), "metrics/12/valid_acc"),
        "no-attr.h5": (lambda f: f.attrs.__delitem__("budgets"), "budgets"),
        "short.h5": (lambda f: (f["archs"].__delitem__("params"),
                                f["archs"].create_dataset("params", data=np.zeros(2, "i8"))),
                     "archs/params"),
    }
    for name, (edit, needle) in cases.items():
        path = broken(name, edit)
        rc, _, err = cli(capsys, "search", "--benchmark", path, "--strategy", "random",
                         "--seed", 0, "--out", tmp_path / "r.json")
        one_line_error(rc, err, path, needle)


def test_ids_file_that_is_a_folder_or_out_of_range(bench_a, cifar, tmp_path, capsys):
    base = ("score", "--benchmark", bench_a, "--data", cifar, "--proxies", "params", "--width",
            4, "--batch-size", 8, "--out", tmp_path / "s.h5")
    rc, _, err = cli(capsys, *base, "--ids", tmp_path)
    one_line_error(rc, err, "--ids", "not a file")
    ids = tmp_path / "ids.txt"
    ids.write_text("1\n99999999999999999999\n")
    rc, _, err = cli(capsys, *base, "--ids", ids)
    one_line_error(rc, err, f"{ids}:2", "outside")
    assert not list(tmp_path.glob("s.h5*"))


def test_a_nats_tar_cut_mid_member(tmp_path, capsys):
    from zsnas.synthetic.nb201 import write_nats_archive
    tar = write_nats_archive(tmp_path / "nats", 8, seed=1, tar=True)
    data = tar.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 2 + 700])
    rc, _, err = cli(capsys, "convert", "nats", cut, tmp_path / "cut.h5", "--workers", 1,
                     "--no-progress")
    one_line_error(rc, err, cut, "truncated tar archive")


# ----------------------------------------------- 11. internal errors, names, signs
def test_an_internal_error_shows_its_traceback(monkeypatch, tmp_path, capsys):
    import zsnas.search.run as run_module

    def boom(*a, **k):
        raise ValueError("an internal bug")
    monkeypatch.setattr(run_module, "run_search", boom)
    with pytest.raises(ValueError, match="an internal bug"):
        main(["search", "--benchmark", "b.h5", "--seed", "0", "--out", str(tmp_path / "r.json")])
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", "import sys, zsnas.search.run as r\n"
                           "def boom(*a, **k): raise ValueError('an internal bug')\n"
                           "r.run_search = boom\nfrom zsnas.cli.main import main\n"
                           f"sys.exit(main(['search', '--benchmark', 'b.h5', '--seed', '0', "
                           f"'--out', {str(tmp_path / 'r.json')!r}]))"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "an internal bug" in proc.stderr


def test_a_proxy_named_like_a_strategy_keeps_its_own_label():
    from zsnas.analysis.runs import method_of
    assert method_of({"strategy": "gea", "proxy": "random"}) == "gea:random"
    assert method_of({"strategy": "random"}) == "random"
    assert method_of({"strategy": "gea", "proxy": "snip"}) == "snip"


def test_a_lower_is_better_proxy_is_searched_the_right_way(bench_a, cifar, tmp_path):
    """ProxySpec.higher_is_better is recorded in the cache and read by the search."""
    from zsnas.proxies import register, unregister
    from zsnas.search.run import run_search

    @register("params_low", group="static", higher_is_better=False)
    def params_low(model, x, y, arch_seed):
        return float(sum(p.numel() for p in model.parameters()))
    try:
        cache = ProxyCache(score_shard(score_job(bench_a, cifar, tmp_path / "c.h5",
                                                 proxies=["params_low", "params"])))
    finally:
        unregister("params_low")
    assert cache.higher_is_better == {"params_low": False, "params": True}
    ids = cache.ids
    low = run_search(bench_a, cache, proxy="params_low", seed=0, P=1, C=40, cycles=0)
    high = run_search(bench_a, cache, proxy="params", seed=0, P=1, C=40, cycles=0)
    first = {r["history"][0]["id"] for r in (low, high)}
    values = dict(zip(ids.tolist(), cache.all_scores("params")[1]))
    assert low["history"][0]["id"] == min(values, key=values.get)
    assert high["history"][0]["id"] == max(values, key=values.get) and len(first) == 2


def test_merge_refuses_shards_scored_by_other_code(bench_a, cifar, tmp_path):
    from zsnas.scoring.cache import write_cache
    from zsnas.scoring.merge import merge_caches
    a = ProxyCache(score_shard(score_job(bench_a, cifar, tmp_path / "s0.h5", shard=(0, 2))))
    b = ProxyCache(score_shard(score_job(bench_a, cifar, tmp_path / "s1.h5", shard=(1, 2))))
    c = {p: b.all_scores(p) for p in b.proxies}
    old = write_cache(tmp_path / "old.h5", space=b.space, ids=b.ids, proxies=b.proxies,
                      scores={p: c[p][1] for p in b.proxies},
                      seconds={p: b.all_seconds(p) for p in b.proxies},
                      status={p: c[p][2] for p in b.proxies}, settings=b.settings,
                      attrs={**{k: v for k, v in b.attrs.items()
                                if k in ("benchmark_file", "benchmark_checksum")},
                             "shards": ["1/2"], "code_fingerprints": {p: "sha256:old"
                                                                     for p in b.proxies}})
    with pytest.raises(CacheError, match="another code fingerprint"):
        merge_caches([a.path, old], tmp_path / "m.h5")
    assert ProxyCache(merge_caches([a.path, b.path], tmp_path / "m.h5")).n == 4
