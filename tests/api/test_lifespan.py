"""The application's lifespan: uvicorn runs its start-up and shut-down (`frontdesk serve`
leaves lifespan on "auto", where an error at start-up silently switches the shut-down
cleanup off). Every middleware must let the lifespan scope, which has no headers, pass."""

from __future__ import annotations

from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.services import build_services
from frontdesk.settings import Settings


def test_start_up_and_shut_down_run_and_close_the_live_hub(settings: Settings) -> None:
    services = build_services(settings)
    app = create_app(services=services)
    hub = app.state.live_hub
    heard: list[dict[str, object]] = []
    hub.on_notice = heard.append  # what the fan-out reaches from now on, until closed
    services.fanout.listen(hub.on_notice)
    with TestClient(app) as client:  # runs the lifespan's start-up, then its shut-down
        assert client.get("/healthz").status_code == 200
        services.fanout.publish({"kind": "resync"})
        assert heard == [{"kind": "resync"}]
    services.fanout.publish({"kind": "resync"})
    assert heard == [{"kind": "resync"}], "the shut-down did not close the live hub"
