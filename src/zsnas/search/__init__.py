"""Search stage: GEA's guided evolution and its baselines on cached proxy scores.

- :mod:`.space_adapter` — random architectures and mutation against a benchmark
- :mod:`.fitness`       — fitness, reported accuracy, simulated training time
- :mod:`.scorers`       — what guides the GA (proxy cache, oracle, random)
- :mod:`.ga`            — Algorithm 1 as GEA coded it, presets ``gea`` / ``paper``
- :mod:`.baselines`     — random search, regularised evolution, oracle, random score
- :mod:`.report`        — the run record and its byte-stable JSON
- :mod:`.run`           — one run → one record (the JSON format is documented there)
"""
from .fitness import FITNESS_TRIALS, Evaluator
from .ga import PRESETS, REGULARIZE, evolve, resolve_sizes
from .report import dumps, write_json
from .run import STRATEGIES, run_search, run_to_file
from .space_adapter import adapter_for

__all__ = [
           "FITNESS_TRIALS",
           "PRESETS",
           "REGULARIZE",
           "STRATEGIES",
           "Evaluator",
           "adapter_for",
           "dumps",
           "evolve",
           "resolve_sizes",
           "run_search",
           "run_to_file",
           "write_json",
]
