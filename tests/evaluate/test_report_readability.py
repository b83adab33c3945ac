"""The report reads as what it shows: tick labels without scientific notation, a constant column drawn as
a labelled spike (not a block of data), whole-number training steps, eval slices, readable headers."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rewardsmith.evaluate import report, svg


def _ticks(svg_text: str) -> list[str]:
    return re.findall(r'font-size="10" text-anchor="(?:end|middle)">([^<]*)</text>', svg_text)


def test_large_values_get_plain_tick_labels() -> None:
    text = svg.histogram([float(v) for v in range(0, 5001, 37)], "lengths", xlabel="words")
    labels = _ticks(text)
    assert "3000" in labels and "4000" in labels
    assert not any("e+" in t for t in labels)
    big = svg.scatter([1e5, 2e5, 3e5], [1.0, 2.0, 3.0], "x", "tokens", "reward")
    assert "100k" in _ticks(big) and not any("e+" in t for t in _ticks(big))


def test_constant_component_is_a_labelled_spike(tmp_path: Path) -> None:
    rows = [{"id": str(i), "prompt": f"q{i // 4}", "completion": "a b c", "reward": float(i % 3), "status": "ok",
             "components": {"correct": float(i % 2), "overlong": 0.0}, "reason": None} for i in range(40)]
    html = report.build_report(rows)
    figure = re.search(r'<figure class="figure" id="component-hist-1">(.*?)</figure>', html, re.S)
    assert figure is not None
    constant = figure.group(1)
    assert "constant: all 40 values = 0" in constant and 'data-constant="true"' in constant
    bar = re.search(r'<rect class="bar" data-constant="true" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', constant)
    assert bar is not None and float(bar.group(1)) < 0.05 * svg.WIDTH  # a spike, not a bar across the plot
    varied = re.search(r'<figure class="figure" id="component-hist-0">(.*?)</figure>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "constant:" not in varied and varied.count('class="bar"') >= 2


def test_monitor_steps_are_whole_numbers() -> None:
    section = report.monitor_section({"alarms": [
        {"name": "drift:correct", "start_step": 6.0, "end_step": None, "peak": 3.2, "detail": "z above 3"},
        {"name": "error_rate", "start_step": 12.0, "end_step": 14.0, "peak": 0.4, "detail": "error rate above 5%"},
    ]})
    cells = re.findall(r"<td>([^<]*)</td>", section)
    assert cells[:4] == ["drift:correct", "6", "ongoing", "z above 3"]
    assert cells[4:7] == ["error_rate", "12", "14"]
    assert "6.0" not in section and "12.0" not in section


def test_eval_slices_are_shown() -> None:
    rep = {"name": "RewardBench", "metrics": {"accuracy": {"value": 0.75, "ci": [0.7, 0.8], "n": 200}},
           "slices": {"category": {"chat": {"value": 0.9, "ci": [0.85, 0.95], "n": 120},
                                   "reasoning": {"value": 0.525, "ci": [0.41, 0.63], "n": 80}}}}
    html = report.eval_section([rep])
    assert 'class="eval-slices"' in html
    rows = re.findall(r"<tr><td>RewardBench</td><td>category</td><td>(\w+)</td><td>([\d.]+)</td><td>([^<]+)</td><td>(\d+)</td></tr>", html)
    assert rows == [("chat", "90.00", "[85.00, 95.00]", "120"), ("reasoning", "52.50", "[41.00, 63.00]", "80")]


def test_bias_and_noise_tables_have_readable_headers() -> None:
    probe = {"spec": "s", "targets": ["reward"], "rows": [],
             "bias": [{"bias": "verbosity", "target": "reward", "share_padded_higher": 0.25, "n": 40}],
             "noise": [{"flip_share": 0.1, "pair_order_kept": 0.8123, "top_pick_gold": 0.6, "groups": 75}]}
    html = report.probe_section(probe)
    headers = re.findall(r"<th title=\"([^\"]+)\">([^<]+)</th>", html)
    shown = dict(headers)
    assert shown["share_padded_higher"] == "padded scored higher" and shown["flip_share"] == "rewards flipped"
    assert shown["pair_order_kept"] == "pair order kept" and shown["top_pick_gold"] == "gold of top pick"
    assert all("_" not in label for _, label in headers)
    assert "<td>25.0%</td>" in html and "<td>10.0%</td>" in html and "<td>81.2%</td>" in html
    json.dumps(probe)  # the JSON keys themselves are unchanged


def test_rows_without_components_still_make_a_report() -> None:
    """A spec scored without components (or rows from another tool) gives a report, with the correlation
    panel saying there is nothing to correlate rather than crashing or drawing reward against itself."""
    rows = [{"id": str(i), "prompt": "q", "completion": "c", "reward": float(i % 2), "status": "ok",
             "components": {}, "reason": None} for i in range(6)]
    html = report.build_report(rows)
    corr = re.search(r'<figure class="figure" id="correlation">(.*?)</figure>', html, re.S)
    assert corr is not None and "no components" in corr.group(1)
