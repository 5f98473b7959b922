# zsnas: zero-shot-proxy-guided evolutionary NAS on NAS-Bench-101/201 (CIFAR-10).
#
#   snakemake --cores 8 --resources gpu=1                       # the study (real data)
#   snakemake --cores 2 --configfile config/demo.yaml           # synthetic demo, CPU, minutes
#   snakemake --profile profiles/slurm                          # on a SLURM cluster
#   snakemake --report report.html                              # tables, figures, statistics
#
# Rules are thin wrappers around the `zsnas` command line; all logic lives in src/zsnas.
from snakemake.utils import min_version, validate

min_version("8.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/protect.smk"


rule all:
    input:
        analysis_outputs(),
    default_target: True
