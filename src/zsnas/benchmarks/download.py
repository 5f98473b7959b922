"""Download, verify and unpack the benchmark files listed in :mod:`.sources`.

* HTTP(S) and ``file://`` downloads go through :mod:`urllib.request`, are
  streamed to ``<final>.part`` and resume with a ``Range`` request when a
  ``.part`` is already there.
* Google-Drive-only sources go through :mod:`gdown`.
* Whatever the transport, the file is verified (size / sha256 / md5 / md5
  suffix) before it is atomically renamed to its final name, so a file under
  the final name is always a verified one.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import ZsnasError
from .sources import Source, get_source

__all__ = [
    "DownloadError",
    "file_digest",
    "verify",
    "download",
    "extract_dataset_archive",
    "extract_cifar10",
    "extract_cifar100",
    "ArchiveLayout",
    "ARCHIVES",
    "CIFAR10_MEMBERS",
    "CIFAR10_MEMBER_MD5",
    "CIFAR100_MEMBERS",
    "CIFAR100_MEMBER_MD5",
]

CHUNK = 1 << 20  # 1 MiB
TIMEOUT_S = 60.0
USER_AGENT = "zsnas-downloader/0.1 (+python urllib)"

#: Files expected inside ``cifar-10-batches-py/``.
CIFAR10_MEMBERS = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
    "batches.meta",
)

#: md5 of each member of the official archive (torchvision's list).
CIFAR10_MEMBER_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}

#: Files expected inside ``cifar-100-python/``.
CIFAR100_MEMBERS = ("train", "test", "meta")

#: md5 of each member of the official archive (torchvision's ``train_list``,
#: ``test_list`` and ``meta``).
CIFAR100_MEMBER_MD5 = {
    "train": "16019d7e3df5f24257cddd939b257f8d",
    "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
    "meta": "7973b15100ade9c7d40fb424638fde48",
}


@dataclass(frozen=True)
class ArchiveLayout:
    """What an official dataset archive holds: one folder with these files.

    Attributes:
        source: the :data:`~.sources.SOURCES` key of the archive (its official size).
        label: dataset name for messages ("CIFAR-10").
        folder: the folder the archive unpacks to.
        members: files that folder must hold.
        member_md5: official md5 of each member.
    """

    source: str
    label: str
    folder: str
    members: tuple[str, ...]
    member_md5: dict = field(hash=False)


#: The archives :func:`extract_dataset_archive` knows, by source name.
ARCHIVES = {
    "cifar10": ArchiveLayout("cifar10", "CIFAR-10", "cifar-10-batches-py", CIFAR10_MEMBERS,
                             CIFAR10_MEMBER_MD5),
    "cifar100": ArchiveLayout("cifar100", "CIFAR-100", "cifar-100-python", CIFAR100_MEMBERS,
                              CIFAR100_MEMBER_MD5),
}


class DownloadError(ZsnasError):
    """A download, verification or extraction failed (message names the file/URL)."""


# --------------------------------------------------------------------------
# checksums


def _digests(path: Path, algos: list[str]) -> dict[str, str]:
    """Hex digests of ``path`` for each algorithm, in one streamed pass."""
    hashers = {a: hashlib.new(a) for a in algos}
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            for h in hashers.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hashers.items()}


def file_digest(path: str | os.PathLike, algo: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks (``algo``: any hashlib name)."""
    return _digests(Path(path), [algo])[algo]


def _problems(path: Path, source: Source) -> list[str]:
    """List of human-readable mismatches between ``path`` and ``source``."""
    if not path.is_file():
        return ["file does not exist"]
    size = path.stat().st_size
    if source.size is not None and size != source.size:
        # A wrong size makes every digest wrong too; don't bother hashing.
        return [f"size is {size} bytes, expected {source.size}"]
    algos = []
    if source.sha256:
        algos.append("sha256")
    if source.md5 or source.md5_suffix:
        algos.append("md5")
    if not algos:
        return []
    digests = _digests(path, algos)
    out = []
    if source.sha256 and digests["sha256"] != source.sha256:
        out.append(f"sha256 is {digests['sha256']}, expected {source.sha256}")
    if source.md5 and digests["md5"] != source.md5:
        out.append(f"md5 is {digests['md5']}, expected {source.md5}")
    if source.md5_suffix and not digests["md5"].endswith(source.md5_suffix):
        out.append(f"md5 is {digests['md5']}, expected one ending in {source.md5_suffix}")
    return out


def verify(path: str | os.PathLike, source: Source | str) -> None:
    """Check ``path`` against the size and checksums of ``source``.

    Raises:
        DownloadError: ``"<path>: sha256 is X, expected Y"`` (and likewise for
        size, md5 and the md5 suffix) when something does not match.
    """
    source = get_source(source) if isinstance(source, str) else source
    path = Path(path)
    problems = _problems(path, source)
    if problems:
        raise DownloadError(f"{path}: " + "; ".join(problems))


# --------------------------------------------------------------------------
# transports


