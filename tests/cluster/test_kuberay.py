"""The KubeRay example (deploy/kuberay/rayservice.yaml) is a Serve config Ray accepts, for the
application `podium asr deploy` deploys, with settings Podium accepts."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from server.asr.pool_wire import DEFAULT_POOL_PORT, POOL_ROUTE
from server.config import load_settings

yaml = pytest.importorskip("yaml")
schema = pytest.importorskip("ray.serve.schema", reason="the speech pool needs the 'cluster' extra")
serve = pytest.importorskip("ray.serve")

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "kuberay" / "rayservice.yaml"


def _serve_config() -> dict[str, Any]:
    service = yaml.safe_load(EXAMPLE.read_text())
    assert service["apiVersion"] == "ray.io/v1" and service["kind"] == "RayService"
    config: dict[str, Any] = yaml.safe_load(service["spec"]["serveConfigV2"])
    return config


def test_the_serve_config_is_valid_for_ray_serve() -> None:
    config = schema.ServeDeploySchema.model_validate(_serve_config())

    (app,) = config.applications
    assert app.route_prefix == POOL_ROUTE
    assert config.http_options.port == DEFAULT_POOL_PORT


def test_its_application_builds_with_settings_podium_accepts() -> None:
    (app,) = _serve_config()["applications"]
    module, _, attribute = app["import_path"].partition(":")
    builder = getattr(importlib.import_module(module), attribute)
    settings = {k: v for k, v in app["args"].items() if k.startswith("PODIUM_")}

    built = builder(app["args"])

    assert isinstance(built, serve.Application)
    load_settings(environ=settings)  # raises ConfigError naming a bad setting
    (deployment,) = app["deployments"]
    replica_class = importlib.import_module("server.cluster.replica").AsrReplica
    assert deployment["name"] == replica_class.name
    assert deployment["num_replicas"] == int(app["args"]["replicas"])
