"""``rewardsmith serve SPEC``: the HTTP reward service (FastAPI + uvicorn) for trainers in other processes."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rewardsmith.cli.score_cmd import add_worker_limits

#: Environment variable holding the server's token (preferred over --token, which shows in `ps`).
TOKEN_ENV = "REWARDSMITH_TOKEN"

NAME = "serve"
HELP = "serve a spec over HTTP (/v1/score, /v1/score/groups, /v1/score/stream, OpenRLHF /get_reward, /metrics)"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="spec file (YAML/TOML) or a built-in spec name; fixed for the server's life")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--token-file", default=None, help="file whose first line is the token every call must carry (or set $REWARDSMITH_TOKEN)")
    p.add_argument("--token", default=None, help="the token itself; discouraged: any user sees it in `ps` (a warning says so)")
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
    p.add_argument("--error-fill", type=float, default=0.0,
                   help="number an error/abstain becomes on /get_reward, which has no null; OpenRLHF trains on it as a real "
                        "reward (flagged per sample in extra_logs.rewardsmith_error)")
    p.add_argument("--docs", action="store_true", help="serve /docs, /redoc and /openapi.json (off by default)")
    p.add_argument("--drain-seconds", type=float, default=60.0, help="on SIGTERM/SIGINT, wait this long for in-flight requests")
    add_worker_limits(p)
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])


def resolve_token(args: argparse.Namespace) -> str | None:
    """The token from ``--token-file``, ``--token`` (with a warning: it shows in ``ps``) or
    ``$REWARDSMITH_TOKEN``; raises ValueError for two sources at once or an empty/unreadable file."""
    from rewardsmith.cli import err_console

    if args.token_file and args.token:
        raise ValueError("give the token once: --token-file or --token, not both")
    if args.token_file:
        path = Path(args.token_file)
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise ValueError(f"--token-file {path}: {exc.strerror}") from None
        token = text.splitlines()[0].strip() if text else ""
        if not token:
            raise ValueError(f"--token-file {path}: the file is empty")
        if path.stat().st_mode & 0o077:
            err_console.print(f"[yellow]warning:[/yellow] {path} can be read by other users (chmod 600 it)", highlight=False)
        return token
    if args.token:
        err_console.print("[yellow]warning:[/yellow] --token puts the token on the command line, where every user of this "
                          "machine can read it (`ps`, /proc); use $REWARDSMITH_TOKEN or --token-file", highlight=False)
        return str(args.token)
    return os.environ.get(TOKEN_ENV) or None


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from rewardsmith.cli import err_console
    from rewardsmith.cli.score_cmd import make_engine
    from rewardsmith.server.app import create_app
    from rewardsmith.server.config import ServerConfig
    from rewardsmith.spec import load_spec

    try:
        token = resolve_token(args)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        return 2
    config = ServerConfig(
        host=args.host,
        port=args.port,
        token=token,
        insecure_local=args.insecure_local,
        max_batch=args.max_batch,
        max_pending=args.max_pending,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        stream_chunk=max(1, min(args.stream_chunk, args.max_pending)),
        error_fill=args.error_fill,
        drain_seconds=args.drain_seconds,
        docs=args.docs,
    )
    try:
        config.check()
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        return 2
    spec = load_spec(args.spec)
    try:
        engine = make_engine(args, spec)
    except ConnectionError as exc:  # --backend ray --address: could not join the cluster
        err_console.print(f"[red]{exc}[/red]", highlight=False)
        return 2
    app = create_app(engine, config)
    err_console.print(
        f"serving {spec.name} (hash {spec.spec_hash()}) on http://{args.host}:{args.port} "
        f"backend={args.backend} auth={'token' if config.token else 'none (insecure-local)'}",
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
