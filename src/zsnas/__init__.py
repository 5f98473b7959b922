"""zsnas: zero-shot-proxy-guided evolutionary neural architecture search.

Pipeline layout (one sub-package per stage):

- :mod:`zsnas.spaces`     — the NAS-Bench-201 and NAS-Bench-101 search spaces
- :mod:`zsnas.networks`   — PyTorch builders of the benchmark networks
- :mod:`zsnas.benchmarks` — download, conversion to one HDF5 schema, query API
- :mod:`zsnas.cli`        — the ``zsnas`` command line
"""

__version__ = "0.1.0"
