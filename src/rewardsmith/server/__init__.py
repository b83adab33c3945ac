"""HTTP reward service (FastAPI) and its Python client.

``create_app(engine, ServerConfig(...))`` builds the service; ``RewardClient`` / ``AsyncRewardClient``
call it and return the library's ``RewardResult`` objects. The server side imports FastAPI lazily so the
client works with httpx alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rewardsmith.server.client import AsyncRewardClient, RewardClient, ServerError
from rewardsmith.server.config import ServerConfig

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(engine: Any, config: ServerConfig | None = None) -> "FastAPI":
    """The FastAPI app serving ``engine`` (an ``Engine`` or ``RayEngine``) with ``config``."""
    from rewardsmith.server.app import create_app as _create

    return _create(engine, config)


__all__ = ["AsyncRewardClient", "RewardClient", "ServerConfig", "ServerError", "create_app"]
