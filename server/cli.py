"""`podium serve` and `podium bench`: parse settings, load the model, start uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import socket
import sys
from collections.abc import Sequence

from server.asr.pool_wire import DEFAULT_POOL_PORT
from server.config import Settings, load_settings
from server.errors import ConfigError
from server.logs import configure_logging, redact_access_log

log = logging.getLogger("server")


def _serve_parser(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run the service")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument(
        "--model", help="tiny.en (bundled), a faster-whisper model name, or a model folder"
    )
    serve.add_argument("--device", choices=["auto", "cpu", "cuda"])
    serve.add_argument("--compute-type", dest="compute_type", help="auto, int8, float16, ...")
    serve.add_argument("--log-level", dest="log_level", help="debug, info, warning, error")
    serve.add_argument("--asr", help="'local' (default) or the address `podium asr deploy` printed")


def _asr_parser(sub: argparse._SubParsersAction) -> None:
    asr = sub.add_parser("asr", help="the speech-recognition pool on a Ray cluster")
    commands = asr.add_subparsers(dest="asr_command", required=True)
    deploy = commands.add_parser("deploy", help="deploy (or update) the pool; prints its address")
    deploy.add_argument("--replicas", type=int, default=1, help="model replicas (default 1)")
    deploy.add_argument(
        "--gpus-per-replica",
        dest="gpus_per_replica",
        type=float,
        default=0.0,
        help="GPUs each replica reserves (default 0: CPU)",
    )
    deploy.add_argument(
        "--cpus-per-replica",
        dest="cpus_per_replica",
        type=float,
        default=1.0,
        help="CPUs each replica reserves (default 1)",
    )
    deploy.add_argument(
        "--host",
        default="127.0.0.1",
        help="where Serve's HTTP proxy listens (0.0.0.0 for front ends on other machines)",
    )
    deploy.add_argument(
        "--port",
        type=int,
        default=DEFAULT_POOL_PORT,
        help=f"the proxy's port (default {DEFAULT_POOL_PORT})",
    )
    commands.add_parser("shutdown", help="remove the pool (the Ray cluster stays up)")


def asr(args: argparse.Namespace) -> int:
    from server.cluster.deploy import deploy, shutdown

    logging.basicConfig(level=logging.WARNING)
    if args.asr_command == "shutdown":
        shutdown()
        print("the speech pool is removed")
        return 0
    address = deploy(
        replicas=args.replicas,
        gpus_per_replica=args.gpus_per_replica,
        cpus_per_replica=args.cpus_per_replica,
        host=args.host,
        port=args.port,
    )
    print(address)
    return 0


def serve(args: argparse.Namespace) -> int:
    overrides = {
        name: getattr(args, name)
        for name in ("host", "port", "model", "device", "compute_type", "log_level", "asr")
    }
    settings = load_settings(overrides=overrides)
    configure_logging(settings.log_level)
    # Quick checks before the slow model load, each failure one line naming its setting: the
    # port (held from here on, so nothing can take it meanwhile), then the database.
    listener = listen_on(settings.host, settings.port)
    try:
        check_storage(settings)
        # Imported here: the web stack and the model libraries take seconds to import.
        import uvicorn

        from server.app import create_app

        transcriber = None
        if settings.asr == "local":
            from server.asr.whisper import load_transcriber

            transcriber = load_transcriber(settings)
            transcriber.warm_up()
            log.info(
                "model %s on %s (%s)",
                transcriber.model_name,
                transcriber.device,
                transcriber.compute_type,
            )
        else:
            log.info("decodes go to the speech pool at %s", settings.asr)
        log.info("listening on http://%s:%d", settings.host, settings.port)
        app = create_app(settings, transcriber=transcriber)
        # The asyncio loop and h11 whatever else is installed (Ray brings uvloop and
        # httptools): aiortc and the suite run on these.
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            loop="asyncio",
            http="h11",
        )
        redact_access_log()
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        listener.close()
    return 0


def listen_on(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (uvicorn listens on it); `ConfigError` if it cannot be."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ConfigError(
            f"cannot listen on host {host!r} ({exc.strerror}): check --host"
        ) from None
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use: choose another with --port"
            ) from None
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}): check --host and --port"
        ) from None
    return listener


def check_storage(settings: Settings) -> None:
    """Open the database once (applying its migrations), so that a bad URL, a missing driver or
    an unusable data folder stops startup with one line instead of failing inside the server."""
    from server.store import Store

    async def open_and_close() -> None:
        store = await Store.open(settings.resolved_database_url)
        await store.close()

    try:
        asyncio.run(open_and_close())
    except ConfigError as exc:
        setting = "PODIUM_DATABASE_URL" if settings.database_url else "PODIUM_DATA_DIR"
        raise ConfigError(f"{setting}: {exc.message}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="podium", description="Live voice practice service")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    _asr_parser(sub)
    sub.add_parser(
        "bench", help="run the latency benchmark (see `podium bench --help`)", add_help=False
    )
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "bench":
            from benchmarks.run import main as bench_main

            return bench_main(rest)
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        if args.command == "asr":
            return asr(args)
        return serve(args)
    except ConfigError as exc:
        print(f"podium: error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
