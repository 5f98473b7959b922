# Stage 2: proxy scores per (space, proxy group, shard) -> one merged cache per space.


def shard_files(space):
    return [f"{R}/scores/{space}/{group}/shard{i}of{N_SHARDS}.h5"
            for group in GROUPS for i in range(N_SHARDS)]


rule score:
    input:
        benchmark=f"{R}/benchmarks/{{space}}.h5",
        data=cifar10_archive(),
    output:
        f"{R}/scores/{{space}}/{{group}}/shard{{shard}}of{N_SHARDS}.h5",
    wildcard_constraints:
        space=SPACE_PATTERN,
        group="|".join(GROUPS),
        shard=r"\d+",
    params:
        proxies=lambda w: ",".join(GROUPS[w.group]),
        versions=lambda w: {p: PROXIES[p].version for p in GROUPS[w.group]},
        width=lambda w: WIDTH[w.space],
        settings=lambda w: {k: SCORING[k] for k in ("batch_size", "data_seed", "init_seed",
                                                    "normalisation", "augmentation", "classes")
                            if k in SCORING},
        code=lambda w: fingerprint("score", space=w.space, proxies=tuple(GROUPS[w.group])),
    log:
        log("score/{space}/{group}/shard{shard}"),
    benchmark:
        timing("score/{space}/{group}/shard{shard}")
    threads: 1 if ON_GPU else 2
    resources:
        gpu=1 if ON_GPU else 0,
        mem_mb=8000,
        runtime=240,
    conda:
        "../../envs/score.yaml"
    shell:
        "OMP_NUM_THREADS={threads} {ZSNAS} score --benchmark {input.benchmark} --data {input.data}"
        " --proxies {params.proxies} --shard {wildcards.shard}/" + str(N_SHARDS) +
        " --device " + str(SCORING.get("device", "cpu")) +
        " --batch-size " + str(SCORING.get("batch_size", 64)) +
        " --data-seed " + str(SCORING.get("data_seed", 0)) +
        " --init-seed " + str(SCORING.get("init_seed", 0)) +
        " --normalisation " + str(SCORING.get("normalisation", "foresight")) +
        " --augmentation " + str(SCORING.get("augmentation", "flip-crop")) +
        " --classes " + str(SCORING.get("classes", 10)) +
        " --width {params.width} --out {output} --no-progress > {log} 2>&1"


rule merge:
    input:
        lambda w: shard_files(w.space),
    output:
        f"{R}/scores/{{space}}.h5",
    wildcard_constraints:
        space=SPACE_PATTERN,
    params:
        code=fingerprint("merge"),
    log:
        log("merge/{space}"),
    conda:
        "../../envs/score.yaml"
    shell:
        "{ZSNAS} merge {input} --out {output} > {log} 2>&1"
