from __future__ import annotations

import pytest

from frontdesk.core.shared.html import (
    bodies,
    html_to_text,
    looks_like_html,
    sanitise,
    text_to_html,
)


@pytest.mark.parametrize(
    "dirty",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{display:none}</style>",
    ],
)
def test_sanitise_removes_active_content(dirty: str) -> None:
    clean = sanitise(dirty).lower()
    for needle in ("<script", "onerror", "javascript:", "<iframe", "<style"):
        assert needle not in clean


def test_sanitise_keeps_formatting_and_marks_links() -> None:
    clean = sanitise('<p><b>Bold</b> <a href="https://example.org">link</a></p>')
    assert "<b>Bold</b>" in clean
    assert 'href="https://example.org"' in clean
    # all three words: nh3's default rel ("noopener noreferrer") would let search engines
    # follow links that customers wrote
    assert 'rel="noopener noreferrer nofollow"' in clean


def test_text_to_html_escapes_and_keeps_paragraphs() -> None:
    assert text_to_html("a < b\nc\n\nnext") == "<p>a &lt; b<br>c</p><p>next</p>"


def test_html_to_text_drops_scripts_and_keeps_blocks() -> None:
    text = html_to_text("<p>Hello&nbsp;<b>you</b></p><script>x()</script><div>Bye</div>")
    assert text == "Hello\xa0you\n\nBye" or text == "Hello you\n\nBye"


def test_html_to_text_breaks_lines_at_blocks_only_and_collapses_blank_runs() -> None:
    text = html_to_text("<p> Hello \t <b>you</b>  there </p><br><br><br><br><div>Bye</div>")
    assert text == "Hello you there\n\nBye"
    assert html_to_text("<p> a </p><p> b </p>") == "a\n\nb"


def test_html_to_text_skips_nested_skipped_elements_to_their_end() -> None:
    # <title> inside <head>: what follows </title> is still the head, so still hidden
    page = "<head><title>T</title>hidden<style>s{}</style>also hidden</head><p>shown</p>"
    assert html_to_text(page) == "shown"
    # a stray end tag never makes the count negative (which would hide the rest)
    assert html_to_text("</title><p>still shown</p>") == "still shown"


def test_bodies_prefers_given_text_and_sanitises_html() -> None:
    assert bodies("plain", "<p onclick='x'>rich</p>") == ("plain", "<p>rich</p>")
    assert bodies(None, "<p>only html</p>") == ("only html", "<p>only html</p>")
    assert bodies("just text", None) == ("just text", "<p>just text</p>")
    assert bodies(None, None) == ("", "")
    assert bodies("", None) == ("", "")


@pytest.mark.parametrize(
    "text",
    [
        "<p>closed</p>",
        "line<br>break",
        "<P>Upper case</P>",
        "<!-- only a comment --> and text",
        "<!DOCTYPE html><title>t",
        '<img src="cid:1">',
    ],
)
def test_markup_with_a_closing_tag_void_element_comment_or_doctype_is_html(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "Order ref <Order 123> is missing",
        "a <b and c> d",
        "write to <john@example.org>",
        "<b>bold but never closed",
        "<p>an element</p> beside <Order 5>",
        "no tags at all",
    ],
)
def test_text_with_angle_brackets_or_unclosed_tags_is_not_html(text: str) -> None:
    assert not looks_like_html(text)
