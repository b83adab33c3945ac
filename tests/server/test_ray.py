"""The Ray backend on a local Ray started by the test (ray.init(num_cpus=2)): same results as local,
served over HTTP too. Few tests: Ray start-up is slow."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.server.conftest import MATH_SPEC, free_port, gsm8k_rows

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_engine_matches_local_and_serves(local_ray: None, tmp_path: Path, shared_data: Path) -> None:
    import uvicorn

    from rewardsmith.engine import Engine
    from rewardsmith.engine.ray_backend import RayEngine
    from rewardsmith.server import RewardClient, ServerConfig, create_app

    spec = tmp_path / "grpo.yaml"
    spec.write_text(MATH_SPEC + "normalize: {kind: grpo}\n")
    rows = gsm8k_rows(shared_data, 6, start=500)
    local = Engine(str(spec), workers=2, cache=False)
    want = [r.to_fields() for r in local.score(rows)]
    local.close()
    engine = RayEngine(str(spec), workers=2, cache=False)
    got = [r.to_fields() for r in engine.score(rows)]
    assert got == want
    assert engine.ray_stats["chunks"] >= 2 and engine.stats["words"].ok == len(rows)
    # serve --backend ray: the same engine behind the HTTP service
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine, ServerConfig(token="t", port=port)), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with RewardClient(f"http://127.0.0.1:{port}", token="t") as client:
            served = [r.to_fields() for r in client.score(rows)]
    finally:
        server.should_exit = True
        thread.join(30)  # the app closes the engine on shutdown
    assert served == want
