"""The synthetic-source writers of ``zsnas synth KIND``, named by reference so a
demo source's code fingerprint holds its own writer only."""
from __future__ import annotations

from ..errors import UsageError

WRITERS = {
    "nb101": "zsnas.synthetic.nb101:write_nb101_tfrecord",
    "nats": "zsnas.synthetic.nb201:write_nats_archive",
    "nb201-pth": "zsnas.synthetic.nb201:write_nb201_pth",
    "nats-sss": "zsnas.synthetic.nats_sss:write_sss_archive",
    "cifar10": "zsnas.synthetic.cifar10:write_cifar10_archive",
    "cifar100": "zsnas.synthetic.cifar100:write_cifar100_archive",
    "imagenet16": "zsnas.synthetic.imagenet16:write_imagenet16_archive",
}


def writer_ref(kind: str) -> str:
    try:
        return WRITERS[kind]
    except KeyError:
        raise UsageError(f"unknown synthetic source {kind!r}; known: {', '.join(WRITERS)}") \
            from None


__all__ = ["WRITERS", "writer_ref"]
