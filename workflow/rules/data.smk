# Stage 1: sources (downloaded, or synthetic for the demo) -> one HDF5 benchmark file per
# (space, dataset), and the images each dataset is scored on.
FILE2SOURCE = {s.filename: name for name, s in SOURCES.items()}
DEMO = bool(config.get("demo", False))
SIZES = config.get("demo_sizes", {})
SOURCE_KIND = {src: c.kind for c in CONVERTERS.values() for src in c.sources}
# synthetic stand-ins of the benchmark sources, per converter kind (demo)
DEMO_SOURCE = {"nats": "nats", "nb201-pth": "nb201-pth", "nb101": "nb101", "nats-sss": "nats-sss"}


def raw(source):
    return f"{D}/raw/{SOURCES[source].filename}"


def space_source(space):
    """The download a space's benchmark is converted from (config sources)."""
    name = config.get("sources", {}).get(space)
    if name is None:
        candidates = [s for s, k in SOURCE_KIND.items()
                      if k in get_space(space).converters]
        if not candidates:
            _config_error(f"sources.{space}", "no download is known for this space; set one")
        name = candidates[0]
    return name


def convert_kind(space):
    if DEMO:
        return next(k for k in get_space(space).converters if k in DEMO_SOURCE)
    return SOURCE_KIND[space_source(space)]


def demo_archs(space):
    return SIZES.get(f"{space.replace('-', '_')}_archs", 100)


def benchmark_source(space):
    if DEMO:
        kind = convert_kind(space)
        n = demo_archs(space)
        if kind == "nats-sss":
            return f"{D}/demo/nats-sss-{n}/NATS-sss-v1_0-50262-simple"
        return (f"{D}/demo/nats-{n}/NATS-tss-v1_0-3ffb9-simple" if kind == "nats"
                else f"{D}/demo/{space}-{n}.{'pth' if kind == 'nb201-pth' else 'tfrecord'}")
    return raw(space_source(space))


def dataset_files(dataset):
    """The images a dataset is scored on: the demo's synthetic archive, the folder the config
    names, or the download."""
    if DEMO:
        return f"{D}/demo/{dataset}-{SIZES.get('images_per_batch', 64)}.tar.gz"
    folders = config.get("data_folders", {})
    if dataset in folders:
        return folders[dataset]
    return raw(get_dataset(dataset).source)


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


# Demo sources are kept (not temp()): a source regenerated for one new conversion (a dataset
# added to the config) would look "updated" to every other conversion of it and rerun them.
rule synth_nats_sss:
    output:
        directory(f"{D}/demo/nats-sss-{{n}}/NATS-sss-v1_0-50262-simple"),
    wildcard_constraints:
        n=r"\d+",
    params:
        code=fingerprint("synth", writer="nats-sss"),
    log:
        log("synth/nats-sss-{n}"),
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} synth nats-sss {D}/demo/nats-sss-{wildcards.n} -n {wildcards.n} --seed 0"
        " > {log} 2>&1"


rule synth_nats:
    output:
        directory(f"{D}/demo/nats-{{n}}/NATS-tss-v1_0-3ffb9-simple"),
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
        f"{D}/demo/nb101-{{n}}.tfrecord",
    params:
        code=fingerprint("synth", writer="nb101"),
    log:
        log("synth/nb101-{n}"),
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} synth nb101 {output} -n {wildcards.n} --seed 0 > {log} 2>&1"


rule synth_dataset:
    output:
        f"{D}/demo/{{dataset}}-{{n}}.tar.gz",
    wildcard_constraints:
        dataset=DATASET_PATTERN,
        n=r"\d+",
    params:
        kind=lambda w: synthetic_kind(w.dataset),
        code=lambda w: fingerprint("synth", writer=synthetic_kind(w.dataset)),
    log:
        log("synth/{dataset}-{n}"),
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} synth {params.kind} {output} -n {wildcards.n} --seed 0 > {log} 2>&1"


rule convert:
    input:
        source=lambda w: benchmark_source(w.space),
    output:
        bench_path("benchmarks", "{space}", "{dataset}"),
    wildcard_constraints:
        space=SPACE_PATTERN,
        dataset=DATASET_PATTERN,
    params:
        kind=lambda w: convert_kind(w.space),
        code=lambda w: fingerprint("convert", space=w.space, converter=convert_kind(w.space)),
    log:
        log("convert/{space}/{dataset}"),
    benchmark:
        timing("convert/{space}/{dataset}")
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/ingest.yaml"
    shell:
        "{ZSNAS} convert {params.kind} {input.source} {output} --dataset {wildcards.dataset}"
        " --no-progress > {log} 2>&1"
