"""`podium asr deploy` and `podium asr shutdown`: the speech pool as a Ray Serve application.

Run on a machine of the Ray cluster (`ray start --head` on one, `ray start --address …` on the
others); the cluster's address is read as Ray reads it (`RAY_ADDRESS`, default `auto`). The
replicas get this process's `PODIUM_*` settings (model, device, batching, ...).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from server.asr.pool_wire import POOL_ROUTE
from server.config import ENV_PREFIX
from server.errors import ConfigError

log = logging.getLogger(__name__)

APP_NAME = "podium-asr"
NAMESPACE = "podium"
INSTALL_HINT = "the speech pool needs Ray Serve: pip install 'podium[cluster]'"


def _connect() -> None:
    try:
        import ray
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    address = os.environ.get("RAY_ADDRESS", "auto")
    try:
        ray.init(
            address=address,
            namespace=NAMESPACE,
            log_to_driver=False,
            include_dashboard=False,
            configure_logging=False,
        )
    except ConnectionError as exc:
        raise ConfigError(
            f"RAY_ADDRESS: no Ray cluster at {address!r} ({exc}); start one with `ray start --head`"
        ) from None


def deploy(
    *,
    replicas: int,
    gpus_per_replica: float,
    cpus_per_replica: float,
    host: str,
    port: int,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Deploy (or update) the pool and wait until it is ready; returns its address."""
    if replicas < 1 or gpus_per_replica < 0 or cpus_per_replica < 0:
        raise ConfigError("--replicas must be at least 1, --gpus/--cpus-per-replica not negative")
    environ = os.environ if environ is None else environ
    settings_env = {k: v for k, v in environ.items() if k.startswith(ENV_PREFIX)}
    _connect()
    from ray import serve
    from ray.util import get_node_ip_address

    from server.cluster.replica import AsrReplica

    serve.start(http_options={"host": host, "port": port})
    app = AsrReplica.options(  # type: ignore[attr-defined]
        num_replicas=replicas,
        ray_actor_options={"num_gpus": gpus_per_replica, "num_cpus": cpus_per_replica},
    ).bind(settings_env, replicas)
    serve.run(app, name=APP_NAME, route_prefix=POOL_ROUTE)
    shown_host = get_node_ip_address() if host in ("0.0.0.0", "::") else host
    return f"http://{shown_host}:{port}{POOL_ROUTE}"


def shutdown() -> None:
    """Remove the pool's application (the Ray cluster stays up)."""
    _connect()
    from ray import serve

    serve.delete(APP_NAME)
