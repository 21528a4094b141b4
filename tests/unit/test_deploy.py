"""deploy/: the compose file, its example environment and the Dockerfile, read as files
(there is no Docker engine here) and checked against the code: every service's command is a
command of the CLI that parses, every SCO_REGISTRY_* variable is a setting, and the
environment compose gives the registry refuses to start on a missing or default secret."""

from __future__ import annotations

import re
import secrets
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from sco_registry.cli import UsageError, build_parser, commands
from sco_registry.config import (
    DEVELOPMENT_JWT_SECRET,
    ENV_PREFIX,
    InvalidSetting,
    Settings,
    load_settings,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
REGISTRY_SERVICES = {"migrate", "seed", "api", "worker"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    return loaded


def example_env() -> dict[str, str]:
    found = {}
    for line in (DEPLOY / ".env.example").read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            found[name.strip()] = value.strip()
    return found


_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` (an error when unset or
    empty, as compose refuses to start)."""

    def one(m: re.Match[str]) -> str:
        name, how, arg = m.group(1), m.group(2), m.group(3)
        value = env.get(name, "")
        if how == "?" and not value:
            raise LookupError(f"{name}: {arg}")
        if how == "-" and not value:
            return arg
        return value

    return _VAR.sub(one, text)


def known_settings() -> set[str]:
    return {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}


def service_environment(service: dict[str, Any], dotenv: dict[str, str]) -> dict[str, str]:
    """What the container's process sees: the env_file, then `environment` over it."""
    env: dict[str, str] = {}
    assert service.get("env_file") == [".env"]
    env.update(dotenv)
    for name, value in (service.get("environment") or {}).items():
        env[name] = interpolate(str(value), dotenv)
    return env


def test_the_services_are_a_database_a_migration_two_apis_and_a_worker() -> None:
    services = compose()["services"]
    assert set(services) == {"db"} | REGISTRY_SERVICES
    assert services["api"]["deploy"]["replicas"] == 2
    for one_shot in ("migrate", "seed"):
        assert services[one_shot]["restart"] == "no"
    for name in ("seed", "api", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["worker"]["command"][1:] == ["projections", "catch-up", "--follow"]


def _parses(argv: list[str]) -> str:
    """The CLI command `argv` names (parsed as `main` parses it)."""
    args = build_parser().parse_args(argv)
    assert callable(args.handler)
    name = " ".join(a for a in argv if not a.startswith("-"))
    assert name in commands(), name
    return name


def test_every_service_command_is_a_cli_command_that_parses() -> None:
    services = compose()["services"]
    seen = set()
    for name in REGISTRY_SERVICES:
        command = services[name]["command"]
        assert command[0] == "sco-registry", name
        seen.add(_parses(command[1:]))
    assert seen == {"migrate", "seed", "serve", "projections catch-up"}
    dockerfile = (DEPLOY / "Dockerfile").read_text("utf-8")
    cmd = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[-1]
    image_command = yaml.safe_load(cmd)
    assert image_command[0] == "sco-registry"
    assert _parses(image_command[1:]) == "serve"
    # Controls: a command the CLI lacks, or a flag it lacks, does not parse.
    with pytest.raises(UsageError):
        _parses(["projections", "catch-up", "--forever"])
    with pytest.raises(UsageError):
        _parses(["worker"])


def test_every_registry_variable_set_is_a_known_setting() -> None:
    known = known_settings()
    dotenv = example_env()
    assert "SCO_REGISTRY_NO_SUCH_SETTING" not in known  # control
    services = compose()["services"]
    named = set(dotenv)
    for name in REGISTRY_SERVICES:
        named |= set(services[name].get("environment") or {})
    dockerfile = (DEPLOY / "Dockerfile").read_text("utf-8")
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", dockerfile, re.MULTILINE):
        for word in shlex.split(block.replace("\\\n", " ")):
            named.add(word.partition("=")[0])
    registry = {n for n in named if n.startswith(ENV_PREFIX)}
    assert registry >= {"SCO_REGISTRY_DATABASE_URL", "SCO_REGISTRY_JWT_SECRET"}
    assert registry <= known, registry - known
    assert named - registry <= {
        "POSTGRES_PASSWORD",
        "PATH",
        "PIP_DISABLE_PIP_VERSION_CHECK",
        "PIP_NO_CACHE_DIR",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
    }


def _load(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(known_settings()):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.mark.parametrize("service", sorted(REGISTRY_SERVICES))
def test_the_example_environment_refuses_a_missing_or_default_secret(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = compose()["services"][service]
    dotenv = example_env()
    assert dotenv["SCO_REGISTRY_ENVIRONMENT"] == "production"
    # The example as shipped: compose itself refuses to start without the database password.
    with pytest.raises(LookupError, match="POSTGRES_PASSWORD"):
        service_environment(spec, dotenv)
    dotenv["POSTGRES_PASSWORD"] = secrets.token_urlsafe(24)
    # The secret left empty, as shipped: the registry refuses to start.
    with pytest.raises(InvalidSetting, match="JWT_SECRET"):
        _load(service_environment(spec, dotenv), monkeypatch)
    # The public development secret, or a short one: refused too.
    for bad in (DEVELOPMENT_JWT_SECRET, "short"):
        with pytest.raises(InvalidSetting, match="JWT_SECRET"):
            _load(
                service_environment(spec, {**dotenv, "SCO_REGISTRY_JWT_SECRET": bad}), monkeypatch
            )
    # A generated one: the settings load, for production, on the compose database.
    good = {**dotenv, "SCO_REGISTRY_JWT_SECRET": secrets.token_urlsafe(48)}
    settings = _load(service_environment(spec, good), monkeypatch)
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql+asyncpg://sco:")
    assert settings.database_url.endswith("@db:5432/sco")


def test_the_dockerfile_is_multi_stage_non_root_with_a_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text("utf-8")
    stages = re.findall(r"^FROM \S+ AS (\w+)$", text, re.MULTILINE)
    assert stages == ["build", "runtime"]
    final = text.split("AS runtime", 1)[1]
    users = re.findall(r"^USER (\S+)$", final, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    health = re.search(r"^HEALTHCHECK (?:.*\\\n)*\s*CMD (\[.*\])$", final, re.MULTILINE)
    assert health is not None
    probe = yaml.safe_load(health.group(1))
    assert probe[:2] == ["python", "-c"] and "/healthz" in probe[2]
    compile(probe[2], "<healthcheck>", "exec")  # the probe is valid Python
    assert "--require-hashes -r requirements.lock" in text
