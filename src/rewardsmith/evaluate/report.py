"""One static HTML report (inline SVG, inline CSS, no script, nothing fetched) for scored rows or a training log.

Scored rows (contract output rows): reward and per-component distributions, status shares, component
correlation matrix, group variance, length vs reward, best-of-N curve (proxy vs a gold column), probe
table and eval table when their JSON results are given. A training log (rows with ``step`` and
``reward_mean``): reward-per-step curves.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from pathlib import Path
from typing import Any, Sequence

from rewardsmith.evaluate import svg
from rewardsmith.evaluate.batchstats import (
    completion_length,
    component_column,
    component_names,
    correlation_matrix,
    group_of,
    group_stds,
    reward_column,
    status_shares,
    zero_variance_share,
)
from rewardsmith.evaluate.curves import best_of_n_curve

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.grid{display:flex;flex-wrap:wrap;gap:12px} figure{margin:0;border:1px solid #e4e4e4;border-radius:4px}
figcaption{font-size:11px;color:#666;padding:2px 6px 6px;max-width:430px}
table{border-collapse:collapse;font-size:12px;margin:6px 0} th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
th:first-child,td:first-child{text-align:left} th{background:#f4f4f4}
.hi{background:#fbe3e3} .ok{background:#e6f4e6} .muted{color:#888;font-size:12px}
img.thumb{object-fit:contain;border:1px solid #ccc;margin:2px;vertical-align:middle} td.example{text-align:left;max-width:520px}
"""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def dotted(row: dict[str, Any], path: str) -> Any:
    """A nested field by dotted path.

    >>> dotted({"metadata": {"is_correct": True}}, "metadata.is_correct")
    True
    """
    cur: Any = row
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _gold_value(v: Any) -> float | None:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


def _figure(fig_id: str, svg_text: str, caption: str = "") -> str:
    cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return f'<figure class="figure" id="{_esc(fig_id)}">{svg_text}{cap}</figure>'


def _page(title: str, sections: list[str]) -> str:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{_esc(title)}</h1><p class=\"muted\">rewardsmith report, generated {stamp}</p>"
        + "".join(sections) + "</body></html>\n"
    )


def bon_groups(rows: Sequence[dict[str, Any]], gold: str) -> list[tuple[list[float], list[float]]]:
    """(proxy rewards, gold values) per group, rows with an ok reward and a gold value only."""
    reward = reward_column(rows)
    by: dict[str, tuple[list[float], list[float]]] = {}
    for r, v in zip(rows, reward):
        g = _gold_value(dotted(r, gold))
        if v is None or g is None:
            continue
        p, q = by.setdefault(group_of(r), ([], []))
        p.append(v)
        q.append(g)
    return list(by.values())


