"""The customer's side of a satisfaction survey: the links in the survey mail.

No sign-in: the signed link is the customer's key (services/csat.py), checked in constant
time before anything is read; a forged or altered one is a 404 page. Following a rating
link rates (one click, as the mail promises); the page then offers the other ratings and
a comment. The comment form carries a CSRF token bound to the visitor cookie, as the
sign-in forms do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from frontdesk.core.automation import csat
from frontdesk.core.automation.records import Survey
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.http.deps import services_from
from frontdesk.services.csat import links_of
from frontdesk.web import session
from frontdesk.web.security import web_router
from frontdesk.web.templating import render

router = web_router()
PREFIX = "/csat/"
Comment = Annotated[str, Form(max_length=csat.MAX_COMMENT * 4)]


def _checked(request: Request, survey_id: int, mac: str) -> None:
    if not links_of(services_from(request).settings).valid(survey_id, mac):
        raise NotFound("survey_not_found", "This survey link is not valid")


def _page(
    request: Request, survey: Survey, mac: str, *, status_code: int = 200, **extra: object
) -> Response:
    key = request.cookies.get(session.ANON_COOKIE) or session.new_anon_key()
    request.state.csrf_token = session.anon_token(request, key)
    context = {
        "survey": survey,
        "base": f"{PREFIX}{survey.id}/{mac}",
        "ratings": csat.RATINGS,
        "open": csat.changeable(survey, now_ms()),
        **extra,
    }
    response = render(request, "csat/survey.html", context, status_code=status_code)
    session.set_anon_cookie(response, request, key, path=f"{PREFIX}{survey.id}/")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL is the customer's key
    return response


@router.get("/csat/{survey_id}/{mac}", response_class=HTMLResponse)
def survey_page(request: Request, survey_id: int, mac: str) -> Response:
    _checked(request, survey_id, mac)
    with services_from(request).store.read() as uow:
        survey = csat.find_survey(uow, survey_id)
    return _page(request, survey, mac)


@router.get("/csat/{survey_id}/{mac}/{rating}", response_class=HTMLResponse)
def rate(request: Request, survey_id: int, mac: str, rating: str) -> Response:
    _checked(request, survey_id, mac)
    services = services_from(request)
    try:
        with services.store.write() as uow:
            survey = csat.rate(uow, survey_id, rating, now_ms())
    except Conflict:  # past the 7 days: the rating stands, the page says so
        with services.store.read() as uow:
            survey = csat.find_survey(uow, survey_id)
        return _page(request, survey, mac, status_code=409)
    return _page(request, survey, mac, thanked=True)


@router.post("/csat/{survey_id}/{mac}/comment", response_class=HTMLResponse)
async def add_comment(
    request: Request,
    survey_id: int,
    mac: str,
    comment: Comment,
    _anon: Annotated[str, Depends(session.anonymous_form)],
) -> Response:
    _checked(request, survey_id, mac)
    services = services_from(request)

    def save() -> tuple[Survey, str | None]:
        try:
            with services.store.write() as uow:
                return csat.comment(uow, survey_id, comment, now_ms()), None
        except (Invalid, Conflict) as refused:
            with services.store.read() as uow:
                return csat.find_survey(uow, survey_id), refused.code

    survey, refused = await run_in_threadpool(save)
    if refused is not None:
        return _page(request, survey, mac, status_code=422, refused=refused, draft=comment)
    return _page(request, survey, mac, commented=True)
