"""The server holds: the token is checked before the body is read, chunked bodies over the limit get 413, the
API docs are off unless asked for, /readyz says only "ready", the token comes from a file or the environment
(the flag warns), and HTTP Basic auth carries it for clients that can send nothing but a URL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.server.conftest import ServeProcess

BODY = b'{"samples": [{"prompt": "2+2?", "completion": "4", "reference": "4"}]}'


@pytest.fixture(scope="module")
def plain_server(math_spec: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A server as a user starts it: token from --token-file, default options (no --docs)."""
    folder = tmp_path_factory.mktemp("plain")
    token_file = folder / "token"
    token_file.write_text("file-token-123\n")
    token_file.chmod(0o600)
    srv = ServeProcess(math_spec, "--workers", "1", "--no-cache", "--max-body-mb", "1", "--token-file", str(token_file),
                       token=None, log=folder / "serve.log", insecure=False)
    srv.token = "file-token-123"
    srv.headers = {"Authorization": "Bearer file-token-123"}
    yield srv
    srv.stop()


def _raw_response(port: int, head: bytes, body_part: bytes) -> bytes:
    """Send a request head and only part of its body, then read what the server answers (without sending the
    rest). A server that waited for the whole body would answer nothing: the read would time out."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body_part)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_token_checked_before_the_body_is_read(plain_server: ServeProcess) -> None:
    declared = 30 * 1024 * 1024  # the body the server would have to wait for, and parse, if it read first
    head = (f"POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    # over the 1 MiB limit by Content-Length and unauthenticated: the token decides first
    answer = _raw_response(plain_server.port, head, b"{" * 1024)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    # under the limit by length, still unauthenticated, body not sent: 401 at once, without the body
    small = 512 * 1024
    head = (f"POST /get_reward HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {small}\r\n\r\n").encode()
    answer = _raw_response(plain_server.port, head, b"")
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    # the same request with the token is accepted (the server then waits for the body it was promised)
    ok = httpx.post(plain_server.url + "/v1/score", content=BODY, headers={**plain_server.headers, "content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["results"][0]["status"] == "ok"


def test_chunked_body_over_the_limit_is_413(plain_server: ServeProcess) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: httpx sends Transfer-Encoding: chunked
        yield b'{"samples": [{"completion": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}]}'

    r = httpx.post(plain_server.url + "/v1/score", content=chunks(), headers={**plain_server.headers, "content-type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]

    def small() -> Iterator[bytes]:
        yield BODY[:20]
        yield BODY[20:]

    r = httpx.post(plain_server.url + "/v1/score", content=small(), headers={**plain_server.headers, "content-type": "application/json"})
    assert r.status_code == 200 and r.json()["results"][0]["components"]["correct"] == 1.0


def test_docs_off_unless_asked_and_readyz_says_only_ready(plain_server: ServeProcess, math_server: ServeProcess) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(plain_server.url + path, headers=plain_server.headers).status_code == 404
        assert httpx.get(math_server.url + path).status_code == 200  # math_server runs with --docs
    assert httpx.get(plain_server.url + "/readyz").json() == {"status": "ready"}
    assert httpx.get(plain_server.url + "/v1/spec").status_code == 401


def test_basic_auth_carries_the_token(plain_server: ServeProcess) -> None:
    url = plain_server.url + "/get_reward"
    body = {"query": ["Q: 2+2?\nA: 4"], "prompts": ["Q: 2+2?\nA: "], "labels": ["4"]}
    good = httpx.post(url, json=body, auth=("rewardsmith", "file-token-123"))
    assert good.status_code == 200 and good.json()["extra_logs"]["correct"] == [1.0]
    assert httpx.post(url, json=body, auth=("rewardsmith", "wrong")).status_code == 401
    assert httpx.post(url, json=body, auth=("file-token-123", "")).status_code == 401  # the token is the password


def test_token_sources(math_spec: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REWARDSMITH_TOKEN"}
    base = [sys.executable, "-m", "rewardsmith", "serve", str(math_spec), "--port", "1"]
    empty = tmp_path / "empty"
    empty.write_text("\n")
    r = subprocess.run(base + ["--token-file", str(empty)], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2 and "empty" in r.stderr
    both = subprocess.run(base + ["--token-file", str(empty), "--token", "x"], capture_output=True, text=True, timeout=120, env=env)
    assert both.returncode == 2 and "not both" in both.stderr
    # --token works but warns that `ps` shows it
    srv = ServeProcess(math_spec, "--workers", "1", "--no-cache", "--token", "flag-token", token=None,
                       log=tmp_path / "flag.log", insecure=False)
    try:
        assert httpx.post(srv.url + "/v1/score", content=BODY, headers={"Authorization": "Bearer flag-token",
                                                                         "content-type": "application/json"}).status_code == 200
    finally:
        srv.stop()
    assert "warning" in srv.log() and "ps" in srv.log()
