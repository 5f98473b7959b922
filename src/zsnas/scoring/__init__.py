"""Scoring stage: a fixed CIFAR-10 minibatch, the per-architecture scoring engine, and
the sharded HDF5 proxy caches it writes (:mod:`zsnas.scoring.cache`)."""
