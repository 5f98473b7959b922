# Stage 3: one search per (space, guide, seed): GEA guided by a proxy, or a baseline strategy.
# GEA runs live under runs/{space}/gea/{proxy}/, baselines under runs/{space}/{strategy}/, so
# a proxy named like a strategy (the "random" proxy vs random search) never shares a path.


def common_search_args(space):
    return " ".join([f"--preset {SEARCH['preset']}", f"--P {SEARCH['P']}", f"--S {SEARCH['S']}",
                     f"--C {SEARCH['C']}", f"--regularize {SEARCH['regularize']}",
                     f"--fitness-trial {SEARCH['fitness_trial']}",
                     f"--mutation {SEARCH['mutation']}",
                     f"--report {SEARCH.get('report', {}).get(space, 'default')}"])


def gea_run(space, proxy, seed):
    return f"{R}/runs/{space}/gea/{proxy}/seed{seed}.json"


def baseline_run(space, strategy, seed):
    return f"{R}/runs/{space}/{strategy}/seed{seed}.json"


def run_files(space):
    return ([gea_run(space, p, s) for p in GUIDES for s in SEEDS]
            + [baseline_run(space, m, s) for m in BASELINE_STRATEGIES for s in SEEDS])


rule search_gea:
    input:
        benchmark=f"{R}/benchmarks/{{space}}.h5",
        cache=f"{R}/scores/{{space}}.h5",
    output:
        gea_run("{space}", "{proxy}", "{seed}"),
    wildcard_constraints:
        space=SPACE_PATTERN,
        proxy="|".join(re.escape(p) for p in GUIDES) or "^$",
        seed=r"\d+",
    params:
        args=lambda w: common_search_args(w.space),
        code=lambda w: fingerprint("search", space=w.space),
    log:
        log("search/{space}/gea/{proxy}/seed{seed}"),
    benchmark:
        timing("search/{space}/gea/{proxy}/seed{seed}")
    group:
        "search"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/search.yaml"
    shell:
        "{ZSNAS} search --benchmark {input.benchmark} --cache {input.cache} --strategy gea"
        " --proxy {wildcards.proxy} {params.args} --seed {wildcards.seed} --out {output}"
        " > {log} 2>&1"


def baseline_inputs(w):
    inputs = {"benchmark": f"{R}/benchmarks/{w.space}.h5"}
    if w.strategy == "random-score":     # the cache's random column when it has one
        inputs["cache"] = f"{R}/scores/{w.space}.h5"
    return inputs


rule search_baseline:
    input:
        unpack(baseline_inputs),
    output:
        baseline_run("{space}", "{strategy}", "{seed}"),
    wildcard_constraints:
        space=SPACE_PATTERN,
        strategy="|".join(re.escape(m) for m in BASELINE_STRATEGIES) or "^$",
        seed=r"\d+",
    params:
        args=lambda w: common_search_args(w.space),
        cache=lambda w, input: f"--cache {input.cache}" if "cache" in input.keys() else "",
        code=lambda w: fingerprint("search", space=w.space),
    log:
        log("search/{space}/{strategy}/seed{seed}"),
    benchmark:
        timing("search/{space}/{strategy}/seed{seed}")
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
