"""The environment variables every service receives, on Cloud Run and on Docker alike.

DESIGN.md fixes these names: services and policies read pool and timeout settings from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies import contract


@dataclass(frozen=True)
class PoolSettings:
    size: int
    max_overflow: int
    timeout_s: int
    recycle_s: int


@dataclass(frozen=True)
class WebsocketSettings:
    heartbeat_s: int
    connection_timeout_s: int


def settings_env(pool: PoolSettings, redis_timeout_s: float,
                 websocket: WebsocketSettings | None) -> dict[str, str]:
    """Pool and timeout settings as the variables of DESIGN.md (seconds, as strings)."""
    env = {
        contract.DATABASE_POOL_SIZE: str(pool.size),
        contract.DATABASE_MAX_OVERFLOW: str(pool.max_overflow),
        contract.DATABASE_POOL_TIMEOUT: str(pool.timeout_s),
        contract.DATABASE_POOL_RECYCLE: str(pool.recycle_s),
        contract.REDIS_TIMEOUT: f"{redis_timeout_s:g}",
    }
    if websocket is not None:
        env[contract.WEBSOCKET_HEARTBEAT_TIMEOUT] = str(websocket.heartbeat_s)
        env[contract.WEBSOCKET_CONNECTION_TIMEOUT] = str(websocket.connection_timeout_s)
    return env
