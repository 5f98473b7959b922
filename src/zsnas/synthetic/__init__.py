"""Synthetic benchmark sources in the real on-disk formats.

Everything here writes files exactly as the real sources are laid out (NB101
tfrecord framing + JSON + protobuf, NATS-Bench bz2 pickles, NB201 ``.pth``,
the CIFAR-10 python batches) but with **synthetic numbers**: accuracies come
from a simple deterministic model of the architecture plus seeded noise, not
from training. They serve the tests, the ingest benchmark and the demo run,
and every file converted from them is flagged ``synthetic=True``.
"""
