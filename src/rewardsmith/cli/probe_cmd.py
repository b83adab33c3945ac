"""``rewardsmith probe SPEC --data FILE``: attack success rate of reward-hacking probes, per component."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

NAME = "probe"
HELP = "probe a spec with reward-hacking attacks (content-free, injection, answer spam, ...); ASR per component and judge kind"

FAMILIES = ("content_free", "injection", "image_generic", "answer_spam", "length", "repetition", "format_only", "bandwagon", "authority")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="spec file or built-in name")
    p.add_argument("--data", "-d", required=True, help="rows with prompt, reference and a correct completion "
                                                        "(a gold label / metadata.is_correct picks the correct one per group)")
    p.add_argument("--family", action="append", choices=FAMILIES, default=None, help="only these families (repeatable)")
    p.add_argument("--limit", type=int, default=50, help="prompts to probe (default 50)")
    p.add_argument("--threshold", type=float, default=None, help="success when the attacked score >= threshold "
                                                                 "(default: >= the correct completion's score)")
    p.add_argument("--attacks", type=int, default=48, help="content-free completions drawn from the attack grammar "
                                                           "(half as many injections, a quarter as many image answers)")
    p.add_argument("--seed", type=int, default=0, help="seed of the attack grammar (another seed: other attacks)")
    p.add_argument("--no-honest", action="store_true", help="skip the false-positive probe (right answers that look like attacks)")
    p.add_argument("--no-bias", action="store_true", help="skip the verbosity-bias probe")
    p.add_argument("--noise", action="store_true", help="also score the data and report reward-noise robustness (needs gold labels)")
    p.add_argument("--self-model", default=None, help="self-preference: DBG score on rows whose metadata.model is this")
    p.add_argument("--details", action="store_true", help="print every probe, not only the per-family table")
    p.add_argument("--workers", type=int, default=None, help="worker processes")
    p.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    p.add_argument("--output", "-o", default=None, help="write the results as JSON (for `rewardsmith report --probe`)")


def run(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from rewardsmith.cli import console, err_console
    from rewardsmith.evaluate import probes
    from rewardsmith.evaluate.readers import ReaderError, gold_label, load_rows
    from rewardsmith.spec import load_spec

    spec = load_spec(args.spec)
    try:
        rows = load_rows(args.data)
    except (ReaderError, FileNotFoundError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        return 2
    items = probes.items_from_rows(rows, args.limit)
    if not items:
        err_console.print("[red]no probe items: rows need a reference and a correct completion[/red]")
        return 2
    opts = {"workers": args.workers, "cache": not args.no_cache}
    result = probes.run_probes(spec, items, args.family, args.threshold, grammar_n=args.attacks, seed=args.seed, **opts)
    if not args.no_honest:
        result.honest = probes.honest_probe(spec, **opts)
    if not args.no_bias:
        result.bias = probes.bias_probes(spec, items, **opts)
    if args.noise or args.self_model:
        from rewardsmith.evaluate.harness import score_rows
        from rewardsmith.evaluate.report import bon_groups

        labelled = [r for r in rows if gold_label(r) is not None]
        scored = score_rows(probes.raw_spec(spec), labelled, **opts)
        out_rows = [{**r, **res.to_fields()} for r, res in zip(labelled, scored)]
        if args.noise:
            groups = bon_groups(out_rows, "metadata.is_correct") if any("is_correct" in (r.get("metadata") or {}) for r in out_rows) else bon_groups(out_rows, "label")
            result.noise = probes.noise_robustness(groups)
        if args.self_model:
            values = [res.value if res.is_ok else None for res in scored]
            result.bias.append(probes.self_preference(labelled, values, args.self_model,
                                                      lambda r: None if gold_label(r) is None else float(gold_label(r))))
    spec.close()

    def pct(v: float) -> str:
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.0f}%"

    t = Table(title=f"attack success rate, {result.spec}: {len(items)} prompts ({result.rule})")
    t.add_column("family")
    t.add_column("probes", justify="right")
    for target in result.targets:
        t.add_column(escape(f"{target} [{result.kinds.get(target, '?')}] mean / worst"), justify="right")
    for row in result.family_table():
        t.add_row(row["family"], str(row["probes"]), *(f"{pct(row[x])} / {pct(row[x + ' worst'])}" for x in result.targets))
    console.print(t)
    if args.details:
        d = Table(title="every probe")
        d.add_column("family")
        d.add_column("probe")
        for target in result.targets:
            d.add_column(target, justify="right")
        for row in result.rows:
            d.add_row(row["family"], row["probe"], *(pct(row["asr"][x]) for x in result.targets))
        console.print(d)
    for h in result.honest:
        console.print(escape(f"honest answers ({h['n']}): {h['target']}: {h['zeroed_by_guard']} zeroed by the guard, "
                             f"{h['not_ok']} not ok, mean {h['mean']:.3g}" + (f" — {h['zeroed']}" if h["zeroed"] else "")), highlight=False)
    for ident, use in result.judge_usage.items():
        console.print(escape(f"judge {ident}: {use['calls']} calls, {use['guarded']} completions answered by the guard (calls saved)"), highlight=False)
    for b in result.bias:
        console.print("bias: " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in b.items()), highlight=False)
    for n in result.noise:
        console.print("noise: " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in n.items()), highlight=False)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(result.to_dict(), indent=1, default=str))
    return 0
