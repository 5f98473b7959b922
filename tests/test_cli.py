"""The ``zsnas`` command line, run as a user runs it (a real subprocess)."""
import json
import subprocess
import sys

import pytest

INCEPTION = ('{"adjacency": [[0,1,1,1,0,1,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,1,0,0],'
             '[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,0,0,0]], "ops": ["input","conv1x1-bn-relu",'
             '"conv3x3-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu","maxpool3x3","output"]}')
A0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"


def zsnas(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "zsnas", *map(str, args)], capture_output=True,
                          text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"zsnas {args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def test_help_lists_subcommands():
    out = zsnas("--help").stdout
    for cmd in ("arch", "download", "convert", "synth"):
        assert cmd in out


def test_arch_nb201_and_nb101(tmp_path):
    rows = [json.loads(line) for line in zsnas("arch", "--space", "nb201", "--json", A0)
            .stdout.splitlines()]
    assert rows == [{"space": "nb201", "arch": A0, "ops": [4, 2, 1, 2, 1, 1], "connected": True,
                     "dataset": "cifar10", "width": 16, "classes": 10, "params": 129306,
                     "mflops": 15.64737}]
    specs = tmp_path / "specs.txt"
    specs.write_text(INCEPTION + "\n\n# comment\n" +
                     '{"adjacency": [[0,1],[0,0]], "ops": ["input","output"]}\n')
    rows = [json.loads(line) for line in zsnas("arch", "--space", "nb101", "--json", "--from",
                                               specs).stdout.splitlines()]
    assert [r["hash"] for r in rows] == ["28cfc7874f6d200472e1a9dcd8650aa0",
                                         "043721b9c7fe8c5fad811d47d83132ec"]
    assert rows[0]["params"] == 2694282 and rows[0]["width"] == 128
    small = json.loads(zsnas("arch", "--space", "nb101", "--json", "--width", "16", INCEPTION)
                       .stdout)
    assert small["params"] < 100_000
    text = zsnas("arch", "--space", "nb201", A0).stdout
    assert "params=129306" in text


@pytest.mark.parametrize("args,match", [
    (("arch", "--space", "nb201", "|bad|"), "bad NB201 arch string"),
    (("arch", "--space", "nb101", "{oops"), "not JSON"),
    (("arch", "--space", "nb101", '{"adjacency": [[0,0],[0,0]], "ops": ["input","output"]}'),
     "not a NAS-Bench-101 cell"),
    (("arch", "--space", "nb201"), "no architectures given"),
    (("convert", "nb101", "/nonexistent/x.tfrecord", "/tmp/never.h5"), "no such file"),
])
def test_errors_are_one_line(args, match):
    proc = zsnas(*args, check=False)
    assert proc.returncode == 2
    assert match in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_synth_convert_round_trip(tmp_path):
    src = tmp_path / "nb101.tfrecord"
    zsnas("synth", "nb101", src, "-n", "15", "--seed", "2")
    out = zsnas("convert", "nb101", src, tmp_path / "nb101.h5", "--verify-hashes",
                "--no-progress").stdout
    assert "nb101 benchmark, 15 architectures" in out and "synthetic" in out
    zsnas("synth", "nats", tmp_path / "nats", "-n", "4", "--tar")
    out = zsnas("convert", "nats", tmp_path / "nats" / "NATS-tss-v1_0-3ffb9-simple.tar",
                tmp_path / "nb201.h5", "--no-progress").stdout
    assert "nb201 benchmark, 4 architectures" in out
    proc = zsnas("convert", "table", src, tmp_path / "t.h5", check=False)
    assert proc.returncode == 2 and "unknown table format" in proc.stderr


@pytest.mark.parametrize("dataset,params,mflops", [("cifar10", 129306, 15.64737),
                                                   ("cifar100", 135156, 15.65322),
                                                   ("ImageNet16-120", 136456, 3.91948)])
def test_arch_dataset_head_and_image_size(dataset, params, mflops):
    """The benchmark's stored params and FLOPs of index 0 per dataset (NATS sample file)."""
    row = json.loads(zsnas("arch", "--space", "nb201", "--dataset", dataset, "--json", A0).stdout)
    assert (row["dataset"], row["params"], row["mflops"]) == (dataset, params, mflops)
    assert row["classes"] == {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}[dataset]


def test_arch_refuses_a_dataset_the_space_lacks():
    proc = zsnas("arch", "--space", "nb101", "--dataset", "cifar100", INCEPTION, check=False)
    assert proc.returncode == 2 and "the nb101 benchmark has no dataset 'cifar100'" in proc.stderr
