#!/usr/bin/env bash
# One-command GPU check of the scoring cost; about 5-8 minutes on one H100/H200-class GPU.
#
#   bash benchmarks/device.sh            # writes its figures to stdout and to $OUT (or /tmp)
#
# Prints, for NB201 C=16 and NB101 at stem 16 and 128 (batch 64, CUDA):
#   - the cost model of the six-proxy pass in units of one forward+backward, peak memory,
#     shared pass vs the plain loop, archs/s one architecture at a time and the implied
#     whole-space times (benchmarks/proxies.py sections 1-3);
#   - the GPU path: the real `zsnas score` engine with K = 1, 2, 4, 8 processes sharing
#     the GPU (section 4), archs/s and the implied time for all 15,625 NB201 / 423,624 NB101
#     architectures;
#   - GPU utilisation and memory sampled by nvidia-smi every 0.5 s during the whole run
#     (mean and max), written to $OUT/gpu_util.csv.
# Targets (issue 11): all six proxies on all 15,625 NB201 architectures <= 3 min; NB101 at
# stem 16 <= 1 h.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp}"
mkdir -p "$out"
# the package from this checkout even where it is not installed (a machine without internet)
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
python - <<'EOF'
import torch
assert torch.cuda.is_available(), "benchmarks/device.sh: no CUDA device visible"
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
EOF
sampler=""
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits \
        -lms 500 > "$out/gpu_util.csv" &
    sampler=$!
fi
status=0
python benchmarks/proxies.py --device cuda --archs "${ARCHS:-16}" --batch 64 \
    --workers "${WORKERS:-1,2,4,8}" --worker-archs "${WORKER_ARCHS:-256}" \
    2>&1 | grep -v '^zsnas score:' | tee "$out/proxies_cuda.txt" || status=$?
if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null || true
    python - "$out/gpu_util.csv" <<'EOF'
import sys
rows = [line.split(",") for line in open(sys.argv[1]) if line.count(",") == 2]
util = [float(r[1]) for r in rows if r[1].strip().replace(".", "").isdigit()]
mem = [float(r[2]) for r in rows if r[2].strip().replace(".", "").isdigit()]
if util:
    print(f"GPU utilisation over the run: mean {sum(util) / len(util):.0f} %, max "
          f"{max(util):.0f} %; memory used: max {max(mem):.0f} MiB ({len(util)} samples)")
EOF
fi
exit $status
