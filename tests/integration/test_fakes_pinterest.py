"""The fake Pinterest v5 answers the documented shapes (publishing.md §4 + the OpenAPI file) over real HTTP.

Responses are checked against the spec's own response components, so the fake cannot drift into a
shape the real API never returns.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from tests.fakes.pinterest import FakePinterest, schema_errors, spec_available
from tests.fakes.s3 import FakeS3, make_jpeg

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1024
needs_spec = pytest.mark.skipif(
    not spec_available(), reason="tests/fakes/specs/pinterest-openapi-v5.yaml.gz absent"
)


def api(p: FakePinterest, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or p.access_token}"}
    return requests.request(method, f"{p.url}/v5/{path}", headers=headers, timeout=5, **kw)


def pin_body(board_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"board_id": board_id, "media_source": {"source_type": "image_url", "url": url}, **extra}


def test_oauth_code_and_refresh(fake_pinterest: FakePinterest) -> None:
    p = fake_pinterest
    basic = base64.b64encode(f"{p.client_id}:{p.client_secret}".encode()).decode()
    code = p.issue_code("http://127.0.0.1:8765/", scopes="boards:read,pins:write")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:8765/"}
    bad = requests.post(f"{p.url}/v5/oauth/token", data=form, auth=(p.client_id, "wrong"), timeout=5)
    assert bad.status_code == 401 and bad.json() == {"code": 2, "message": "Authentication failed."}
    got = requests.post(
        f"{p.url}/v5/oauth/token", data=form, headers={"Authorization": f"Basic {basic}"}, timeout=5
    )
    tok = got.json()
    assert (
        got.status_code == 200
        and tok["access_token"].startswith("pina.")
        and tok["refresh_token"].startswith("pinr.")
    )
    assert tok["response_type"] == "authorization_code" and tok["scope"] == "boards:read,pins:write"
    reused = requests.post(
        f"{p.url}/v5/oauth/token", data=form, auth=(p.client_id, p.client_secret), timeout=5
    )
    assert reused.status_code == 400 and reused.json()["code"] == 1
    refreshed = requests.post(
        f"{p.url}/v5/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]},
        auth=(p.client_id, p.client_secret),
        timeout=5,
    ).json()
    assert (
        refreshed["response_type"] == "refresh_token" and refreshed["refresh_token"] != tok["refresh_token"]
    )
    assert {"refresh_token_expires_in", "refresh_token_expires_at"} <= set(refreshed)
    assert api(p, "GET", "boards", token=refreshed["access_token"]).status_code == 200
    assert api(p, "GET", "user_account", token=refreshed["access_token"]).status_code == 401  # scope missing


def test_bad_or_expired_token_is_401(fake_pinterest: FakePinterest) -> None:
    p = fake_pinterest
    assert api(p, "GET", "boards", token="pina.nope").json() == {
        "code": 2,
        "message": "Authentication failed.",
    }
    p.expire_token(p.access_token)
    assert api(p, "GET", "boards").status_code == 401


@needs_spec
def test_board_pagination_and_creation(fake_pinterest: FakePinterest) -> None:
    p = fake_pinterest
    for i in range(30):
        p.add_board(f"Board {i}")
    first = api(p, "GET", "boards").json()
    assert len(first["items"]) == 25 and first["bookmark"]
    rest = api(p, "GET", "boards", params={"bookmark": first["bookmark"]}).json()
    assert len(rest["items"]) == 5 and rest["bookmark"] is None
    assert {b["id"] for b in first["items"]}.isdisjoint(b["id"] for b in rest["items"])
    assert api(p, "GET", "boards", params={"page_size": 251}).status_code == 400
    assert not schema_errors("Board", first["items"][0])

    missing = api(p, "POST", "boards", json={"description": "no name"})
    assert missing.status_code == 400 and "name" in missing.json()["message"] and missing.json()["code"] == 1
    created = api(p, "POST", "boards", json={"name": "Summer", "privacy": "SECRET"})
    assert created.status_code == 201 and created.json()["privacy"] == "SECRET"
    assert api(p, "POST", "boards", json={"name": "X", "privacy": "NOPE"}).status_code == 400


@needs_spec
def test_board_sections(fake_pinterest: FakePinterest) -> None:
    p = fake_pinterest
    board = p.add_board("Looks")
    made = api(p, "POST", f"boards/{board}/sections", json={"name": "Shirts"})
    assert made.status_code == 201 and made.json()["name"] == "Shirts"
    dup = api(p, "POST", f"boards/{board}/sections", json={"name": "Shirts"})
    assert dup.status_code == 409 and dup.json()["code"] == 409
    assert api(p, "POST", f"boards/{board}/sections", json={"name": ""}).status_code == 400
    listed = api(p, "GET", f"boards/{board}/sections").json()
    assert listed == {"items": [made.json()], "bookmark": None}
    assert api(p, "GET", "boards/999/sections").status_code == 404


@needs_spec
def test_pin_create_validation_and_shape(fake_pinterest: FakePinterest, fake_s3: FakeS3) -> None:
    p = fake_pinterest
    board = p.add_board("Pins")
    section = p.add_section(board, "Tops")
    url = fake_s3.put_jpeg("pin.jpg")
    cases: list[tuple[dict[str, Any], int, str]] = [
        (pin_body(board, url, title="t" * 101), 400, "title"),
        (pin_body(board, url, description="d" * 801), 400, "description"),
        (pin_body(board, url, alt_text="a" * 501), 400, "alt_text"),
        ({"board_id": board, "media_source": {"source_type": "image_url"}}, 400, "url"),
        ({"board_id": board, "media_source": {"source_type": "gif"}}, 400, "source_type"),
        (pin_body("123", url), 404, "Board"),
        (pin_body("abc", url), 400, "board_id"),
        (pin_body(board, f"{fake_s3.endpoint_url}/{fake_s3.bucket}/none.jpg"), 400, "fetch"),
    ]
    for body, status, word in cases:
        resp = api(p, "POST", "pins", json=body)
        assert resp.status_code == status, (body, resp.text)
        assert set(resp.json()) == {"code", "message"} and word in resp.json()["message"], resp.text
    assert not p.pins

    ok = api(
        p,
        "POST",
        "pins",
        json=pin_body(
            board,
            url,
            title="Linen",
            description="Shop it",
            alt_text="Shirt",
            link="https://shop.example/p?utm_source=pinterest",
            board_section_id=section,
        ),
    )
    assert ok.status_code == 201, ok.text
    pin = ok.json()
    assert not schema_errors("Pin", pin)
    assert pin["board_section_id"] == section and pin["media"]["media_type"] == "image"
    assert api(p, "GET", f"pins/{pin['id']}").json()["title"] == "Linen"
    assert [x["id"] for x in p.published] == [pin["id"]]


@needs_spec
def test_carousel_and_base64_pins(fake_pinterest: FakePinterest, fake_s3: FakeS3) -> None:
    p = fake_pinterest
    board = p.add_board("Carousels")
    urls = [fake_s3.put_jpeg(f"c{i}.jpg") for i in range(3)]
    one = {"source_type": "multiple_image_urls", "items": [{"url": urls[0]}]}
    assert api(p, "POST", "pins", json={"board_id": board, "media_source": one}).status_code == 400
    many = {
        "source_type": "multiple_image_urls",
        "items": [{"url": u, "title": "T"} for u in urls],
        "index": 0,
    }
    made = api(p, "POST", "pins", json={"board_id": board, "media_source": many})
    assert made.status_code == 201 and made.json()["creative_type"] == "CAROUSEL"
    data = base64.b64encode(make_jpeg((200, 200))).decode()
    b64 = {"source_type": "image_base64", "content_type": "image/jpeg", "data": data}
    assert api(p, "POST", "pins", json={"board_id": board, "media_source": b64}).status_code == 201


@needs_spec
def test_video_upload_status_flow(fake_pinterest: FakePinterest, fake_s3: FakeS3) -> None:
    p = fake_pinterest
    board = p.add_board("Videos")
    reg = api(p, "POST", "media", json={"media_type": "video"})
    assert reg.status_code == 201 and not schema_errors("MediaUpload", reg.json())
    media = reg.json()
    status = lambda: api(p, "GET", f"media/{media['media_id']}").json()["status"]  # noqa: E731
    assert status() == "registered"
    form = dict(media["upload_parameters"])
    up = requests.post(media["upload_url"], data=form, files={"file": ("v.mp4", MP4, "video/mp4")}, timeout=5)
    assert up.status_code == 204
    seen = [status() for _ in range(p.media_polls + 1)]
    assert seen == ["processing"] * p.media_polls + ["succeeded"]

    source: dict[str, Any] = {"source_type": "video_id", "media_id": media["media_id"]}
    no_cover = api(p, "POST", "pins", json={"board_id": board, "media_source": source})
    assert no_cover.status_code == 400 and "cover_image_url" in no_cover.json()["message"]
    source["cover_image_url"] = fake_s3.put_jpeg("cover.jpg")
    pin = api(p, "POST", "pins", json={"board_id": board, "media_source": source, "title": "Clip"})
    assert pin.status_code == 201 and pin.json()["media"]["media_type"] == "video"

    bad = api(p, "POST", "media", json={"media_type": "video"}).json()
    requests.post(
        bad["upload_url"], data=bad["upload_parameters"], files={"file": ("x.mp4", b"junk")}, timeout=5
    )
    for _ in range(p.media_polls + 1):
        last = api(p, "GET", f"media/{bad['media_id']}").json()["status"]
    assert last == "failed"
    unsigned = requests.post(
        media["upload_url"], data={"key": "nope"}, files={"file": ("v.mp4", MP4)}, timeout=5
    )
    assert unsigned.status_code == 403


def test_trial_app_needs_the_sandbox(fake_s3: FakeS3, fake_pinterest_sandbox: FakePinterest) -> None:
    url = fake_s3.put_jpeg("s.jpg")
    with FakePinterest(trial=True) as prod:
        board = prod.add_board("B")
        denied = api(prod, "POST", "pins", json=pin_body(board, url))
        assert (
            denied.status_code == 403
            and denied.json()["code"] == 29
            and "api-sandbox" in denied.json()["message"]
        )
    sandbox = fake_pinterest_sandbox
    board = sandbox.add_board("B")
    assert api(sandbox, "POST", "pins", json=pin_body(board, url)).status_code == 201
    assert sandbox.pins[0]["sandbox"] is True


def test_rate_limit_headers_and_injected_429(fake_pinterest: FakePinterest) -> None:
    p = fake_pinterest
    resp = api(p, "GET", "boards")
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-pinterest-rid"} <= set(
        k.lower() for k in resp.headers
    )
    p.fail_next(1, status=429, headers={"Retry-After": "2"}, path="/v5/boards")
    limited = api(p, "GET", "boards")
    assert (
        limited.status_code == 429 and limited.json()["code"] == 8 and limited.headers["Retry-After"] == "2"
    )
    assert int(resp.headers["x-ratelimit-remaining"]) < int(resp.headers["x-ratelimit-limit"])
    p.rate_limit = 3  # one call counted so far in this 60 s window (the injected 429 never reached it)
    codes = [api(p, "GET", "boards").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert api(p, "GET", "boards").json() == {
        "code": 8,
        "message": "Rate limit exceeded. Please try again later.",
    }


@needs_spec
def test_lost_pin_answer_is_visible_in_listings(fake_pinterest: FakePinterest, fake_s3: FakeS3) -> None:
    p = fake_pinterest
    board = p.add_board("B")
    p.drop_next(1, after_processing=True, path="^/v5/pins$")
    with pytest.raises(requests.ConnectionError):
        api(p, "POST", "pins", json=pin_body(board, fake_s3.put_jpeg("x.jpg"), title="Lost answer"))
    listed = api(p, "GET", "pins").json()
    assert [x["title"] for x in listed["items"]] == ["Lost answer"] and listed["bookmark"] is None
    assert [x["title"] for x in api(p, "GET", f"boards/{board}/pins").json()["items"]] == ["Lost answer"]
