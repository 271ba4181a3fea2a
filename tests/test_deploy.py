"""deploy/compose.yaml and the Dockerfile: parsed and checked here (docker itself is not
available on the development and CI machines, so the image is not built by the tests).

What is checked is what a deployment relies on: a MongoDB replica set that is initiated,
Redis with persistence, workers of both queues and the web app running commands the
`gongkai` CLI has, healthchecks on every long-running service, and an image whose build
copies every package the entry point imports."""
import re
from pathlib import Path

import click
import pytest
import yaml

from tests.conftest import ROOT

COMPOSE = ROOT / "deploy" / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text("utf-8"))


def test_mongodb_is_an_initiated_replica_set(compose):
    services = compose["services"]
    members = [n for n, s in services.items() if "--replSet" in (s.get("command") or [])]
    assert len(members) >= 3
    init = " ".join(services["mongo-init"]["command"])
    assert "rs.initiate" in init and all(f"{m}:27017" in init for m in members)
    url = services["worker-light"]["environment"]["GONGKAI_MONGO_URL"]
    assert "replicaSet=rs0" in url and all(f"{m}:27017" in url for m in members)


def test_redis_keeps_its_messages(compose):
    redis = compose["services"]["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert redis["volumes"], "the append-only file needs a volume"


def test_every_gongkai_service_runs_a_real_command(compose):
    from gongkai.cli import main

    queues = set()
    for name, service in compose["services"].items():
        if service.get("image") != "gongkai:latest":
            continue
        argv = list(service.get("entrypoint", ["gongkai"])[1:]) + list(service["command"])
        ctx = main.make_context("gongkai", [], resilient_parsing=True)
        command = main.get_command(ctx, argv[0])
        assert command is not None, f"{name}: no gongkai command {argv[0]}"
        if argv[0] == "worker":
            sub = command.make_context("worker", argv[1:], resilient_parsing=True)
            queues.add(sub.params["queues"])
            assert service["environment"]["GONGKAI_BROKER_URL"].startswith("redis://redis:")
    assert {"light", "heavy"} <= queues


def test_long_running_services_have_healthchecks(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "unless-stopped":
            assert "healthcheck" in service, name
            assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_dependencies_wait_for_health(compose):
    deps = compose["services"]["worker-light"]["depends_on"]
    assert deps["redis"]["condition"] == "service_healthy"
    assert deps["mongo-init"]["condition"] == "service_completed_successfully"


def test_image_builds_from_the_project_with_its_entry_point():
    text = DOCKERFILE.read_text("utf-8")
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages = {p.split(".")[0] for p in project["tool"]["setuptools"]["packages"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", text, re.M))
    assert packages <= copied, f"packages not copied into the image: {packages - copied}"
    assert re.search(r"^RUN pip install .*\s\.\s", text, re.M)
    assert 'ENTRYPOINT ["gongkai"]' in text
    module, func = project["project"]["scripts"]["gongkai"].split(":")
    entry = getattr(__import__(module, fromlist=[func]), func)
    assert isinstance(entry, click.Group)
    ignored = (ROOT / ".dockerignore").read_text("utf-8").split()
    assert not packages & set(ignored)
