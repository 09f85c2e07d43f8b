"""CLI fixtures: the environment the commands run in, and a runner for their JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontdesk.cli import main


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FRONTDESK_DATA_DIR": str(tmp_path / "data"), "FRONTDESK_DATABASE_URL": database_url}


def run_json(env: dict[str, str], *args: str) -> dict[str, object]:
    """`frontdesk --json ARGS`, which must succeed; what it printed on stdout, parsed."""
    result = CliRunner().invoke(main, ["--json", *args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]
