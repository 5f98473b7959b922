"""Registry of the files zsnas can download (benchmark tables, CIFAR-10 and CIFAR-100).

Each :class:`Source` names one file, where to get it (an HTTP(S) URL or a
Google Drive file id) and what is known about its contents (size and
checksums) so that :func:`zsnas.benchmarks.download.download` can verify it.

Checksums come from the projects' own READMEs (see SPEC §4a–§4c):

* NAS-Bench-101 publishes full SHA-256 digests of its tfrecords.
* NATS-Bench / NAS-Bench-201 publish no full checksum; their file names end
  with the last hex digits of the file's md5 (``md5_suffix``).
* CIFAR-10 and CIFAR-100 have the md5 and byte size used by torchvision.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Source", "SOURCES", "get_source"]


@dataclass(frozen=True)
class Source:
    """One downloadable file.

    Attributes:
        name: registry key (e.g. ``"nb101-108"``).
        filename: name of the file once downloaded.
        url: HTTP(S) (or ``file://``) URL; ``None`` for Drive-only files.
        gdrive_id: Google Drive file id, used when ``url`` is ``None``.
        sha256: full hex SHA-256 of the file, if published.
        md5: full hex md5 of the file, if published.
        md5_suffix: trailing hex digits of the file's md5 (NATS/NB201 names).
        size: exact size in bytes, if published.
        description: what the file holds.
    """

    name: str
    filename: str
    url: str | None = None
    gdrive_id: str | None = None
    sha256: str | None = None
    md5: str | None = None
    md5_suffix: str | None = None
    size: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        for field in ("sha256", "md5", "md5_suffix"):
            value = getattr(self, field)
            if value is not None:
                if not value or any(c not in "0123456789abcdefABCDEF" for c in value):
                    raise ValueError(f"Source {self.name!r}: {field} must be hex, got {value!r}")
                object.__setattr__(self, field, value.lower())
        if self.size is not None and self.size < 0:
            raise ValueError(f"Source {self.name!r}: size must be >= 0, got {self.size}")

    @property
    def has_checksum(self) -> bool:
        """True when the file can be checked against a digest (not only size)."""
        return bool(self.sha256 or self.md5 or self.md5_suffix)


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            name="nb101-full",
            filename="nasbench_full.tfrecord",
            url="https://storage.googleapis.com/nasbench/nasbench_full.tfrecord",
            sha256="3d64db8180fb1b0207212f9032205064312b6907a3bbc81eabea10db2f5c7e9c",
            description=(
                "NAS-Bench-101 full tfrecord (~1.95 GB): 423,624 cells x 4 epoch "
                "budgets (4/12/36/108) x 3 repeats; used by GEA (needs 12 epochs)."
            ),
        ),
        Source(
            name="nb101-108",
            filename="nasbench_only108.tfrecord",
            url="https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord",
            sha256="4c39c3936e36a85269881d659e44e61a245babcb72cb374eacacf75d0e5f4fd1",
            description=(
                "NAS-Bench-101 108-epoch-only tfrecord (~499 MB): 423,624 cells x "
                "3 repeats at the 108-epoch budget; foresight's NB101 default."
            ),
        ),
        Source(
            name="nats-tss",
            filename="NATS-tss-v1_0-3ffb9-simple.tar",
            gdrive_id="17_saCsj_krKjlCBLOJEpNtzPXArMCqxU",
            # '3ffb9' in the name is the md5 tail of the single-file pickle the
            # simple archive was derived from, not of this tar; no checksum of the
            # tar is published, so none is enforced (the converter records its sha256).
            description=(
                "NATS-Bench topology search space (= NAS-Bench-201), 'simple' tar "
                "archive: meta.pickle.pbz2 plus one bz2 pickle per architecture "
                "(15,625) with CIFAR-10/100 and ImageNet16-120 results."
            ),
        ),
        Source(
            name="nats-sss",
            filename="NATS-sss-v1_0-50262-simple.tar",
            gdrive_id="1scOMTUwcQhAMa_IMedp9lTzwmgqHLGgA",
            # the Drive id of the NATS-Bench README's "archive (sss)" link; '50262' is the
            # md5 tail of the single-file pickle, not of this tar (no checksum published)
            description=(
                "NATS-Bench size search space, 'simple' tar archive: meta.pickle.pbz2 plus "
                "one bz2 pickle per architecture (32,768 channel configurations, hp 01 / 12 "
                "/ 90) with CIFAR-10/100 and ImageNet16-120 results."
            ),
        ),
        Source(
            name="nb201-v1_1",
            filename="NAS-Bench-201-v1_1-096897.pth",
            gdrive_id="16Y0UwGisiouVRxW-W5hEtbxmcHw_0hF_",
            md5_suffix="096897",
            description=(
                "NAS-Bench-201 v1.1 single-file benchmark (~4.7 GB torch pickle) "
                "of all 15,625 cells; used by GEA's main runs."
            ),
        ),
        Source(
            name="nb201-v1_0",
            filename="NAS-Bench-201-v1_0-e61699.pth",
            gdrive_id="1SKW0Cu0u8-gb18zDpaAGi0f74UdXeGKs",
            md5_suffix="e61699",
            description=(
                "NAS-Bench-201 v1.0 single-file benchmark (~2.2 GB torch pickle); "
                "used by GEA's ablations and foresight's NB201 correlations."
            ),
        ),
        Source(
            name="cifar10",
            filename="cifar-10-python.tar.gz",
            url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            md5="c58f30108f718f92721af3b95e74349a",
            size=170498071,
            description=(
                "CIFAR-10, python version: cifar-10-batches-py/ with data_batch_1..5 "
                "(50,000 training images), test_batch (10,000) and batches.meta."
            ),
        ),
        Source(
            name="cifar100",
            filename="cifar-100-python.tar.gz",
            url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
            md5="eb9058c3a382ffc7106e4002c42a8d85",
            size=169001437,
            description=(
                "CIFAR-100, python version: cifar-100-python/ with train (50,000 "
                "images), test (10,000) and meta; 100 fine and 20 coarse labels."
            ),
        ),
    )
}


def get_source(name: str) -> Source:
    """Return ``SOURCES[name]`` with an error listing the known names."""
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise KeyError(f"unknown source {name!r}; known sources: {known}") from None
