"""bench/route_profile.py's buckets: auth when it is anywhere on the stack (a key
lookup's statements are what auth costs), else the innermost frame that has a bucket."""

from __future__ import annotations

from bench.route_profile import bucket, shares

SITE = "/venv/lib/python3.11/site-packages"
SRC = "/repo/src"


def frames(*files: str) -> str:
    return ";".join(f"f{n} ({path}:1)" for n, path in enumerate(files))


def test_each_stack_goes_to_its_first_matching_bucket() -> None:
    loop = f"{SITE}/uvicorn/protocols/http/httptools_impl.py"
    auth = f"{SRC}/frontdesk/http/auth.py"
    sql = f"{SITE}/sqlalchemy/engine/base.py"
    assert bucket(frames(loop, auth, sql)) == "auth"
    assert bucket(frames(loop, f"{SRC}/frontdesk/api/native/tickets.py", sql)) == "SQL"
    assert bucket(frames(loop, f"{SITE}/pydantic/main.py")) == "rendering"
    assert bucket(frames(loop, f"{SRC}/frontdesk/core/tickets/_messages.py")) == "app code"
    assert bucket(frames(loop, f"{SRC}/frontdesk/http/limits.py")) == "our middleware"
    assert bucket(frames(loop, f"{SITE}/starlette/routing.py")) == "framework"
    # Below our middleware, the innermost frame decides: uvicorn writing the answer.
    ours = f"{SRC}/frontdesk/http/limits.py"
    assert bucket(frames(ours, loop)) == "framework"
    assert bucket(
        frames(ours, f"{SITE}/pydantic/main.py", "/usr/lib/python3.11/contextlib.py")
    ) == ("rendering")


def test_shares_add_up_over_the_samples() -> None:
    raw = "\n".join(
        [
            frames(f"{SITE}/sqlalchemy/engine/base.py") + " 30",
            frames(f"{SITE}/starlette/routing.py") + " 10",
            "",  # py-spy ends with a newline
        ]
    )
    found = shares(raw)
    assert found["SQL"] == 0.75 and found["framework"] == 0.25 and found["auth"] == 0
    assert found["samples"] == 40
