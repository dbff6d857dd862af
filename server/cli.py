"""`podium serve` and `podium bench`: parse settings, load the model, start uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from server.config import load_settings
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


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.asr.whisper import load_transcriber

    overrides = {
        name: getattr(args, name)
        for name in ("host", "port", "model", "device", "compute_type", "log_level")
    }
    settings = load_settings(overrides=overrides)
    configure_logging(settings.log_level)
    # Load the model before the server starts, so a missing model is one clear line, not a
    # traceback from inside the lifespan.
    transcriber = load_transcriber(settings)
    transcriber.warm_up()
    log.info(
        "model %s on %s (%s); listening on http://%s:%d",
        transcriber.model_name,
        transcriber.device,
        transcriber.compute_type,
        settings.host,
        settings.port,
    )
    app = create_app(settings, transcriber=transcriber)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=settings.log_level.lower()
    )
    redact_access_log()
    uvicorn.Server(config).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="podium", description="Live voice practice service")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
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
        return serve(args)
    except ConfigError as exc:
        print(f"podium: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
