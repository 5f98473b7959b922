"""Numbers published in the seed study, typed in as data.

Source: E. Centurión Funes, J. D. Colbes Sanabria, D. P. Pinto-Roa, "Comparación
de métodos Zero-shot Proxy en la Búsqueda de Arquitecturas de Redes Neuronales
basada en Algoritmos Genéticos y aplicados en la Clasificación de Imágenes"
(Facultad Politécnica, Universidad Nacional de Asunción):

- :data:`TABLE1` — Table 1 ("Precisión de clasificación de los modelos
  zero_shot"): mean ± std CIFAR-10 test accuracy (%) of the architecture
  returned by Guided Evolution with each proxy, 30 runs per cell (§5.2),
  P/S/C = 10/5/200 (§5).
- :data:`COUNTS` — §5.2: architectures scored and partially trained per run
  (mean ± std; the text gives 0.08 % / 0.01 % of NAS-Bench-101 and 4.6 % /
  0.71 % of NAS-Bench-201), all proxies pooled.
- :data:`ANOVA_P` — §5.2: p-value of the one-way ANOVA F statistic across
  proxies (the text does not say per space or pooled).
- :data:`SCORING_SECONDS` — §5.2: mean time to estimate one individual
  without training (s).
"""
from __future__ import annotations

CITATION = ("Centurión Funes, Colbes Sanabria & Pinto-Roa, \"Comparación de métodos "
            "Zero-shot Proxy en la Búsqueda de Arquitecturas de Redes Neuronales basada en "
            "Algoritmos Genéticos\", Table 1")

#: Runs per (space, proxy) in the seed study (§5.2: "treinta veces").
N_RUNS = 30
#: P / S / C of Algorithm 1 as stated in the study (§5).
P, S, C = 10, 5, 200

#: (space, proxy) → (mean, std) test accuracy in %, seed study Table 1.
TABLE1: dict[tuple[str, str], tuple[float, float]] = {
    ("nb101", "grad_norm"): (89.76, 1.08),
    ("nb101", "snip"): (90.88, 1.43),
    ("nb101", "synflow"): (90.97, 1.27),
    ("nb101", "grasp"): (90.24, 0.91),
    ("nb101", "fisher"): (89.93, 1.22),
    ("nb101", "jacob_cov"): (92.42, 1.92),
    ("nb201", "grad_norm"): (93.48, 0.04),
    ("nb201", "snip"): (93.50, 0.13),
    ("nb201", "synflow"): (92.56, 0.64),
    ("nb201", "grasp"): (93.41, 0.13),
    ("nb201", "fisher"): (93.47, 0.16),
    ("nb201", "jacob_cov"): (94.02, 0.16),
}

#: space → {"scored": (mean, std), "trained": (mean, std)} per run, seed study §5.2.
COUNTS: dict[str, dict[str, tuple[float, float]]] = {
    "nb101": {"scored": (327.90, 44.79), "trained": (60.37, 24.94)},
    "nb201": {"scored": (718.38, 129.60), "trained": (110.95, 39.40)},
}

#: One-way ANOVA p-value across proxies, seed study §5.2.
ANOVA_P = 1.8636e-12

#: space → mean seconds to score one individual without training, seed study §5.2.
SCORING_SECONDS = {"nb101": 216.0, "nb201": 277.0}
