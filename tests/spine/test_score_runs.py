"""`rewardsmith score` never mixes runs and loses nothing: the run record beside the output, refusals of reruns
that do not match, resume by ids, the output lock, a real full disk, row errors that name the input line,
exit codes, progress and piped tables, worker recycling, stuck reward threads. Real subprocesses and files."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_cli import PYTHONPATH, cli


def write_rows(path: Path, n: int, width: int = 1) -> list[dict[str, object]]:
    rows = [{"id": f"r{i}", "prompt": "p", "completion": "x" * (i % 17 + width)} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("components:\n  - {name: len, reward: 'user_rewards:t_len'}\n")
    return path


def test_run_record_and_reruns_that_do_not_match(spec: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_rows(src, 30)
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 0, r.stderr
    record = json.loads((tmp_path / "out.jsonl.run.json").read_text())
    assert record["complete"] is True and record["rows"] == 30 and record["input_rows"] == 30
    assert len(record["spec_hash"]) == 16 and record["rewardsmith_version"] and record["step"] is None
    assert all(set(row) == {"id", "prompt", "completion", "reward", "status", "components", "reason"} for row in lines(out))
    before = out.read_bytes()

    # the same command again: nothing to do, nothing appended
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 0 and "already complete" in r.stdout and out.read_bytes() == before

    # another spec: refused, with what differs; the output untouched
    other = tmp_path / "other.yaml"
    other.write_text("components:\n  - {name: len, reward: 'user_rewards:t_len', params: {scale: 2.0}}\n")
    r = cli("score", str(other), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 2 and "refusing to resume" in r.stderr and "spec hash" in r.stderr and "--restart" in r.stderr
    assert out.read_bytes() == before

    # the input's completions changed (same number of rows): refused
    rows = lines(src)
    rows[3]["completion"] = "changed"
    src.write_text("".join(json.dumps(x) + "\n" for x in rows))
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 2 and "input content changed" in r.stderr and out.read_bytes() == before

    # another --step: refused
    write_rows(src, 30)
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q", "--step", "7")
    assert r.returncode == 2 and "--step None -> 7" in r.stderr

    # --restart scores again from the start (scale 2 doubles every reward)
    r = cli("score", str(other), "-i", str(src), "-o", str(out), "--no-cache", "-q", "--restart")
    assert r.returncode == 0, r.stderr
    assert [x["reward"] for x in lines(out)] == [2.0 * (i % 17 + 1) for i in range(30)]
    assert json.loads((tmp_path / "out.jsonl.run.json").read_text())["rows"] == 30


def test_resume_checks_ids_and_refuses_rows_without_a_record(spec: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_rows(src, 40)
    assert cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q").returncode == 0
    full = lines(out)
    record = json.loads((tmp_path / "out.jsonl.run.json").read_text())

    # a partial output of the same run whose rows are not the input's first rows (same count, other ids)
    partial = full[:10]
    partial[4] = full[25]
    out.write_text("".join(json.dumps(x) + "\n" for x in partial))
    (tmp_path / "out.jsonl.run.json").write_text(json.dumps({**record, "complete": False, "rows": 10}))
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 2 and "output row 5 has id='r25'" in r.stderr and "input line 5" in r.stderr

    # the right first rows: resumed after them, the result equals a clean run
    out.write_text("".join(json.dumps(x) + "\n" for x in full[:10]))
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 0 and "resuming: 10 rows" in r.stdout
    assert lines(out) == full

    # rows without a run record (written by something else): refused
    stray = tmp_path / "stray.jsonl"
    stray.write_text("".join(json.dumps(x) + "\n" for x in full[:10]))
    r = cli("score", str(spec), "-i", str(src), "-o", str(stray), "--no-cache", "-q")
    assert r.returncode == 2 and "no run record" in r.stderr and len(lines(stray)) == 10


def test_two_runs_on_one_output_do_not_mix(tmp_path: Path) -> None:
    release = tmp_path / "release"
    spec = tmp_path / "gated.yaml"
    spec.write_text(f"components:\n  - {{name: len, reward: 'user_rewards:gated_len', params: {{release: '{release}'}}}}\n")
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    # the first 50 rows score at once; the rest wait for the release file: the first run is held mid-way
    src.write_text("".join(json.dumps({"id": f"r{i}", "prompt": "p", "completion": ("x" if i < 50 else "w") * (i % 7 + 1)}) + "\n"
                           for i in range(200)))
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    args = [sys.executable, "-m", "rewardsmith", "score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q",
            "--chunk", "50", "--workers", "2"]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out.exists() and out.read_text().count("\n") >= 50):
            assert first.poll() is None and time.monotonic() < deadline, "the first run did not start writing"
            time.sleep(0.05)
        second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert first.poll() is None  # still held: the two runs overlapped
        assert second.returncode == 2 and "being written by another process" in second.stderr
        second_restart = subprocess.run(args + ["--restart"], env=env, capture_output=True, text=True, timeout=300)
        assert second_restart.returncode == 2 and out.read_text().count("\n") >= 50  # --restart did not wipe it
    finally:
        release.write_text("go")
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    got = lines(out)
    assert [x["id"] for x in got] == [f"r{i}" for i in range(200)]  # every row once, in order


def test_row_errors_name_the_input_line_and_id(spec: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = write_rows(src, 700)
    rows[599] = {"id": "r599", "prompt": "p"}  # line 600: no completion (in the second chunk of 512)
    rows[650] = {"id": "r650", "prompt": "p", "completion": 5}
    src.write_text("".join(json.dumps(x) + "\n" for x in rows))
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 0, r.stderr
    got = lines(out)
    assert got[599]["status"] == "error" and got[599]["reason"] == "line 600 (id=r599): field 'completion': missing"
    assert got[650]["reason"].startswith("line 651 (id=r650): field 'completion'")
    assert "#" not in got[599]["reason"] and "#" not in got[650]["reason"]


def test_max_error_frac_and_refused_arguments(spec: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = write_rows(src, 100)
    for i in range(0, 100, 5):  # 20 % of the rows make the reward raise
        rows[i]["completion"] = "raise"
    src.write_text("".join(json.dumps(x) + "\n" for x in rows))
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "a.jsonl"), "--no-cache", "-q")
    assert r.returncode == 1 and "20 of 100 rows (20.0%) have status error" in r.stderr
    assert len(lines(tmp_path / "a.jsonl")) == 100  # written all the same
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "b.jsonl"), "--no-cache", "-q", "--max-error-frac", "0.25")
    assert r.returncode == 0, r.stderr
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "c.csv"), "--no-cache", "-q")
    assert r.returncode == 2 and "cannot write '.csv'" in r.stderr and not (tmp_path / "c.csv").exists()
    for bad in ("-1", "0"):
        r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "d.jsonl"), "--workers", bad)
        assert r.returncode == 2 and "--workers: must be at least 1" in r.stderr
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "d.jsonl"), "--max-error-frac", "2")
    assert r.returncode == 2 and "between 0 and 1" in r.stderr


def test_progress_shows_a_total_and_piped_tables_are_not_cut(tmp_path: Path) -> None:
    long_names = [f"component_with_a_long_name_{k}" for k in range(6)]
    spec = tmp_path / "wide.yaml"
    spec.write_text("components:\n" + "".join(f"  - {{name: {n}, reward: 'user_rewards:t_len', params: {{scale: 0.3}}}}\n"
                                              for n in long_names))
    src = tmp_path / "in.jsonl"
    write_rows(src, 120)
    # piped stdout (not a terminal): the table keeps every name and number whole
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "o.jsonl"), "--no-cache", "-q", env_extra={"COLUMNS": ""})
    assert r.returncode == 0, r.stderr
    assert all(n in r.stdout for n in long_names) and "…" not in r.stdout
    assert max(len(x) for x in r.stdout.splitlines()) > 80
    # on a terminal: the progress bar counts up to the total number of rows
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=PYTHONPATH, COLUMNS="120", TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "rewardsmith", "score", str(spec), "-i", str(src), "-o",
                             str(tmp_path / "p.jsonl"), "--no-cache", "--chunk", "10"], env=env, stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        seen += data
    proc.wait(60)
    os.close(master)
    assert proc.returncode == 0
    assert b"/120" in seen and b"120/120" in seen, seen[-2000:]


def _leaky_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "leaky.yaml"
    spec.write_text("components:\n  - {name: leak, reward: 'user_rewards:leaky'}\n")
    return spec


def test_workers_recycled_by_memory_and_by_task_count(tmp_path: Path) -> None:
    spec, src = _leaky_spec(tmp_path), tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"r{i}", "prompt": "p", "completion": f"c{i}"}) + "\n" for i in range(40)))  # distinct: no dedupe
    # without a limit one worker of two serves about half the rows, holding 20 MiB for each
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "free.jsonl"), "--no-cache", "-q", "--workers", "2",
            "--max-worker-mb", "0")
    assert r.returncode == 0, r.stderr
    # (each worker's rewards count 1, 2, ... so the largest is the busier worker's item count: at least 20 of 40)
    assert max(x["reward"] for x in lines(tmp_path / "free.jsonl")) >= 20 and "recycled worker processes" not in r.stdout
    # a 250 MiB cap: a worker leaves after the item that takes it past 250 MiB; every row still scored once
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "capped.jsonl"), "--no-cache", "-q", "--workers", "2",
            "--max-worker-mb", "250")
    assert r.returncode == 0, r.stderr
    got = lines(tmp_path / "capped.jsonl")
    assert [x["id"] for x in got] == [f"r{i}" for i in range(40)] and all(x["status"] == "ok" for x in got)
    # a worker leaves once it is past 250 MiB (its size is read at most every 5 ms, so one more call may pass):
    # with any base size over 10 MiB that is within 14 calls of 20 MiB, against 20 or more without the cap
    assert max(x["reward"] for x in got) <= 14
    assert "over 250 MiB resident" in r.stdout
    # a task limit: no worker serves more than 6 items
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "tasks.jsonl"), "--no-cache", "-q", "--workers", "2",
            "--max-tasks-per-worker", "6", "--max-worker-mb", "0")
    assert r.returncode == 0, r.stderr
    got = lines(tmp_path / "tasks.jsonl")
    recycled = sum(x["reward"] == 6 for x in got)  # a worker that served its 6th item left: one per recycle
    assert max(x["reward"] for x in got) == 6 and recycled >= 5  # 40 items: at least 5 workers reached 6
    assert f"recycled worker processes: {recycled} after 6 items" in r.stdout


def test_engine_recycles_and_counts(tmp_path: Path) -> None:
    from rewardsmith.engine import Engine

    spec = {"components": [{"name": "leak", "reward": "user_rewards:leaky", "params": {"mib": 1}}]}
    with Engine(spec, workers=2, cache=False, max_tasks_per_worker=4, max_worker_mb=None) as engine:
        results = engine.score([{"prompt": "p", "completion": str(i)} for i in range(20)])
        recycles = engine.recycles
    assert [r.status.value for r in results] == ["ok"] * 20 and max(r.value for r in results) == 4
    assert recycles == {"tasks": sum(r.value == 4 for r in results), "memory": 0} and recycles["tasks"] >= 4


def test_cli_does_not_wait_for_a_stuck_reward_thread(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    spec = tmp_path / "sleepy.yaml"
    spec.write_text(f"components:\n  - {{name: s, reward: t_sleepy_thread, params: {{marker: '{marker}', seconds: 20}}}}\n")
    src = tmp_path / "in.jsonl"
    write_rows(src, 1)
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    wrapper = tmp_path / "run.py"  # registers t_sleepy_thread (user_rewards) before the command runs, as a plugin would
    wrapper.write_text("import sys, user_rewards\nfrom rewardsmith.cli import main\nsys.argv[0] = 'rewardsmith'\nsys.exit(main())\n")
    r = subprocess.run([sys.executable, str(wrapper), "score", str(spec), "-i", str(src), "-o", str(tmp_path / "o.jsonl"),
                        "--no-cache", "-q", "--max-error-frac", "1"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert lines(tmp_path / "o.jsonl")[0]["reason"] == "s: timeout: t_sleepy_thread ran past 1s"
    assert "still running past their timeout" in r.stderr
    assert not marker.exists()  # the process ended while the reward's thread was still asleep


def _userns_tmpfs_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || "
                            "mount -t tmpfs -o size=64k tmpfs /tmp"], capture_output=True, timeout=30)
    return probe.returncode == 0


def test_full_disk_keeps_rows_and_resumes(spec: Path, tmp_path: Path) -> None:
    """A real full disk: a 512 KiB tmpfs (mounted in a user namespace, so no root needed) with a filler file."""
    if not _userns_tmpfs_works():
        pytest.skip("cannot mount a tmpfs in a user namespace here (unshare -Urm)")
    src = tmp_path / "in.jsonl"
    write_rows(src, 600, width=300)  # ~420 bytes per output row: ~250 KiB in all
    clean = tmp_path / "clean.jsonl"
    assert cli("score", str(spec), "-i", str(src), "-o", str(clean), "--no-cache", "-q").returncode == 0
    disk, host = tmp_path / "disk", tmp_path / "host"
    disk.mkdir()
    host.mkdir()
    score = f"{sys.executable} -m rewardsmith score {spec} -i {src} -o {disk}/out.jsonl --no-cache -q --chunk 50"
    script = f"""
