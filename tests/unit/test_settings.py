from __future__ import annotations

import stat
from pathlib import Path

import pytest

from frontdesk.settings import Settings


def test_defaults_fill_from_the_data_directory(tmp_path: Path) -> None:
    resolved = Settings(data_dir=tmp_path / "data").resolved()
    assert resolved.database_url == f"sqlite:///{tmp_path / 'data' / 'frontdesk.db'}"
    assert resolved.public_base_url == "http://127.0.0.1:8000"
    secret_file = tmp_path / "data" / "secret_key"
    assert resolved.secret_key == secret_file.read_text()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert Settings(data_dir=tmp_path / "data").resolved().secret_key == resolved.secret_key


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FRONTDESK_PORT", "9123")
    monkeypatch.setenv("FRONTDESK_PUBLIC_BASE_URL", "https://help.example.com/")
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    settings = Settings().resolved()
    assert settings.port == 9123
    assert settings.public_base_url == "https://help.example.com"


def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_PORT", "70000")
    with pytest.raises(ValueError, match="port"):
        Settings()
