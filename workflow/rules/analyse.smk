# Stage 4: tables, figures, statistics and the report.
ANALYSIS = f"{R}/analysis"
QUALITY = bool(config.get("analysis", {}).get("quality", True))
REPORT_FILES = {
    "findings.md": ("Findings", "findings.rst"),
    "table1.csv": ("Table 1", "table1.rst"),
    "effects.csv": ("Effect of the guide", "effects_table.rst"),
    "effects.png": ("Effect of the guide", "effects.rst"),
    "anytime.csv": ("Budget-matched comparison", "anytime_table.rst"),
    "anytime.png": ("Budget-matched comparison", "anytime.rst"),
    "curves.png": ("Convergence", "curves.rst"),
    "stats_tests.csv": ("Statistics", "stats_tests.rst"),
    "stats_posthoc.csv": ("Statistics", "stats_posthoc.rst"),
    "stats_summary.md": ("Statistics", "stats_summary.rst"),
    "counts.csv": ("Architectures scored and trained", "counts.rst"),
    "reproduction.csv": ("Reproduction", "reproduction.rst"),
}
if QUALITY:
    REPORT_FILES["quality.png"] = ("Proxy quality", "quality.rst")
    REPORT_FILES["quality_scatter.png"] = ("Proxy quality", "quality_scatter.rst")
    REPORT_FILES["search_quality.csv"] = ("Quality where the search uses it",
                                          "search_quality_table.rst")
    REPORT_FILES["search_quality.png"] = ("Quality where the search uses it",
                                          "search_quality.rst")
    REPORT_FILES["quality.csv"] = ("Proxy quality", "quality_table.rst")


def analysis_outputs():
    return [f"{ANALYSIS}/{name}" for name in REPORT_FILES]


def quality_args(wildcards, input):
    if not QUALITY:
        return ""
    return " ".join(f"--cache {s}/{d}={bench_path('scores', s, d)} "
                    f"--benchmark {s}/{d}={bench_path('benchmarks', s, d)}"
                    for s, d in BENCHMARKS)


rule analyse:
    input:
        runs=[f for s, d in BENCHMARKS for f in run_files(s, d)],
        caches=[bench_path("scores", s, d) for s, d in BENCHMARKS] if QUALITY else [],
        benchmarks=[bench_path("benchmarks", s, d) for s, d in BENCHMARKS] if QUALITY else [],
    output:
        [report(f"{ANALYSIS}/{name}", category=cat,
                caption=f"../report/{caption}") for name, (cat, caption) in REPORT_FILES.items()],
    params:
        quality=quality_args,
        code=fingerprint("analyse", spaces=tuple(SPACES), datasets=tuple(DATASETS)),
    log:
        log("analyse"),
    benchmark:
        timing("analyse")
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/analyse.yaml"
    shell:
        "{ZSNAS} analyse {input.runs} {params.quality} --out {ANALYSIS} > {log} 2>&1"