set -u
mount -t tmpfs -o size=512k tmpfs {disk}
head -c 400000 /dev/zero > {disk}/filler
{score} > {host}/first.out 2> {host}/first.err; echo $? > {host}/first.rc
cp {disk}/out.jsonl {host}/partial.jsonl; cp {disk}/out.jsonl.run.json {host}/partial.run.json
rm {disk}/filler
{score} > {host}/second.out 2> {host}/second.err; echo $? > {host}/second.rc
cp {disk}/out.jsonl {host}/final.jsonl
"""
    env = dict(os.environ, PYTHONPATH=PYTHONPATH, COLUMNS="200")
    subprocess.run(["unshare", "-Urm", "bash", "-c", script], env=env, timeout=300, check=True)
    first_err = (host / "first.err").read_text()
    assert (host / "first.rc").read_text().strip() == "3", first_err
    assert "disk full" in first_err and "rerun the same command" in first_err and "Traceback" not in first_err
    partial = (host / "partial.jsonl").read_text()
    kept = partial.splitlines()
    assert partial.endswith("\n") and 0 < len(kept) < 600
    assert [json.loads(x) for x in kept] == lines(clean)[: len(kept)]  # complete rows only, no torn line
    assert f"{len(kept)} complete rows are on disk" in first_err
    assert json.loads((host / "partial.run.json").read_text())["complete"] is False
    assert (host / "second.rc").read_text().strip() == "0", (host / "second.err").read_text()
    assert f"resuming: {len(kept)} rows" in (host / "second.out").read_text()
    assert (host / "final.jsonl").read_text() == clean.read_text()


def test_check_names_the_extra_for_a_missing_dependency(tmp_path: Path) -> None:
    """A core-only install, simulated: an import hook makes the optional libraries unimportable."""
    hide = tmp_path / "core_only.py"
    hide.write_text(
        "import sys\n"
        "OPTIONAL = {'sacrebleu', 'rouge_score', 'torch', 'transformers', 'openai', 'aiohttp', 'fastapi', 'uvicorn', 'ray',\n"
        "            'duckdb', 'bandit', 'trl', 'datasets', 'gguf', 'accelerate', 'sentence_transformers', 'scipy'}\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in OPTIONAL:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from rewardsmith.cli import main\n"
        "sys.exit(main())\n"
    )
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(hide), *args], env=env, capture_output=True, text=True, timeout=300)

    bleu = tmp_path / "bleu.yaml"
    bleu.write_text("components:\n  - {name: b, reward: bleu}\n  - {name: r, reward: rouge}\n  - {name: rep, reward: repetition}\n")
    r = run("check", str(bleu))
    assert r.returncode == 1
    assert "component 'b' (reward bleu) needs sacrebleu, which is not installed: pip install 'rewardsmith[text]'" in r.stdout
    assert "component 'r' (reward rouge) needs rouge_score" in r.stdout and "'rep'" not in r.stdout.split("ERROR", 1)[1]
    # the built-in default spec (make demo) needs nothing beyond the core install
    r = run("check", "default.yaml")
    assert r.returncode == 0 and "ERROR" not in r.stdout, r.stdout
    # scored anyway: each row's error says what to install
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"prompt": "p", "completion": "the cat", "reference": "the cat"}) + "\n")
    r = run("score", str(bleu), "-i", str(src), "-o", str(tmp_path / "o.jsonl"), "--no-cache", "-q")
    assert r.returncode == 1
    assert "pip install 'rewardsmith[text]'" in lines(tmp_path / "o.jsonl")[0]["reason"]
    # with the library installed, the same spec passes check
    r = subprocess.run([sys.executable, "-m", "rewardsmith", "check", str(bleu)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "ERROR" not in r.stdout


def test_builtins_load_once_from_four_threads(tmp_path: Path) -> None:
    code = (
        "import threading, rewardsmith\n"
        "barrier = threading.Barrier(4); errors = []\n"
        "def go():\n"
        "    barrier.wait()\n"
        "    try:\n"
        "        rewardsmith.load_spec('default.yaml')\n"
        "    except Exception as exc:\n"
        "        errors.append(str(exc))\n"
        "threads = [threading.Thread(target=go) for _ in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(len(errors), errors[:1])\n"
    )
    for _ in range(3):  # a fresh interpreter each time: the race is on the first load
        r = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=PYTHONPATH), capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.startswith("0 []"), r.stdout + r.stderr

