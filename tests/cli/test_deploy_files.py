"""The files of deploy/ and docs/deploy.md against the code they describe, so that they do
not rot: a command renamed, a setting added or misspelt, a health path moved. No image is
built (there is no Docker here); HAProxy and systemd check their own files for real."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from frontdesk.api.native.health import router as health
from frontdesk.cli import main
from frontdesk.http.serving import KEEP_ALIVE_SECONDS, uvicorn_options
from frontdesk.settings import Settings
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
SETTINGS = {f"FRONTDESK_{name.upper()}" for name in Settings.model_fields}


def _command(words: list[str]) -> click.Command:
    """The `frontdesk` (sub)command these words name; each option must be one it takes."""
    command: click.Command = main
    for word in words:
        if word.startswith("--"):
            known = {opt for param in command.params for opt in getattr(param, "opts", [])}
            assert word.split("=", 1)[0] in known, f"`frontdesk {' '.join(words)}`: {word}?"
        elif isinstance(command, click.Group):
            assert word in command.commands, f"`frontdesk {' '.join(words)}`: no {word!r}"
            command = command.commands[word]
    return command


def _frontdesk_words(line: str) -> list[str]:
    """What follows the `frontdesk` executable in a command line (a shell's -c included)."""
    words = shlex.split(line)
    if words[:2] == ["/bin/sh", "-c"]:
        words = shlex.split(words[2])
    executable = next(i for i, word in enumerate(words) if word.endswith("/frontdesk"))
    return words[executable + 1 :]


def _compose() -> dict[str, dict[str, dict[str, object]]]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_has_the_reference_services_and_only_real_settings() -> None:
    services = _compose()["services"]
    assert {"app", "haproxy", "postgres", "redis"} <= set(services)
    app = services["app"]
    build = app["build"]
    assert isinstance(build, dict)
    assert (DEPLOY / str(build["context"]) / str(build["dockerfile"])).resolve() == (
        DEPLOY / "Dockerfile"
    )
    assert app["deploy"] == {"replicas": 3}
    environment = app["environment"]
    assert isinstance(environment, dict)
    assert set(environment) <= SETTINGS, set(environment) - SETTINGS
    # Shared across processes: the database, the fan-out and the signing key.
    assert environment["FRONTDESK_DATABASE_URL"].startswith("postgresql://")
    assert environment["FRONTDESK_REDIS_URL"].startswith("redis://redis:")
    assert "FRONTDESK_SECRET_KEY" in environment
    # The proxy whose X-Forwarded-For is trusted is HAProxy's own address.
    proxy = services["haproxy"]["networks"]
    assert isinstance(proxy, dict)
    assert environment["FRONTDESK_TRUSTED_PROXIES"] == proxy["frontdesk"]["ipv4_address"]


def test_the_dockerfile_runs_a_real_command_and_probes_a_real_path() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, re.MULTILINE)
    words = yaml.safe_load(cmd)  # JSON is YAML
    assert words[0] == "frontdesk"
    assert _command(words[1:]).name == "serve"
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), f"COPY {name}: not in the repository"
    probed = re.findall(r"http://127\.0\.0\.1:8000(/\w+)", text)
    assert probed == ["/healthz"]
    assert "/healthz" in {getattr(route, "path", None) for route in health.routes}
    env = dict(re.findall(r"(FRONTDESK_\w+)=(\S+)", text))
    assert set(env) <= SETTINGS and env["FRONTDESK_PORT"] == "8000"


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_each_systemd_unit_starts_a_real_command(unit: Path) -> None:
    lines = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1
    words = _frontdesk_words(lines[0].removeprefix("ExecStart="))
    assert _command(words).name in {"serve", "backup"}
    env = (DEPLOY / "systemd" / "frontdesk.env.example").read_text()
    assert set(re.findall(r"^#?(FRONTDESK_\w+)=", env, re.MULTILINE)) <= SETTINGS


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_systemd_accepts_each_unit(unit: Path, tmp_path: Path) -> None:
    """`systemd-analyze verify`: every directive known, the sandboxing options included.
    The unit names the install's executable; here the venv's stands in for it."""
    if shutil.which("systemd-analyze") is None:
        unavailable("systemd-analyze is not installed (Debian's systemd package)")
    installed = Path(sys.executable).parent / "frontdesk"
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/opt/frontdesk/venv/bin/frontdesk", str(installed)))
    timer = unit.with_suffix(".timer")
    if timer.exists():
        (tmp_path / timer.name).write_text(timer.read_text())
    checked = subprocess.run(
        ["systemd-analyze", "verify", *sorted(map(str, tmp_path.iterdir()))],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr


def test_haproxy_accepts_its_config_and_checks_health_on_healthz() -> None:
    config = DEPLOY / "haproxy.cfg"
    text = config.read_text()
    assert "http-check send meth GET uri /healthz" in text
    assert re.search(r"^\s+timeout tunnel \S+", text, re.MULTILINE)  # websockets
    app_port = _compose()["services"]["app"]["environment"]
    assert isinstance(app_port, dict)
    assert f"app:{app_port['FRONTDESK_PORT']}" in text
    assert f"app:{app_port['FRONTDESK_SMTP_PORT']}" in text
    if shutil.which("haproxy") is None:
        unavailable("haproxy is not installed (Debian's haproxy package; ./dev installs it)")
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_proxy_closes_idle_connections_before_serve_does() -> None:
    """HAProxy reuses idle connections to a process: were the process to close one first, a
    request sent as it closed would go unanswered (HAProxy drops the client's connection)."""
    text = (DEPLOY / "haproxy.cfg").read_text()
    defaults = text.split("\ndefaults", 1)[1].split("\nfrontend", 1)[0]
    (server_timeout,) = re.findall(r"^\s*timeout server (\d+)s$", defaults, re.M)
    options = uvicorn_options(Settings(), workers=1)
    assert options["timeout_keep_alive"] == KEEP_ALIVE_SECONDS > int(server_timeout)


def test_the_deploy_doc_names_every_setting_and_only_real_ones() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    named = set(re.findall(r"`(FRONTDESK_[A-Z0-9_]+)`", text))
    assert SETTINGS - named == set(), "settings missing from docs/deploy.md"
    assert named - SETTINGS == set(), "docs/deploy.md names settings that do not exist"
    for line in re.findall(r"^\s*(?:\$ )?frontdesk (.+)$", text, re.MULTILINE):
        _command(shlex.split(line.split("#", 1)[0]))
    # The repository stands alone: its links point into it.
    for target in re.findall(r"\]\(([^)#]+)", text):
        if not target.startswith("http"):
            assert (ROOT / "docs" / target).resolve().exists(), target
