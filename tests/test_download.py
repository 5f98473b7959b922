"""Tests for zsnas.benchmarks.download against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from zsnas.benchmarks.download import DownloadError, download, file_digest, verify
from zsnas.benchmarks.sources import SOURCES, Source

PAYLOAD = np.random.default_rng(123).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


@dataclass
class ServerState:
    """What the test server serves and what it saw."""

    payload: bytes
    support_range: bool = True
    cut_once: bool = False  # cut the next body in half, then serve normally
    requests: list = field(default_factory=list)  # (path, Range header or None)


def _make_handler(state: ServerState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep pytest output quiet
            pass

        def do_GET(self):
            rng = self.headers.get("Range")
            state.requests.append((self.path, rng))
            if self.path != "/file.bin":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data, total, start = state.payload, len(state.payload), 0
            if rng and state.support_range:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                if start >= total:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{total}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if state.cut_once:
                state.cut_once = False
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def server():
    """Threaded HTTP server on 127.0.0.1; yields (state, base_url)."""
    state = ServerState(payload=PAYLOAD)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _source(**kw) -> Source:
    base = dict(name="test", filename="file.bin", sha256=SHA256, size=len(PAYLOAD))
    base.update(kw)
    return Source(**base)


# --------------------------------------------------------------------------
# registry and checksums


def test_registry_contents():
    assert set(SOURCES) == {"nb101-full", "nb101-108", "nats-tss", "nb201-v1_1", "nb201-v1_0", "cifar10",
                            "cifar100", "nats-sss"}
    for key, s in SOURCES.items():
        assert s.name == key and s.description
        assert s.url or s.gdrive_id
        # every source is checksummed except the NATS simple tars, whose checksums are unpublished
        assert s.has_checksum or key in ("nats-tss", "nats-sss")
        if s.md5_suffix:
            assert s.md5_suffix in s.filename and s.gdrive_id and s.url is None
    assert SOURCES["nb101-108"].url.startswith("https://storage.googleapis.com/nasbench/")
    assert SOURCES["cifar10"].size == 170498071
    assert SOURCES["cifar10"].md5 == "c58f30108f718f92721af3b95e74349a"
    with pytest.raises(ValueError):
        Source(name="x", filename="x", sha256="not-hex")


def test_file_digest(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(PAYLOAD)
    assert file_digest(p, "sha256") == SHA256
    assert file_digest(p, "md5") == MD5


def test_verify_messages(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(PAYLOAD)
    verify(p, _source(md5=MD5, md5_suffix=MD5[-6:]))
    with pytest.raises(DownloadError, match=rf"{p}: sha256 is {SHA256}, expected 0+$"):
        verify(p, _source(sha256="0" * 64))
    with pytest.raises(DownloadError, match=r"size is 300000 bytes, expected 5"):
        verify(p, _source(size=5))
    with pytest.raises(DownloadError, match=rf"{p}: md5 is {MD5}"):
        verify(p, _source(md5="0" * 32))


def test_md5_suffix(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(PAYLOAD)
    verify(p, Source(name="s", filename="f", md5_suffix=MD5[-5:]))
    bad = ("0" if MD5[-1] != "0" else "1") * 5
    with pytest.raises(DownloadError, match=rf"expected one ending in {bad}"):
        verify(p, Source(name="s", filename="f", md5_suffix=bad))


# --------------------------------------------------------------------------
# HTTP transport


def test_full_download_verifies_and_renames(server, tmp_path):
    state, base = server
    out = download(_source(md5=MD5), tmp_path / "d", url=f"{base}/file.bin", progress=False)
    assert out == tmp_path / "d" / "file.bin"
    assert out.read_bytes() == PAYLOAD
    assert not (tmp_path / "d" / "file.bin.part").exists()
    assert state.requests == [("/file.bin", None)]


def test_interrupted_transfer_is_resumed(server, tmp_path):
    state, base = server
    state.cut_once = True
    url = f"{base}/file.bin"
    with pytest.raises(DownloadError, match=url):
        download(_source(), tmp_path, url=url, progress=False)
    part = tmp_path / "file.bin.part"
    half = len(PAYLOAD) // 2
    assert part.stat().st_size == half
    assert not (tmp_path / "file.bin").exists()

    out = download(_source(), tmp_path, url=url, progress=False)
    assert state.requests[-1] == ("/file.bin", f"bytes={half}-")
    assert out.read_bytes() == PAYLOAD
    assert not part.exists()


def test_existing_part_sends_range(server, tmp_path):
    state, base = server
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:1000])
    out = download(_source(), tmp_path, url=f"{base}/file.bin", progress=False)
    assert state.requests == [("/file.bin", "bytes=1000-")]
    assert out.read_bytes() == PAYLOAD


def test_complete_part_416(server, tmp_path):
    state, base = server
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD)
    out = download(_source(), tmp_path, url=f"{base}/file.bin", progress=False)
    assert state.requests == [("/file.bin", f"bytes={len(PAYLOAD)}-")]
    assert out.read_bytes() == PAYLOAD


def test_server_without_range_restarts(server, tmp_path):
    state, base = server
    state.support_range = False
    (tmp_path / "file.bin.part").write_bytes(b"garbage" * 100)
    out = download(_source(), tmp_path, url=f"{base}/file.bin", progress=False)
    assert state.requests == [("/file.bin", "bytes=700-")]
    assert out.read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    _, base = server
    final = tmp_path / "file.bin"
    with pytest.raises(DownloadError, match=str(final)) as exc:
        download(_source(sha256="f" * 64), tmp_path, url=f"{base}/file.bin", progress=False)
    assert "sha256 is" in str(exc.value) and base in str(exc.value)
    assert not final.exists()
    assert not (tmp_path / "file.bin.part").exists()


def test_verified_file_not_downloaded_again(server, tmp_path):
    state, base = server
    url = f"{base}/file.bin"
    download(_source(), tmp_path, url=url, progress=False)
    assert len(state.requests) == 1
    out = download(_source(), tmp_path, url=url, progress=False)
    assert out.read_bytes() == PAYLOAD
    assert len(state.requests) == 1
    download(_source(), tmp_path, url=url, progress=False, force=True)
    assert len(state.requests) == 2


def test_existing_bad_file_is_kept_unless_forced(server, tmp_path):
    state, base = server
    final = tmp_path / "file.bin"
    final.write_bytes(b"not it")
    with pytest.raises(DownloadError, match="fails verification"):
        download(_source(), tmp_path, url=f"{base}/file.bin", progress=False)
    assert final.read_bytes() == b"not it" and state.requests == []
    download(_source(), tmp_path, url=f"{base}/file.bin", progress=False, force=True)
    assert final.read_bytes() == PAYLOAD


def test_http_404_names_url(server, tmp_path):
    _, base = server
    url = f"{base}/missing.bin"
    with pytest.raises(DownloadError, match=f"{url}: HTTP error 404"):
        download(_source(), tmp_path, url=url, progress=False)
    assert not (tmp_path / "file.bin").exists()


def test_connection_refused_names_url(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/file.bin"
    with pytest.raises(DownloadError, match=url):
        download(_source(), tmp_path, url=url, progress=False)


def test_file_url(tmp_path):
    src = tmp_path / "mirror" / "file.bin"
    src.parent.mkdir()
    src.write_bytes(PAYLOAD)
    out = download(_source(), tmp_path / "d", url=src.as_uri(), progress=False)
    assert out.read_bytes() == PAYLOAD
    with pytest.raises(DownloadError, match="missing"):
        download(_source(), tmp_path / "e", url=(tmp_path / "missing").as_uri(), progress=False)


def test_unknown_source_name(tmp_path):
    with pytest.raises(KeyError, match="known sources"):
        download("no-such-source", tmp_path)


# --------------------------------------------------------------------------
# Google Drive routing (gdown faked: Drive is unreachable here)


def test_gdrive_source_routes_to_gdown(monkeypatch, tmp_path):
    import gdown

    calls = []

    def fake_download(*, id, output, quiet, resume):
        calls.append((id, output, quiet, resume))
        with open(output, "wb") as f:
            f.write(PAYLOAD)
        return output

    monkeypatch.setattr(gdown, "download", fake_download)
    src = Source(name="g", filename="NATS-x.tar", gdrive_id="abc123", md5_suffix=MD5[-5:])
    out = download(src, tmp_path, progress=False)
    assert out.read_bytes() == PAYLOAD
    assert calls == [("abc123", str(tmp_path / "NATS-x.tar.part"), True, True)]

    # A wrong suffix means the Drive file is not the expected one.
    bad = replace(src, filename="other.tar", md5_suffix="00000" if MD5[-5:] != "00000" else "11111")
    with pytest.raises(DownloadError, match="other.tar"):
        download(bad, tmp_path, progress=False)
    assert not (tmp_path / "other.tar").exists()


def test_gdrive_failure_suggests_manual_download(monkeypatch, tmp_path):
    import gdown

    def quota(**kw):
        raise gdown.exceptions.FileURLRetrievalError("Too many users have viewed or downloaded this file")

    monkeypatch.setattr(gdown, "download", quota)
    src = Source(name="g", filename="big.pth", gdrive_id="xyz", md5_suffix=MD5[-6:])
    with pytest.raises(DownloadError, match="manually") as exc:
        download(src, tmp_path, progress=False)
    assert str(tmp_path / "big.pth") in str(exc.value)

    # The manual route: put the file there and download() accepts it.
    (tmp_path / "big.pth").write_bytes(PAYLOAD)
    assert download(src, tmp_path, progress=False) == tmp_path / "big.pth"

    monkeypatch.setattr(gdown, "download", lambda **kw: None)
    with pytest.raises(DownloadError, match="no file"):
        download(replace(src, filename="b2.pth"), tmp_path, progress=False)

