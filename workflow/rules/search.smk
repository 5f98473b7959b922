# Stage 3: one search per (space, dataset, guide, seed): GEA guided by a proxy, or a baseline.
# GEA runs live under runs/{space}/{dataset}/gea/{proxy}/, baselines under
# runs/{space}/{dataset}/{strategy}/, so a proxy named like a strategy (the "random" proxy vs
# random search) never shares a path.


def common_search_args(space):
    return " ".join([f"--preset {SEARCH['preset']}", f"--P {SEARCH['P']}", f"--S {SEARCH['S']}",
                     f"--C {SEARCH['C']}", f"--regularize {SEARCH['regularize']}",
                     f"--fitness-trial {SEARCH['fitness_trial']}",
                     f"--mutation {SEARCH['mutation']}",
                     f"--report {SEARCH.get('report', {}).get(space, 'default')}"])


def gea_run(space, dataset, proxy, seed):
    return f"{R}/runs/{space}/{dataset}/gea/{proxy}/seed{seed}.json"


def baseline_run(space, dataset, strategy, seed):
    return f"{R}/runs/{space}/{dataset}/{strategy}/seed{seed}.json"


def run_files(space, dataset):
    return ([gea_run(space, dataset, p, s) for p in GUIDES for s in SEEDS]
            + [baseline_run(space, dataset, m, s) for m in BASELINE_STRATEGIES for s in SEEDS])


rule search_gea:
    input:
        benchmark=bench_path("benchmarks", "{space}", "{dataset}"),
        cache=bench_path("scores", "{space}", "{dataset}"),
    output:
        gea_run("{space}", "{dataset}", "{proxy}", "{seed}"),
    wildcard_constraints:
        space=SPACE_PATTERN,
        dataset=DATASET_PATTERN,
        proxy="|".join(re.escape(p) for p in GUIDES) or "^$",
        seed=r"\d+",
    params:
        args=lambda w: common_search_args(w.space),
        ensemble=lambda w: (f"--ensemble {ENSEMBLES[w.proxy].spec}" if w.proxy in ENSEMBLES
                            else ""),
        code=lambda w: fingerprint("search", space=w.space),
    log:
        log("search/{space}/{dataset}/gea/{proxy}/seed{seed}"),
    benchmark:
        timing("search/{space}/{dataset}/gea/{proxy}/seed{seed}")
    group:
        "search"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/search.yaml"
    shell:
        "{ZSNAS} search --benchmark {input.benchmark} --cache {input.cache} --strategy gea"
        " --proxy {wildcards.proxy} {params.ensemble} {params.args} --seed {wildcards.seed}"
        " --out {output}"
        " > {log} 2>&1"


def baseline_inputs(w):
    inputs = {"benchmark": bench_path("benchmarks", w.space, w.dataset)}
    if w.strategy == "random-score":     # the cache's random column when it has one
        inputs["cache"] = bench_path("scores", w.space, w.dataset)
    return inputs


rule search_baseline:
    input:
        unpack(baseline_inputs),
    output:
        baseline_run("{space}", "{dataset}", "{strategy}", "{seed}"),
    wildcard_constraints:
        space=SPACE_PATTERN,
        dataset=DATASET_PATTERN,
        strategy="|".join(re.escape(m) for m in BASELINE_STRATEGIES) or "^$",
        seed=r"\d+",
    params:
        args=lambda w: common_search_args(w.space),
        cache=lambda w, input: f"--cache {input.cache}" if "cache" in input.keys() else "",
        code=lambda w: fingerprint("search", space=w.space),
    log:
        log("search/{space}/{dataset}/{strategy}/seed{seed}"),
    benchmark:
        timing("search/{space}/{dataset}/{strategy}/seed{seed}")
    group:
        "search"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/search.yaml"
    shell:
        "{ZSNAS} search --benchmark {input.benchmark} {params.cache} --strategy {wildcards.strategy}"
        " {params.args} --seed {wildcards.seed} --out {output} > {log} 2>&1"
