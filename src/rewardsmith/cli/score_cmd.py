"""``rewardsmith score SPEC --input IN --output OUT``: stream rows through the engine, resumable."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import time
from pathlib import Path
from typing import Any

NAME = "score"
HELP = "score a JSONL/Parquet file with a spec; output rows are flushed as they finish and a rerun resumes"


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def fraction(text: str) -> float:
    """argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value:g}")
    return value


#: Default of ``--max-error-frac``: more rows than this share with status ``error`` makes the exit code 1.
MAX_ERROR_FRAC = 0.1
#: Exit code when the disk filled up (the rows written so far are kept; a rerun resumes).
EXIT_DISK_FULL = 3


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="spec file (YAML/TOML) or a built-in spec name such as default.yaml")
    p.add_argument("--input", "-i", required=True, help="input rows (.jsonl, .jsonl.gz or .parquet)")
    p.add_argument("--output", "-o", required=True, help="output rows (.jsonl or .parquet); OUT.run.json beside it records what produced them")
    p.add_argument("--workers", type=positive_int, default=None, help="worker processes for CPU-bound rewards (default: cores)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    p.add_argument("--cache-path", default=None, help="SQLite cache file (default ~/.cache/rewardsmith/cache.sqlite)")
    p.add_argument("--chunk", type=positive_int, default=512, help="rows per batch (groups are never split)")
    p.add_argument("--step", type=int, default=None, help="training step, for scheduled weights and params")
    p.add_argument("--restart", action="store_true", help="discard an existing output (and its run record) and start over")
    p.add_argument("--max-error-frac", type=fraction, default=MAX_ERROR_FRAC,
                   help=f"exit with code 1 when more than this share of the scored rows has status error (default {MAX_ERROR_FRAC})")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="where to score (ray: see rewardsmith.engine.ray_backend)")
    p.add_argument("--address", default=None,
                   help="join a running Ray cluster (with --backend ray), e.g. HOST:6379; its token comes from "
                        "$RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token")
    add_worker_limits(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def add_worker_limits(p: argparse.ArgumentParser) -> None:
    """``--max-tasks-per-worker`` and ``--max-worker-mb`` (shared with ``serve``)."""
    from rewardsmith.engine.runner import MAX_WORKER_MB

    p.add_argument("--max-tasks-per-worker", type=positive_int, default=None,
                   help="recycle a worker process after this many items (default: never)")
    p.add_argument("--max-worker-mb", type=float, default=MAX_WORKER_MB,
                   help=f"recycle a worker process after an item that left it above this resident size in MiB "
                        f"(default {MAX_WORKER_MB:g}; 0: no limit)")


@contextlib.contextmanager
def _calm_gc() -> Any:
    """Fewer, cheaper garbage collections while scoring: the objects that exist before the run (modules,
    the spec, the engine) are frozen out of the collector's scans and young collections run less often.
    The run's objects die batch by batch, so little memory waits for a collection (measured: about a
    third less CPU time on 100k trivial rows).
    Restored afterwards (the command may run in-process, e.g. from tests or a benchmark)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], 50_000), max(thresholds[1], 20), max(thresholds[2], 20))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def make_engine(args: argparse.Namespace, spec: Any) -> Any:
    if args.backend == "ray":
        from rewardsmith.engine.ray_backend import RayEngine  # provided by the serve-and-scale work

        return RayEngine(spec, address=args.address, workers=args.workers, cache=not args.no_cache)
    from rewardsmith.engine import Engine

    cache: Any = False if args.no_cache else (args.cache_path or True)
    return Engine(spec, workers=args.workers, cache=cache, max_tasks_per_worker=args.max_tasks_per_worker,
                  max_worker_mb=args.max_worker_mb or None)


def prepare(row: Any, line: int) -> Any:
    """An input row as the engine's ``Sample``, or an error result naming the input line (and id) and the
    field (the engine alone only knows the row's place in its batch)."""
    from rewardsmith.types import RewardResult, RowError, Sample

    if row.__class__ is not dict:
        return row  # already an error result (a line that is not a JSON object)
    try:
        return Sample.from_row(row)
    except RowError as exc:
        rid = row.get("id")
        where = f"line {line}" + (f" (id={rid})" if rid is not None else "")
        return RewardResult.error(f"{where}: field '{exc.field}': {exc.problem}")


def run(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    import rewardsmith
    from rewardsmith.cli import console, err_console
    from rewardsmith.rows import OUTPUT_SUFFIXES, OutputBusy, RowWriter, read_chunks
    from rewardsmith.run_record import RunRecord, fingerprint_input, read_record, record_path, write_record
    from rewardsmith.spec import load_spec
    from rewardsmith.summary import RunSummary

    out = Path(args.output)
    if out.suffix not in OUTPUT_SUFFIXES:
        err_console.print(f"--output {escape(str(out))}: cannot write '{out.suffix or 'no suffix'}'; "
                          f"the output is {' or '.join(OUTPUT_SUFFIXES)}", highlight=False)
        return 2
    spec = load_spec(args.spec)
    src = Path(args.input)
    if not src.exists():
        err_console.print(f"[red]no such input file: {escape(str(src))}[/red]")
        return 2
    fingerprint = fingerprint_input(src)
    record = RunRecord(rewardsmith.__version__, spec.name, spec.spec_hash(), str(src), fingerprint.blake2b, fingerprint.rows, args.step)
    try:
        writer = RowWriter(out, resume=not args.restart)
    except OutputBusy as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        return 2
    if args.restart and writer.parquet:
        out.unlink(missing_ok=True)
    refusal = resume_refusal(writer, out, record, src)
    if refusal is not None:
        writer.abort()
        if writer.parquet and writer.done == 0:
            writer.partial.unlink(missing_ok=True)  # the empty partial this run opened
        err_console.print(f"[red]refusing to resume:[/red] {escape(refusal)}", highlight=False)
        return 2
    previous = read_record(out)
    if previous is not None and previous.complete and (writer.done == fingerprint.rows if not writer.parquet else out.exists() and writer.done == 0):
        writer.abort()
        if writer.parquet:
            writer.partial.unlink(missing_ok=True)
        console.print(f"{escape(str(out))} is already complete: {previous.rows} rows from this spec and input "
                      f"({record_path(out).name}); nothing to do (--restart scores it again)", highlight=False)
        return 0
    if writer.done:
        console.print(f"resuming: {writer.done} rows already in {escape(str(writer.partial))}", highlight=False)
    summary = RunSummary()
    started = time.perf_counter()
    scored = 0
    engine = None
    recycles: dict[str, int] = {}
    try:
        write_record(out, record)
        try:
            engine = make_engine(args, spec)
        except ConnectionError as exc:  # --backend ray --address: could not join the cluster
            writer.abort()
            err_console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
            return 2
        with _calm_gc(), Progress(
            TextColumn("[bold]scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            console=err_console, disable=args.quiet, transient=True,
        ) as progress:
            task = progress.add_task("score", total=max(0, fingerprint.rows - writer.done))
            for lines, rows in read_chunks(src, args.chunk, skip=writer.done):
                results = engine.score([prepare(r, n) for r, n in zip(rows, lines)], step=args.step)
                writer.write_results(rows, results, lines)  # flushed: a killed run resumes after these
                summary.add_results(results)
                scored += len(results)
                progress.update(task, advance=len(results))
        writer.finish()
        record.rows, record.complete = writer.done + scored, True
        record.finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_record(out, record)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        kept = writer.abort()
        err_console.print(
            f"[red]disk full[/red] while writing {escape(str(writer.partial))} ({exc.strerror}): {kept} complete rows are "
            f"on disk and kept (a torn last row was cut off). Free some space and rerun the same command: it resumes "
            f"after row {kept}.", highlight=False,
        )
        return EXIT_DISK_FULL
    finally:
        if engine is not None:
            stats = getattr(engine, "stats", {})
            summary.component_seconds = {k: v.seconds for k, v in stats.items()}
            recycles = dict(getattr(engine, "recycles", {}))
            engine.close()
    elapsed = time.perf_counter() - started
    console.print(summary.table())
    if summary.reasons:
        console.print("most common errors:")
        for reason, n in sorted(summary.reasons.items(), key=lambda kv: -kv[1])[:5]:
            console.print(f"  {n} x {escape(reason)}", highlight=False)
    if any(recycles.values()):
        why = [f"{recycles['tasks']} after {args.max_tasks_per_worker} items" if recycles.get("tasks") else "",
               f"{recycles['memory']} over {args.max_worker_mb:g} MiB resident" if recycles.get("memory") else ""]
        console.print(f"recycled worker processes: {', '.join(w for w in why if w)}", highlight=False)
    console.print(f"scored {scored} rows in {elapsed:.2f}s ({scored / max(elapsed, 1e-9):.0f} rows/s) -> {escape(str(out))}", highlight=False)
    errors = summary.status.get("error", 0)
    if scored and errors / scored > args.max_error_frac:
        err_console.print(f"[red]{errors} of {scored} rows ({errors / scored:.1%}) have status error[/red], more than "
                          f"--max-error-frac {args.max_error_frac:g}: exit code 1 (the rows are written)", highlight=False)
        return 1
    return 0


def resume_refusal(writer: Any, out: Path, record: Any, src: Path) -> str | None:
    """Why the rows already in the output cannot be continued by this run, or None when they can (or there
    are none). The run record must match (spec hash, input fingerprint, step, version) and the rows must be
    the input's first rows, id by id."""
    from rewardsmith.run_record import read_record, record_path

    has_rows = writer.done > 0 or (writer.parquet and out.exists())
    if not has_rows:
        return None
    previous = read_record(out)
    held = f"{writer.done} rows" if writer.done or not writer.parquet else "a finished Parquet file"
    if previous is None:
        return (f"{out} already holds {held} but has no run record ({record_path(out).name}), so nothing says which "
                f"spec and input produced them; --restart to score it again from the start, or choose another --output")
    differences = previous.differences(record)
    if differences:
        return (f"{out} holds {held} from a different run: {'; '.join(differences)}. --restart to score it again "
                f"from the start, or choose another --output")
    if writer.done > record.input_rows:
        return f"{out} holds {writer.done} rows but the input has only {record.input_rows}"
    mismatch = first_mismatch(writer.partial, src, writer.done)
    if mismatch is not None:
        return f"{mismatch}; --restart to score it again from the start"
    return None


def first_mismatch(partial: Path, src: Path, n: int) -> str | None:
    """The first of the ``n`` output rows whose id (or, without ids, prompt and completion; for a line that
    was not JSON, its line number) is not the input's row at the same place, described; None if all match."""
    import orjson

    from rewardsmith.rows import read_rows

    if n == 0:
        return None
    with open(partial, "rb") as f:
        for k, ((line, row), raw) in enumerate(zip(read_rows(src), f), start=1):
            got = orjson.loads(raw)
            if row.__class__ is dict:
                keys = ("id",) if "id" in row else ("prompt", "completion")
                same = all(got.get(key) == row.get(key) for key in keys)
                shown = f"id={row['id']!r}" if "id" in row else "its prompt/completion"
                found = f"id={got.get('id')!r}" if "id" in row else "another prompt/completion"
            else:
                same, shown, found = got.get("line") == line, "a malformed line", f"line={got.get('line')!r}"
            if not same:
                return f"output row {k} has {found}, but input line {line} ({shown}) is where it should come from"
            if k >= n:
                break
    return None
