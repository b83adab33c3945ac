"""Settings of the reward service: where it listens, who may call it, and how much it takes at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ServerConfig:
    """Limits and security of one server.

    ``token``: bearer token every scoring call must carry; ``None`` is only allowed with
    ``insecure_local`` (and then only on a loopback host). ``max_batch``: samples per request;
    ``max_body_bytes``: request body size; ``max_pending``: samples admitted (queued + running) before
    new requests get 429; ``stream_chunk``: samples per engine batch on the NDJSON streaming endpoint.
    ``error_fill``: the number an error / abstain becomes on the OpenRLHF endpoint, which has no null
    (the per-sample ``rewardsmith_error`` log says which ones they were): the trainer takes it as a real
    reward, so those samples train toward (or away from) whatever the fill is worth. ``docs``: serve
    ``/docs``, ``/redoc`` and ``/openapi.json`` (off by default).

    >>> ServerConfig(insecure_local=True).check()
    >>> ServerConfig(host="0.0.0.0", insecure_local=True).check()
    Traceback (most recent call last):
    ...
    ValueError: --insecure-local only binds a loopback address (got 0.0.0.0); set a token ($REWARDSMITH_TOKEN or --token-file) to listen elsewhere
    """

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    insecure_local: bool = False
    max_batch: int = 4096
    max_stream_samples: int = 200_000
    max_body_bytes: int = 32 * 1024 * 1024
    max_pending: int = 16384
    stream_chunk: int = 512
    error_fill: float = 0.0
    drain_seconds: float = 60.0
    docs: bool = False

    def check(self) -> None:
        """Refuse configurations that would expose the service without a token."""
        if self.token is None and not self.insecure_local:
            raise ValueError("a token is required ($REWARDSMITH_TOKEN or --token-file FILE); --insecure-local serves without one on 127.0.0.1")
        if self.token is None and self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(
                f"--insecure-local only binds a loopback address (got {self.host}); set a token ($REWARDSMITH_TOKEN or --token-file) to listen elsewhere"
            )
        if self.max_batch < 1 or self.max_pending < self.max_batch:
            raise ValueError("max_pending must be at least max_batch, and max_batch at least 1")
        if not 1 <= self.stream_chunk <= self.max_pending:
            raise ValueError("stream_chunk must be between 1 and max_pending")