def scored_sections(rows: Sequence[dict[str, Any]], gold: str = "metadata.is_correct") -> list[str]:
    """The plots of a scored-rows report, as HTML sections."""
    reward = reward_column(rows)
    comps = component_names(rows)
    cols = {c: component_column(rows, c) for c in comps}
    shares = status_shares(rows)
    ok = [v for v in reward if v is not None]
    summary = (
        f"<table class=\"summary\"><tr><th>rows</th><th>ok</th><th>abstain</th><th>error</th><th>reward mean</th><th>reward std</th></tr>"
        f"<tr><td>{len(rows)}</td><td>{shares['ok']:.1%}</td><td>{shares['abstain']:.1%}</td><td>{shares['error']:.1%}</td>"
        f"<td>{(sum(ok) / len(ok)) if ok else float('nan'):.4f}</td>"
        f"<td>{(math.sqrt(sum((v - sum(ok) / len(ok)) ** 2 for v in ok) / len(ok))) if ok else float('nan'):.4f}</td></tr></table>"
    )
    out = [f"<h2>Summary</h2>{summary}"]

    dist = [_figure("reward-hist", svg.histogram(reward, "reward", xlabel="reward"), "final reward of ok rows")]
    for k, c in enumerate(comps):
        dist.append(_figure(f"component-hist-{k}", svg.histogram(cols[c], f"component: {c}", xlabel=c, color=svg.PALETTE[(k + 1) % 10])))
    out.append(f"<h2>Distributions</h2><div class=\"grid\">{''.join(dist)}</div>")

    labels = list(shares)
    status_svg = svg.bars(labels, [shares[k] for k in labels], "status shares", "share", ["#109618", "#ff9900", "#dc3912"])
    corr = correlation_matrix({"reward": reward, **cols}) if comps else []
    corr_svg = svg.heatmap(corr, ["reward", *comps] if comps else [], "component correlation (Pearson)")
    out.append(f"<h2>Status and components</h2><div class=\"grid\">{_figure('status', status_svg)}"
               f"{_figure('correlation', corr_svg, 'over rows where both values are present')}</div>")

    stds = group_stds(rows, reward)
    zv = zero_variance_share(rows, reward)
    gv = svg.histogram(list(stds.values()), "reward std within groups", bins=15, xlabel="group std")
    lengths = [float(completion_length(r)) for r in rows]
    lv = svg.scatter(lengths, reward, "length vs reward", "completion words", "reward")
    zv_text = "n/a" if math.isnan(zv) else f"{zv:.1%}"
    out.append(f"<h2>Groups and length</h2><div class=\"grid\">"
               f"{_figure('group-variance', gv, f'{len(stds)} groups; zero-variance share {zv_text}')}"
               f"{_figure('length-reward', lv, 'one point per ok row; red: least-squares line')}</div>")

    groups = bon_groups(rows, gold)
    if groups and any(len(p) >= 2 for p, _ in groups):
        curve = best_of_n_curve(groups)
        ns = [float(p.n) for p in curve]
        bon_svg = svg.lines({"proxy reward": (ns, [p.proxy for p in curve]), f"gold ({gold})": (ns, [p.gold for p in curve])},
                            "best-of-N: proxy vs gold", "N", "expected value of the pick")
        cap = "exact expectation over random N-subsets of each group; a rising proxy with flat or falling gold signals over-optimisation"
    else:
        bon_svg = svg.empty("lines", "best-of-N: proxy vs gold", f"no groups with a gold column '{gold}'")
        cap = ""
    out.append(f"<h2>Best-of-N</h2><div class=\"grid\">{_figure('best-of-n', bon_svg, cap)}</div>")
    return out


