"""The HTML report: built from the demo's scored rows, opened in headless Chromium, screenshot checked."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ev_cli import cli
from ev_png import pixels

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian package `chromium`): cannot test the report in a browser")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


class Plots(HTMLParser):
    """Counts, per <svg class="plot">, its kind and the marks drawn inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.plots: list[dict[str, object]] = []
        self.depth = 0
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if a.get(key) and not str(a[key]).startswith("#"):
                self.external.append(str(a[key]))
        if tag == "svg" and "plot" in (a.get("class") or ""):
            self.plots.append({"kind": a.get("data-kind"), "marks": 0, "width": a.get("width"), "parent": None})
            self.depth += 1
        elif self.plots and self.depth and tag in ("rect", "circle", "polyline", "line") and (a.get("class") in ("bar", "point", "line", "cell")):
            self.plots[-1]["marks"] = int(self.plots[-1]["marks"]) + 1  # type: ignore[call-overload]

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.depth:
            self.depth -= 1


def figure_ids(dom: str) -> set[str]:
    return set(re.findall(r'<figure class="figure" id="([^"]+)"', dom))


def test_demo_report_renders_in_chromium(demo_scored: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    probe.write_text(json.dumps({"spec": "default-math", "targets": ["reward", "correct"], "rows": [
        {"family": "master_key", "probe": "':'", "n": 50, "asr": {"reward": 0.0, "correct": 0.0}, "ci": {"reward": [0, 0], "correct": [0, 0]}},
        {"family": "answer_spam", "probe": "several boxed", "n": 50, "asr": {"reward": 0.3, "correct": 0.3}, "ci": {"reward": [0.2, 0.4], "correct": [0.2, 0.4]}},
    ]}))
    evals = tmp_path / "eval.json"
    evals.write_text(json.dumps([{"name": "GRM on judgebench", "metrics": {"both_orders_accuracy": {"value": 0.5943, "ci": [0.5457, 0.6486], "n": 350}}}]))
    html_path = tmp_path / "out" / "report.html"
    proc = cli("report", str(demo_scored), "--html", str(html_path), "--probe", str(probe), "--eval", str(evals))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    text = html_path.read_text()

    # static: one file, no script, nothing external
    parsed = Plots()
    parsed.feed(text)
    assert parsed.scripts == 0 and parsed.external == []

    dom = chromium(tmp_path, "--dump-dom", html_path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = Plots()
    rendered.feed(dom.stdout)
    kinds = [p["kind"] for p in rendered.plots]
    # reward + 3 components, status, correlation, group variance, length vs reward, best-of-N
    assert kinds.count("histogram") == 5 and "bars" in kinds and "heatmap" in kinds and "scatter" in kinds and "lines" in kinds
    assert all(int(p["marks"]) > 0 for p in rendered.plots), rendered.plots  # type: ignore[call-overload]
    assert figure_ids(dom.stdout) >= {"reward-hist", "status", "correlation", "group-variance", "length-reward", "best-of-n"}
    assert "probe-table" in dom.stdout and "several boxed" in dom.stdout
    assert "eval-table" in dom.stdout and "59.43" in dom.stdout and "[54.57, 64.86]" in dom.stdout
    # the correlation matrix has (1 + 3 components)^2 cells; the scatter one point per ok row (300)
    heat = next(p for p in rendered.plots if p["kind"] == "heatmap")
    assert heat["marks"] == 16
    scatter = next(p for p in rendered.plots if p["kind"] == "scatter")
    assert scatter["marks"] == 300

    shot = tmp_path / "shot.png"
    res = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1300,2200", html_path.as_uri())
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    w, h, px = pixels(shot.read_bytes())
    assert (w, h) == (1300, 2200)
    non_white = sum(1 for p in px if p != (255, 255, 255))
    assert non_white > 0.02 * len(px)
    colours = set(px)
    assert len(colours) > 50
    # the plots' fills reached the screen: the bar blue (#3366cc) and the status green (#109618)
    assert (0x33, 0x66, 0xCC) in colours and (0x10, 0x96, 0x18) in colours


def test_best_of_n_curve_values_in_report(demo_scored: Path) -> None:
    """The best-of-N curve starts at the mean gold (N=1) computed straight from the rows."""
    from rewardsmith.evaluate.curves import best_of_n_curve
    from rewardsmith.evaluate.report import bon_groups

    rows = [json.loads(line) for line in demo_scored.read_text().splitlines()]
    groups = bon_groups(rows, "metadata.is_correct")
    assert len(groups) == 75 and all(len(p) == 4 for p, _ in groups)
    curve = best_of_n_curve(groups)
    assert [p.n for p in curve] == [1, 2, 3, 4]
    gold_mean = sum(1.0 for r in rows if r["metadata"]["is_correct"]) / len(rows)
    assert curve[0].gold == pytest.approx(gold_mean)
    assert curve[0].proxy == pytest.approx(sum(r["reward"] for r in rows) / len(rows))
    # N = 4: the proxy's best of the whole group; gold = mean gold of its top-proxy block
    expected = []
    for proxy, gold in groups:
        top = max(proxy)
        winners = [g for p, g in zip(proxy, gold) if p == top]
        expected.append(sum(winners) / len(winners))
    assert curve[-1].gold == pytest.approx(sum(expected) / len(expected))
    assert curve[-1].proxy >= curve[0].proxy


def test_training_log_report_and_svg(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    rows = [{"step": s, "reward_mean": 0.1 + 0.02 * s, "correct_mean": 0.05 * s, "format_mean": 0.5,
             **({"eval_accuracy": 0.2 + 0.01 * s} if s % 5 == 0 else {})} for s in range(0, 21)]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    html_path, svg_path = tmp_path / "train.html", tmp_path / "reward.svg"
    proc = cli("report", str(log), "--html", str(html_path), "--svg", str(svg_path))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    svg_text = svg_path.read_text()
    assert svg_text.startswith("<?xml") and 'data-kind="lines"' in svg_text
    series = re.findall(r'<polyline class="line" data-series="([^"]+)" points="([^"]+)"', svg_text)
    assert [s for s, _ in series] == ["reward_mean", "correct", "format"]
    assert all(len(pts.split()) == 21 for _, pts in series)
    dom = chromium(tmp_path, "--dump-dom", html_path.as_uri())
    assert dom.returncode == 0
    assert figure_ids(dom.stdout) == {"training-reward", "training-eval"}
    eval_line = re.findall(r'data-series="eval_accuracy" points="([^"]+)"', dom.stdout)
    assert len(eval_line) == 1 and len(eval_line[0].split()) == 5
    # the standalone SVG opens in the browser too
    shot = tmp_path / "svg.png"
    res = chromium(tmp_path, f"--screenshot={shot}", "--window-size=700,360", svg_path.as_uri())
    assert res.returncode == 0 and shot.exists()
    _, _, px = pixels(shot.read_bytes())
    assert (0x33, 0x66, 0xCC) in set(px)  # the first series' stroke
