"""Strict mode: which environments turn a missing service from a skip into a failure."""

from __future__ import annotations

import pytest

from tests.conftest import STRICT_VARIABLES, strict, unavailable


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in STRICT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "yes", "YES", " true "])
@pytest.mark.parametrize("name", ["CI", "FRONTDESK_TEST_STRICT"])
def test_any_truthy_value_of_either_variable_is_strict(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(name, value)
    assert strict() is True


@pytest.mark.parametrize("value", ["", "0", "false", "False", "no", "off"])
def test_falsy_or_missing_values_are_not_strict(clean_env: pytest.MonkeyPatch, value: str) -> None:
    assert strict() is False
    clean_env.setenv("CI", value)
    clean_env.setenv("FRONTDESK_TEST_STRICT", value)
    assert strict() is False


def test_unavailable_fails_when_strict_and_skips_otherwise(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(pytest.skip.Exception, match="no redis here"):
        unavailable("no redis here")
    clean_env.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="no redis here"):
        unavailable("no redis here")
