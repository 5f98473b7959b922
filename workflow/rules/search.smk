# Stage 3: one search per (space, method, seed); method = a proxy (GEA) or a baseline.


def needs_cache(method):
    return method in SEARCH["proxies"] or method == "random-score"


def search_inputs(w):
    inputs = {"benchmark": f"{R}/benchmarks/{w.space}.h5", "code": package_files("zsnas.search")}
    if needs_cache(w.method):
        inputs["cache"] = f"{R}/scores/{w.space}.h5"
    return inputs


def search_args(w):
    if w.method in SEARCH["proxies"]:
        args = ["--strategy gea", f"--proxy {w.method}"]
    else:
        args = [f"--strategy {w.method}"]
    if needs_cache(w.method):
        args.append(f"--cache {R}/scores/{w.space}.h5")
    args += [f"--preset {SEARCH['preset']}", f"--P {SEARCH['P']}", f"--S {SEARCH['S']}",
             f"--C {SEARCH['C']}", f"--regularize {SEARCH['regularize']}",
             f"--fitness-trial {SEARCH['fitness_trial']}", f"--mutation {SEARCH['mutation']}",
             f"--report {SEARCH.get('report', {}).get(w.space, 'default')}"]
    return " ".join(args)


def run_files(space):
    return [f"{R}/runs/{space}/{m}/seed{s}.json" for m in METHODS for s in SEEDS]


rule search:
    input:
        unpack(search_inputs),
    output:
        f"{R}/runs/{{space}}/{{method}}/seed{{seed}}.json",
    wildcard_constraints:
        space="nb201|nb101",
        method="|".join(re.escape(m) for m in METHODS),
        seed=r"\d+",
    params:
        args=search_args,
    log:
        log("search/{space}/{method}/seed{seed}"),
    benchmark:
        timing("search/{space}/{method}/seed{seed}")
    group:
        "search"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/search.yaml"
    shell:
        "{ZSNAS} search --benchmark {input.benchmark} {params.args} --seed {wildcards.seed}"
        " --out {output} > {log} 2>&1"