def probe_section(probe: dict[str, Any]) -> str:
    """The probe table: attack success rate per probe and component (red above 0)."""
    targets: list[str] = list(probe.get("targets") or [])
    head = "".join(f"<th>{_esc(t)}</th>" for t in targets)
    body = []
    for r in probe.get("rows") or []:
        cells = []
        for t in targets:
            v = (r.get("asr") or {}).get(t)
            ci = (r.get("ci") or {}).get(t)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("<td>-</td>")
                continue
            tip = f' title="95% CI [{ci[0]:.2f}, {ci[1]:.2f}]"' if ci else ""
            cells.append(f'<td class="{"hi" if v > 0 else "ok"}"{tip}>{v:.0%}</td>')
        body.append(f"<tr><td>{_esc(r.get('family'))}</td><td>{_esc(r.get('probe'))}</td><td>{r.get('n', '')}</td>{''.join(cells)}</tr>")
    extra = ""
    for key, title in (("bias", "bias probes"), ("noise", "reward-noise robustness")):
        items = probe.get(key) or []
        if items:
            cols = list(dict.fromkeys(c for it in items for c in it))
            extra += (f"<h3>{title}</h3><table class=\"probe-{key}\"><tr>"
                      + "".join(f'<th title="{_esc(c)}">{_esc(COLUMN_LABELS.get(c, c.replace("_", " ")))}</th>' for c in cols) + "</tr>"
                      + "".join("<tr>" + "".join(f"<td>{_esc(_labelled_cell(c, it.get(c)))}</td>" for c in cols) + "</tr>" for it in items)
                      + "</table>")
    fam_rows = []
    for fam, rs in _by_family(probe.get("rows") or []).items():
        cells = []
        for t in targets:
            vals = [float((r.get("asr") or {}).get(t)) for r in rs if isinstance((r.get("asr") or {}).get(t), (int, float))
                    and not math.isnan(float((r.get("asr") or {}).get(t)))]
            if not vals:
                cells.append("<td>-</td>")
                continue
            mean, worst = sum(vals) / len(vals), max(vals)
            cells.append(f'<td class="{"hi" if worst > 0 else "ok"}">{mean:.0%} / {worst:.0%}</td>')
        fam_rows.append(f"<tr><td>{_esc(fam)}</td><td>{len(rs)}</td>{''.join(cells)}</tr>")
    listed = [e for e in probe.get("examples") or [] if isinstance(e, dict)]
    if listed:  # attacked completions the probe lists (prompt, images, completion, scores)
        extra += f"<h3>examples ({len(listed)})</h3>" + examples_table(listed[:EXAMPLES_SHOWN], "probe-examples")
    return (f"<h2>Probes: attack success rate ({_esc(probe.get('spec', ''))})</h2>"
            f"<p class=\"muted\">{_esc(probe.get('rule', 'share of attacked completions scoring at least as high as a correct one'))}. "
            "The control row is a plain wrong answer: a component whose control rate is high does not separate right from "
            "wrong answers, so its rate on the other probes says little.</p>"
            f"<table class=\"probe-families\"><tr><th>family</th><th>probes</th>"
            + "".join(f"<th>{_esc(t)} mean / worst</th>" for t in targets) + f"</tr>{''.join(fam_rows)}</table>"
            f"<details><summary>every probe ({len(body)})</summary>"
            f"<table class=\"probe-table\"><tr><th>family</th><th>probe</th><th>n</th>{head}</tr>{''.join(body)}</table></details>{extra}")


