"""``rewardsmith serve SPEC``: the HTTP reward service (FastAPI + uvicorn) for trainers in other processes."""

from __future__ import annotations

import argparse
import os

NAME = "serve"
HELP = "serve a spec over HTTP (/v1/score, /v1/score/groups, /v1/score/stream, OpenRLHF /get_reward, /metrics)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="spec file (YAML/TOML) or a built-in spec name; fixed for the server's life")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--token", default=os.environ.get("REWARDSMITH_TOKEN"), help="bearer token required on scoring calls (default $REWARDSMITH_TOKEN)")
    p.add_argument("--insecure-local", action="store_true", help="no token; only on a loopback address")
    p.add_argument("--workers", type=int, default=None, help="worker processes (or Ray actors) for CPU-bound rewards")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    p.add_argument("--cache-path", default=None, help="SQLite cache file (default ~/.cache/rewardsmith/cache.sqlite)")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="score in this machine's worker processes or on Ray actors")
    p.add_argument("--address", default=None, help="Ray cluster address (with --backend ray; default: start a local Ray)")
    p.add_argument("--max-batch", type=int, default=4096, help="samples per request")
    p.add_argument("--max-pending", type=int, default=16384, help="samples queued + running before 429")
    p.add_argument("--max-body-mb", type=float, default=32.0, help="request body limit in MiB")
    p.add_argument("--stream-chunk", type=int, default=512, help="samples per engine batch on /v1/score/stream")
    p.add_argument("--error-fill", type=float, default=0.0, help="number an error/abstain becomes on /get_reward (flagged in extra_logs)")
    p.add_argument("--drain-seconds", type=float, default=60.0, help="on SIGTERM/SIGINT, wait this long for in-flight requests")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from rewardsmith.cli import err_console
    from rewardsmith.cli.score_cmd import make_engine
    from rewardsmith.server.app import create_app
    from rewardsmith.server.config import ServerConfig
    from rewardsmith.spec import load_spec

    config = ServerConfig(
        host=args.host,
        port=args.port,
        token=args.token or None,
        insecure_local=args.insecure_local,
        max_batch=args.max_batch,
        max_pending=args.max_pending,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        stream_chunk=max(1, min(args.stream_chunk, args.max_pending)),
        error_fill=args.error_fill,
        drain_seconds=args.drain_seconds,
    )
    try:
        config.check()
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        return 2
    spec = load_spec(args.spec)
    engine = make_engine(args, spec)
    app = create_app(engine, config)
    err_console.print(
        f"serving {spec.name} (hash {spec.spec_hash()}) on http://{args.host}:{args.port} "
        f"backend={args.backend} auth={'bearer token' if config.token else 'none (insecure-local)'}",
        highlight=False,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=int(args.drain_seconds),
        access_log=args.log_level in ("info", "debug"),
    )
    return 0
