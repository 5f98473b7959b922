# Stage 2: proxy scores per (space, dataset, proxy group, shard) -> one merged cache per
# (space, dataset). The dataset's images are scored with its own head (classes) and size.


def shard_files(space, dataset):
    return [f"{R}/scores/{space}/{dataset}/{group}/shard{i}of{N_SHARDS}.h5"
            for group in GROUPS for i in range(N_SHARDS)]


rule score:
    input:
        benchmark=bench_path("benchmarks", "{space}", "{dataset}"),
        data=lambda w: dataset_files(w.dataset),
    output:
        f"{R}/scores/{{space}}/{{dataset}}/{{group}}/shard{{shard}}of{N_SHARDS}.h5",
    wildcard_constraints:
        space=SPACE_PATTERN,
        dataset=DATASET_PATTERN,
        group="|".join(GROUPS),
        shard=r"\d+",
    params:
        proxies=lambda w: ",".join(GROUPS[w.group]),
        versions=lambda w: {p: PROXIES[p].version for p in GROUPS[w.group]},
        width=lambda w: WIDTH[w.space],
        settings=lambda w: {k: SCORING[k] for k in ("batch_size", "data_seed", "init_seed",
                                                    "normalisation", "augmentation")
                            if k in SCORING},
        code=lambda w: fingerprint("score", space=w.space, proxies=tuple(GROUPS[w.group]),
                                   dataset=w.dataset),
    log:
        log("score/{space}/{dataset}/{group}/shard{shard}"),
    benchmark:
        timing("score/{space}/{dataset}/{group}/shard{shard}")
    threads: max(WORKERS, 1) if ON_GPU else max(WORKERS, int(SCORING.get("cpu_threads", 1)))
    resources:
        gpu=1 if ON_GPU else 0,
        # scoring processes sharing the job's device: a resource, not a parameter, so
        # changing it reruns nothing (the scores do not depend on it)
        workers=WORKERS,
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
        " --normalisation " + str(SCORING.get("normalisation", "default")) +
        " --augmentation " + str(SCORING.get("augmentation", "flip-crop")) +
        " --workers {resources.workers}"
        " --width {params.width} --out {output} --no-progress > {log} 2>&1"


rule merge:
    input:
        lambda w: shard_files(w.space, w.dataset),
    output:
        bench_path("scores", "{space}", "{dataset}"),
    wildcard_constraints:
        space=SPACE_PATTERN,
        dataset=DATASET_PATTERN,
    params:
        code=fingerprint("merge"),
    log:
        log("merge/{space}/{dataset}"),
    conda:
        "../../envs/score.yaml"
    shell:
        "{ZSNAS} merge {input} --out {output} > {log} 2>&1"