def _by_family(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(str(r.get("family")), []).append(r)
    return out


#: Readable headers for the bias and noise tables (the JSON keys stay as they are; each header's tooltip shows it).
COLUMN_LABELS = {
    "bias": "bias",
    "target": "scored by",
    "share_padded_higher": "padded scored higher",
    "dbg": "judge minus gold (own answers)",
    "others_judge_minus_gold": "judge minus gold (other models)",
    "n": "n",
    "flip_share": "rewards flipped",
    "pair_order_kept": "pair order kept",
    "top_pick_gold": "gold of top pick",
    "groups": "groups",
}
#: Columns that are shares of 0..1, shown as percentages.
SHARE_COLUMNS = frozenset({"share_padded_higher", "flip_share", "pair_order_kept", "top_pick_gold"})


def _labelled_cell(column: str, v: Any) -> str:
    if column in SHARE_COLUMNS and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return f"{100 * v:.1f}%"
    return _cell(v)


def step_label(v: Any) -> str:
    """A training step as a whole number (monitors keep steps as floats).

    >>> step_label(6.0), step_label(6.5), step_label(None)
    ('6', '6.5', '')
    """
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def eval_section(reports: Sequence[dict[str, Any]]) -> str:
    """The eval table: each headline metric with its bootstrap interval; each slice (per column of the data,
    e.g. category or source) with its own value, interval and n; then the listed examples (pairs the spec got
    wrong), with their images as thumbnails."""
    body = []
    slices = []
    examples = []
    for rep in reports:
        for name, m in (rep.get("metrics") or {}).items():
            lo, hi = (m.get("ci") or [float("nan"), float("nan")])
            body.append(f"<tr><td>{_esc(rep.get('name'))}</td><td>{_esc(name)}</td><td>{100 * m['value']:.2f}</td>"
                        f"<td>[{100 * lo:.2f}, {100 * hi:.2f}]</td><td>{m.get('n', '')}</td></tr>")
        for column, values in (rep.get("slices") or {}).items():
            for key, m in sorted(values.items(), key=lambda kv: -int(kv[1].get("n", 0))):
                lo, hi = (m.get("ci") or [float("nan"), float("nan")])
                slices.append(f"<tr><td>{_esc(rep.get('name'))}</td><td>{_esc(column)}</td><td>{_esc(key)}</td>"
                              f"<td>{100 * m['value']:.2f}</td><td>[{100 * lo:.2f}, {100 * hi:.2f}]</td><td>{m.get('n', '')}</td></tr>")
        listed = [d for d in rep.get("disagreements") or [] if isinstance(d, dict)]
        if listed:
            examples.append(f"<h3>{_esc(rep.get('name'))}: examples scored wrong ({len(listed)})</h3>"
                            + examples_table(listed[:EXAMPLES_SHOWN], "eval-examples"))
    table = ("<h2>Evaluation</h2><table class=\"eval-table\"><tr><th>benchmark</th><th>metric</th><th>value (%)</th>"
             f"<th>95% CI</th><th>n</th></tr>{''.join(body)}</table>")
    if slices:
        table += ("<h3>By slice</h3><table class=\"eval-slices\"><tr><th>benchmark</th><th>slice by</th><th>slice</th>"
                  f"<th>value (%)</th><th>95% CI</th><th>n</th></tr>{''.join(slices)}</table>")
    return table + "".join(examples)


#: examples listed per eval report / probe in the HTML
EXAMPLES_SHOWN = 20
#: image data URIs shown inline (raster only: no SVG, which can carry markup)
RASTER = tuple(f"data:image/{k}" for k in ("png", "jpeg", "jpg", "gif", "webp", "bmp"))


def thumbnails(images: Any) -> str:
    """Inline thumbnails of data-URI images; a URL is shown as text, never fetched (the report fetches nothing).

    >>> thumbnails(["data:image/png;base64,AAAA", "https://x/a.png", "data:image/svg+xml;base64,PHN2Zz4="]).count("<img")
    1
    """
    out = []
    for k, url in enumerate(images if isinstance(images, list) else []):
        if isinstance(url, str) and url.startswith(RASTER) and ";base64," in url:
            out.append(f'<img class="thumb" src="{_esc(url)}" alt="image {k + 1}" width="72" height="72">')
        elif isinstance(url, str):
            out.append(f'<span class="muted">image {k + 1}: {_esc(url[:80])}</span>')
    return " ".join(out)


def examples_table(examples: Sequence[dict[str, Any]], css: str) -> str:
    """Listed examples: id, prompt (cut) with image thumbnails, and the example's other fields."""
    skip = {"id", "prompt", "images", "images_omitted"}
    cols = [c for c in dict.fromkeys(k for ex in examples for k in ex) if c not in skip]
    head = "".join(f"<th>{_esc(c)}</th>" for c in ["id", "prompt", *cols])
    rows = []
    for ex in examples:
        omitted = ex.get("images_omitted")
        note = f' <span class="muted">(+{omitted} large image(s) not inlined)</span>' if omitted else ""
        prompt = f"{_esc(str(ex.get('prompt', ''))[:300])}<br>{thumbnails(ex.get('images'))}{note}"
        cells = "".join(f"<td>{_esc(_cell(ex.get(c)))}</td>" for c in cols)
        rows.append(f"<tr><td>{_esc(ex.get('id', ''))}</td><td class=\"example\">{prompt}</td>{cells}</tr>")
    return f'<table class="{css}"><tr>{head}</tr>{"".join(rows)}</table>'


def is_training_log(rows: Sequence[dict[str, Any]]) -> bool:
    """Rows of a training log carry ``step`` and ``reward_mean``."""
    return bool(rows) and all("step" in r and "reward_mean" in r for r in rows[:5])


def training_series(rows: Sequence[dict[str, Any]]) -> tuple[dict[str, tuple[list[float], list[float]]], dict[str, tuple[list[float], list[float]]]]:
    """(reward series, eval series) of a training log: ``reward_mean``, per-component means (columns named
    ``<c>_mean``, ``components.<c>`` or a ``components`` object) and the ``zero_variance_share`` of groups
    (GRPO learns nothing from those), and ``eval_*`` columns.

    >>> r, e = training_series([{"step": 0, "reward_mean": 0.1, "format_mean": 0.5, "eval_accuracy": 0.2},
    ...                         {"step": 1, "reward_mean": 0.3, "format_mean": 0.7, "zero_variance_share": 0.25}])
    >>> r["reward_mean"], r["format"], r["zero_variance_share"], e["eval_accuracy"]
    (([0.0, 1.0], [0.1, 0.3]), ([0.0, 1.0], [0.5, 0.7]), ([1.0], [0.25]), ([0.0], [0.2]))
    """
    ordered = sorted(rows, key=lambda r: float(r["step"]))
    reward: dict[str, tuple[list[float], list[float]]] = {}
    evals: dict[str, tuple[list[float], list[float]]] = {}

    def add(target: dict[str, tuple[list[float], list[float]]], name: str, x: float, v: Any) -> None:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            xs, ys = target.setdefault(name, ([], []))
            xs.append(x)
            ys.append(float(v))

    for r in ordered:
        x = float(r["step"])
        add(reward, "reward_mean", x, r.get("reward_mean"))
        add(reward, "zero_variance_share", x, r.get("zero_variance_share"))
        for k, v in r.items():
            if k.startswith("eval_"):
                add(evals, k, x, v)
            elif k.startswith("components."):
                add(reward, k.split(".", 1)[1], x, v)
            elif k.endswith("_mean") and k != "reward_mean":
                add(reward, k[: -len("_mean")], x, v)
        if isinstance(r.get("components"), dict):
            for c, v in r["components"].items():
                add(reward, str(c), x, v)
    return reward, evals


def training_svg(rows: Sequence[dict[str, Any]], title: str = "reward per step") -> str:
    reward, _ = training_series(rows)
    return svg.lines(reward, title, "step", "mean", markers=len(rows) <= 60, width=640, height=320)


def training_sections(rows: Sequence[dict[str, Any]]) -> list[str]:
    reward, evals = training_series(rows)
    figs = [_figure("training-reward", training_svg(rows), "mean reward and per-component means per step")]
    if evals:
        figs.append(_figure("training-eval", svg.lines(evals, "evaluation per step", "step", "value", width=640, height=320)))
    last = sorted(rows, key=lambda r: float(r["step"]))[-1]
    table = "<table class=\"summary\"><tr><th>column</th><th>last value</th></tr>" + "".join(
        f"<tr><td>{_esc(k)}</td><td>{_esc(_cell(v))}</td></tr>" for k, v in last.items() if isinstance(v, (int, float))
    ) + "</table>"
    return [f"<h2>Training</h2><div class=\"grid\">{''.join(figs)}</div>", f"<h2>Last step</h2>{table}"]


def build_report(
    rows: Sequence[dict[str, Any]], title: str = "rewardsmith report", gold: str = "metadata.is_correct",
    probe: dict[str, Any] | None = None, evals: Sequence[dict[str, Any]] | None = None,
    monitor: dict[str, Any] | None = None,
) -> str:
    """The HTML text of the report."""
    sections = training_sections(rows) if is_training_log(rows) else scored_sections(rows, gold)
    if monitor:
        sections.append(monitor_section(monitor))
    if probe:
        sections.append(probe_section(probe))
    if evals:
        sections.append(eval_section(evals))
    return _page(title, sections)


def monitor_section(monitor: dict[str, Any]) -> str:
    alarms = monitor.get("alarms") or []
    body = "".join(f"<tr><td>{_esc(a.get('name'))}</td><td>{_esc(step_label(a.get('start_step')))}</td>"
                   f"<td>{_esc(step_label(a.get('end_step')) or 'ongoing')}</td><td>{_esc(a.get('detail'))}</td></tr>" for a in alarms)
    return ("<h2>Training monitor alarms</h2><table class=\"monitor-table\"><tr><th>alarm</th><th>start step</th><th>end step</th>"
            f"<th>detail</th></tr>{body or '<tr><td>none</td><td></td><td></td><td></td></tr>'}</table>")


def write_report(path: str | Path, text: str) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
