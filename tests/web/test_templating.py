"""The Jinja environment, the htmx fragment convention and the component macros."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jinja2 import UndefinedError

from frontdesk.web import i18n
from frontdesk.web.avatars import TONES, avatar_tone, initials
from frontdesk.web.templating import Templates, render_block

TEMPLATES = Templates()


def html(source: str, **values: object) -> str:
    with i18n.activate(i18n.localisation()):
        return TEMPLATES.env.from_string(source).render(values)


def test_htmx_gets_only_the_named_fragment(web: TestClient) -> None:
    answer = web.get("/_gallery", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<ul class="rows" id="gallery-rows"')
    assert "<html" not in answer.text and "<nav" not in answer.text
    assert answer.text.count('<li class="row') == 4
    assert answer.headers["vary"] == "Accept-Language, HX-Request"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ],
    ids=["plain", "boosted", "history-restore"],
)
def test_everyone_else_gets_the_whole_page(web: TestClient, headers: dict[str, str]) -> None:
    answer = web.get("/_gallery", headers=headers)
    assert answer.text.startswith("<!doctype html>")
    assert 'id="gallery-rows"' in answer.text


def test_a_missing_block_is_an_error_not_an_empty_answer() -> None:
    template = TEMPLATES.env.get_template("landing.html")
    with pytest.raises(KeyError, match="no block 'rows'"):
        render_block(template, "rows", {})


def test_unknown_variables_fail_and_values_are_escaped() -> None:
    with pytest.raises(UndefinedError):
        html("{{ nothing_here }}")
    assert html("{{ ui.button(label=x) }}", x="<b>bold</b>").count("&lt;b&gt;") == 1


def test_a_field_ties_its_help_and_error_to_the_control() -> None:
    out = html('{{ ui.field("email", label="E-mail", help="We reply here", error="Not valid") }}')
    assert '<label class="field__label" for="field-email">E-mail</label>' in out
    assert 'aria-describedby="field-email-error field-email-help"' in out
    assert 'aria-invalid="true"' in out
    assert 'id="field-email-error"' in out and 'id="field-email-help"' in out
    plain = html('{{ ui.field("name", label="Name", required=true) }}')
    assert "aria-describedby" not in plain and "aria-invalid" not in plain
    assert 'required="required"' in plain


def test_a_select_marks_the_chosen_option() -> None:
    out = html(
        '{{ ui.select_field("s", label="Status", options=[("a", "A"), ("b", "B")], selected="b") }}'
    )
    assert '<option value="b" selected>B</option>' in out
    assert '<option value="a">A</option>' in out


def test_status_pills_speak_the_core_vocabulary() -> None:
    assert ">Customer replied</span>" in html('{{ ui.status_pill("reply") }}')
    assert "pill--neutral" in html('{{ ui.status_pill("something-new") }}')
    with i18n.activate(i18n.localisation("sv")):
        swedish = TEMPLATES.env.from_string('{{ ui.status_pill("solved") }}').render()
    assert ">Löst</span>" in swedish


def test_rows_avatars_pagination_and_empty_states() -> None:
    row = html(
        '{% call ui.list_row(href="/t/1", title="Hi", person="Ada Lovelace", unread=true) %}'
        "META{% endcall %}"
    )
    assert 'href="/t/1"' in row and "Unread:" in row and '<div class="row__meta">META' in row
    assert 'aria-hidden="true">AL</span>' in row  # the name is written beside it
    assert 'role="img" aria-label="Grace Hopper">GH' in html('{{ ui.avatar("Grace Hopper") }}')
    pager = html('{{ ui.pagination(next_url="/p/2") }}')
    assert 'aria-disabled="true">Previous' in pager and 'href="/p/2" rel="next"' in pager
    assert "empty__actions" not in html('{{ ui.empty_state(title="Nothing") }}')


def test_initials_and_avatar_tones() -> None:
    assert initials("Ada Lovelace") == "AL"
    assert initials("Ada King Lovelace") == "AL"
    assert initials("ada.lovelace@example.org") == "AL"
    assert initials("åsa öberg") == "ÅÖ"
    assert initials("  ") == "?"
    assert avatar_tone("Ada") == avatar_tone(" ada ") and 0 <= avatar_tone("Ada") < TONES


def test_two_components_with_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "_components").mkdir()
    (tmp_path / "_components" / "mine.html").write_text("{% macro button() %}{% endmacro %}")
    with pytest.raises(ValueError, match="'button' defined twice"):
        Templates(extra_dirs=[tmp_path])
