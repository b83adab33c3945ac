"""Property-based run of the served OpenAPI schema with the schemathesis CLI: no request makes the server
fail (no 5xx). Skipped only when schemathesis is not installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def test_schemathesis_finds_no_server_errors(math_server: Any) -> None:
    st = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    if not Path(st).exists():
        pytest.skip("schemathesis is not installed")
    cmd = [
        st, "run", math_server.url + "/openapi.json", "--url", math_server.url,
        "-H", f"Authorization: Bearer {math_server.token}",
        "--checks", "not_a_server_error", "--max-examples", "15", "--phases", "examples,coverage,fuzzing",
        "--seed", "8", "--workers", "1",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-4000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", report)
    assert cases is not None and int(cases.group(1)) >= 50 and cases.group(1) == cases.group(2), report[-2000:]
    assert "No issues found" in report
    assert httpx_ready(math_server.url)


def httpx_ready(url: str) -> bool:
    import httpx

    return httpx.get(url + "/readyz").status_code == 200
