# Stage 1: sources (downloaded, or synthetic for the demo) -> one HDF5 schema.
FILE2SOURCE = {s.filename: name for name, s in SOURCES.items()}
DEMO = config.get("demo", False)
SIZES = config.get("demo_sizes", {})


def raw(source):
    return f"{D}/raw/{SOURCES[source].filename}"


def benchmark_source(space):
    if DEMO:
        if space == "nb201":
            return f"{D}/demo/nats-{SIZES['nb201_archs']}/NATS-tss-v1_0-3ffb9-simple"
        return f"{D}/demo/nb101-{SIZES['nb101_archs']}.tfrecord"
    return raw(config["sources"][space])


def convert_kind(space):
    if space == "nb101":
        return "nb101"
    return "nb201-pth" if (not DEMO and config["sources"]["nb201"].startswith("nb201")) else "nats"


def cifar10_archive():
    if DEMO:
        return f"{D}/demo/cifar-10-python-{SIZES['cifar_images_per_batch']}.tar.gz"
    return raw(config["sources"]["cifar10"])


rule download:
    output:
        f"{D}/raw/{{filename}}",
    wildcard_constraints:
        filename="|".join(re.escape(f) for f in FILE2SOURCE),
    params:
        source=lambda w: FILE2SOURCE[w.filename],
    log:
        log("download/{filename}"),
    resources:
        downloads=1,
        runtime=240,
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} download {params.source} --dest {D}/raw --no-progress > {log} 2>&1"


# Demo benchmark sources are temporary: only convert reads them; cheap and deterministic,
# they are regenerated if a rerun of convert needs them.
rule synth_nats:
    output:
        temp(directory(f"{D}/demo/nats-{{n}}/NATS-tss-v1_0-3ffb9-simple")),
    params:
        code=fingerprint("synth", writer="nats"),
    log:
        log("synth/nats-{n}"),
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} synth nats {D}/demo/nats-{wildcards.n} -n {wildcards.n} --seed 0 > {log} 2>&1"


rule synth_nb101:
    output:
        temp(f"{D}/demo/nb101-{{n}}.tfrecord"),
    params:
        code=fingerprint("synth", writer="nb101"),
    log:
        log("synth/nb101-{n}"),
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} synth nb101 {output} -n {wildcards.n} --seed 0 > {log} 2>&1"


# (not temporary: every score job reads it, and a regenerated archive would look
# "updated" to all of them, defeating the per-group reruns)
rule synth_cifar10:
    output:
        f"{D}/demo/cifar-10-python-{{n}}.tar.gz",
    params:
        code=fingerprint("synth", writer="cifar10"),
    log:
        log("synth/cifar10-{n}"),
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} synth cifar10 {output} -n {wildcards.n} --seed 0 > {log} 2>&1"


rule convert:
    input:
        source=lambda w: benchmark_source(w.space),
    output:
        f"{R}/benchmarks/{{space}}.h5",
    wildcard_constraints:
        space=SPACE_PATTERN,
    params:
        kind=lambda w: convert_kind(w.space),
        code=lambda w: fingerprint("convert", space=w.space, converter=convert_kind(w.space)),
    log:
        log("convert/{space}"),
    benchmark:
        timing("convert/{space}")
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} convert {params.kind} {input.source} {output} --no-progress"
        " > {log} 2>&1"