def _content_range_start(value: str | None) -> int | None:
    """First byte offset of a ``Content-Range: bytes a-b/total`` header."""
    m = re.match(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*$", value or "")
    return int(m.group(1)) if m else None


def _range_total(value: str | None) -> int | None:
    """Total size from ``Content-Range: bytes */total`` (a 416 response)."""
    m = re.match(r"\s*bytes\s+[^/]*/(\d+)\s*$", value or "")
    return int(m.group(1)) if m else None


def _fetch_url(url: str, part: Path, *, progress: bool, desc: str) -> None:
    """Stream ``url`` into ``part``, resuming from its current size if it exists.

    On return ``part`` holds the complete body (as far as the server's
    ``Content-Length`` can tell). Network failures raise DownloadError and
    leave ``part`` in place for a later resume.
    """
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset > 0:
            # Range not satisfiable: the .part is either complete or too long.
            total = _range_total(e.headers.get("Content-Range"))
            e.close()
            if total is not None and total == offset:
                return
            part.unlink()
            return _fetch_url(url, part, progress=progress, desc=desc)
        raise DownloadError(f"{url}: HTTP error {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: cannot connect ({e.reason})") from e
    except (OSError, http.client.HTTPException) as e:
        raise DownloadError(f"{url}: cannot open ({e})") from e

    with response:
        status = getattr(response, "status", None)
        if offset > 0 and status == 206:
            start = _content_range_start(response.headers.get("Content-Range"))
            if start != offset:
                # A range we did not ask for: start over from zero.
                response.close()
                part.unlink()
                return _fetch_url(url, part, progress=progress, desc=desc)
            mode = "ab"
        else:  # 200 (or file://): the server sends the whole file
            offset, mode = 0, "wb"
        length = response.headers.get("Content-Length")
        remaining = int(length) if length and length.isdigit() else None
        total = offset + remaining if remaining is not None else None
        received = 0
        with open(part, mode) as f, tqdm(
            total=total,
            initial=offset,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=desc,
            disable=not progress,
        ) as bar:
            try:
                while block := response.read(CHUNK):
                    f.write(block)
                    received += len(block)
                    bar.update(len(block))
            except (OSError, http.client.HTTPException) as e:
                raise DownloadError(
                    f"{url}: transfer interrupted after {offset + received} bytes ({e!r}); "
                    f"the partial file {part} is kept and the next call resumes it"
                ) from e
        if remaining is not None and received < remaining:
            raise DownloadError(
                f"{url}: incomplete read, got {offset + received} of {total} bytes; "
                f"the partial file {part} is kept and the next call resumes it"
            )


def _fetch_gdrive(source: Source, part: Path, dest_dir: Path, *, progress: bool) -> None:
    """Fetch a Google-Drive-only source into ``part`` with gdown."""
    import gdown

    hint = (
        f"Download it manually from https://drive.google.com/uc?id={source.gdrive_id} "
        f"(or a mirror listed in the project README) and save it as "
        f"{dest_dir / source.filename}; the next call will verify and accept it."
    )
    try:
        out = gdown.download(
            id=source.gdrive_id, output=str(part), quiet=not progress, resume=True
        )
    except Exception as e:  # gdown raises its own, requests' and OS errors
        raise DownloadError(
            f"{source.filename}: Google Drive download (id {source.gdrive_id}) failed: "
            f"{e}. Google Drive often refuses large files once their daily quota is "
            f"used up. {hint}"
        ) from e
    if out is None or not part.is_file():
        raise DownloadError(
            f"{source.filename}: Google Drive download (id {source.gdrive_id}) produced "
            f"no file (quota exceeded or access denied?). {hint}"
        )


# --------------------------------------------------------------------------
# public entry point


def download(
    source: Source | str,
    dest_dir: str | os.PathLike,
    *,
    url: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Download ``source`` into ``dest_dir`` and return the verified file's path.

    Args:
        source: a :class:`Source` or a key of :data:`SOURCES`.
        dest_dir: folder for the file (created if needed).
        url: overrides the source's location (mirror, local server,
            ``file://`` path); forces the urllib transport.
        progress: show a tqdm progress bar.
        force: download again even when a verified file is already present.

    An existing final file that verifies is returned without any network
    access (so a file put there by hand is accepted). An existing final file
    that does *not* verify is left alone and reported (use ``force=True`` to
    replace it). Interrupted HTTP transfers leave ``<final>.part``, which the
    next call resumes with a ``Range`` request.

    Raises:
        DownloadError: network failure (naming the URL), checksum mismatch
            (naming the file; the bad download is deleted) or Drive refusal.
    """
    source = get_source(source) if isinstance(source, str) else source
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / source.filename
    part = final.with_name(final.name + ".part")

    if final.exists() and not force:
        problems = _problems(final, source)
        if not problems:
            return final
        raise DownloadError(
            f"{final}: exists but fails verification ({'; '.join(problems)}); "
            f"delete it or call download(..., force=True) to fetch it again"
        )
    if force and part.exists():
        part.unlink()

    location = url or source.url
    if location:
        _fetch_url(location, part, progress=progress, desc=source.filename)
    elif source.gdrive_id:
        location = f"Google Drive id {source.gdrive_id}"
        _fetch_gdrive(source, part, dest_dir, progress=progress)
    else:
        raise DownloadError(f"{source.filename}: source {source.name!r} has no URL or Drive id")

    problems = _problems(part, source)
    if problems:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{final}: downloaded file from {location} is corrupt: {'; '.join(problems)}; "
            f"the download was deleted"
        )
    os.replace(part, final)
    return final


# --------------------------------------------------------------------------
# dataset archives (CIFAR-10, CIFAR-100)


def _check_member_name(archive: Path, name: str) -> None:
    parts = Path(name).parts
    if name.startswith(("/", "\\")) or Path(name).is_absolute() or ".." in parts or (
        len(name) > 1 and name[1] == ":"
    ):
        raise DownloadError(f"{archive}: refusing unsafe member path {name!r}")


def _layout(dataset: ArchiveLayout | str) -> ArchiveLayout:
    if isinstance(dataset, ArchiveLayout):
        return dataset
    try:
        return ARCHIVES[dataset]
    except KeyError:
        raise KeyError(f"no archive layout for {dataset!r}; known: {', '.join(ARCHIVES)}") \
            from None


def extract_dataset_archive(
    archive: str | os.PathLike,
    dest_dir: str | os.PathLike,
    dataset: ArchiveLayout | str,
    *,
    check_members: bool | None = None,
) -> Path:
    """Safely extract a dataset archive (``"cifar10"``, ``"cifar100"``) and return
    its folder (``cifar-10-batches-py/``, ``cifar-100-python/``) under ``dest_dir``.

    Members with absolute paths or ``..`` components are rejected before
    anything is written; so is an archive that lacks one of the layout's
    members (e.g. the CIFAR-10 archive given as CIFAR-100). Extraction uses
    ``tarfile``'s ``"data"`` filter; afterwards every member must exist.

    Args:
        dataset: a key of :data:`ARCHIVES` or an :class:`ArchiveLayout`.
        check_members: also compare each member's md5 with the official one.
            ``None`` (default) does so only when the archive has the official
            archive's size, so synthetic fixtures are not rejected.

    Raises:
        DownloadError: unreadable archive, unsafe member, missing member or
            (when checked) a member md5 mismatch.
    """
    layout = _layout(dataset)
    archive = Path(archive)
    dest_dir = Path(dest_dir)
    if not archive.is_file():
        raise DownloadError(f"{archive}: archive does not exist")
    if check_members is None:
        check_members = archive.stat().st_size == get_source(layout.source).size
    expected = [f"{layout.folder}/{n}" for n in layout.members]
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for m in members:
                _check_member_name(archive, m.name)
            files = {m.name.removeprefix("./") for m in members if m.isfile()}
            missing = [n for n in expected if n not in files]
            if missing:
                others = [o.label for o in ARCHIVES.values()
                          if o.folder != layout.folder
                          and any(f.startswith(o.folder + "/") for f in files)]
                hint = f" (this is a {others[0]} archive, not {layout.label})" if others else ""
                raise DownloadError(f"{archive}: missing {', '.join(missing)}{hint}")
            dest_dir.mkdir(parents=True, exist_ok=True)
            tar.extractall(dest_dir, members=members, filter="data")
    except DownloadError:
        raise
    except tarfile.FilterError as e:
        raise DownloadError(f"{archive}: refusing unsafe member ({e})") from e
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DownloadError(f"{archive}: cannot extract ({e})") from e

    folder = dest_dir / layout.folder
    missing = [n for n in layout.members if not (folder / n).is_file()]
    if missing:
        raise DownloadError(
            f"{archive}: missing {', '.join(layout.folder + '/' + n for n in missing)}"
        )
    if check_members:
        bad = [
            f"{n} md5 is {d}, expected {layout.member_md5[n]}"
            for n in layout.members
            if (d := file_digest(folder / n, "md5")) != layout.member_md5[n]
        ]
        if bad:
            raise DownloadError(f"{archive}: " + "; ".join(bad))
    return folder


def extract_cifar10(
    archive: str | os.PathLike,
    dest_dir: str | os.PathLike,
    *,
    check_members: bool | None = None,
) -> Path:
    """Safely extract ``cifar-10-python.tar.gz`` and return ``cifar-10-batches-py/``.

    See :func:`extract_dataset_archive` (every file in :data:`CIFAR10_MEMBERS`
    must be there; member md5s are checked for the official-size archive).
    """
    return extract_dataset_archive(archive, dest_dir, "cifar10", check_members=check_members)


def extract_cifar100(
    archive: str | os.PathLike,
    dest_dir: str | os.PathLike,
    *,
    check_members: bool | None = None,
) -> Path:
    """Safely extract ``cifar-100-python.tar.gz`` and return ``cifar-100-python/``.

    See :func:`extract_dataset_archive` (``train``, ``test`` and ``meta`` must be
    there; member md5s are checked for the official-size archive).
    """
    return extract_dataset_archive(archive, dest_dir, "cifar100", check_members=check_members)
