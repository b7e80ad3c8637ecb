"""`studio accounts media-host set|show|test` over the fake S3, in a real subprocess, and the public
probe reads the outbox uses (`recent_media`, `recent_posts`, `board_pins`) over the fakes.

The CLI runs with the encrypted-file secret store (`STUDIO_SECRETS_PASSPHRASE`, keyring disabled) and
without any AWS key in its environment, so the test proves the keys come from the store; the secret
must never show up in stdout/stderr or the settings file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from studio.publish import pinterest as pinterest_module
from studio.publish.facebook import FacebookPageClient
from studio.publish.http import make_session
from studio.publish.instagram import InstagramClient
from studio.publish.pinterest import PinterestClient, encode_image
from tests.fakes.graph import Published
from tests.fakes.s3 import make_jpeg

ROOT = Path(__file__).resolve().parents[2]
SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY"
ACCESS = "AKIASTUDIOTEST0042"


def studio(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess (stdin is a pipe, so the secret is read from STDIN)."""
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


@pytest.fixture
def cli_env(fake_s3: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "STUDIO_MEDIA_BUCKET"}
    env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # → the encrypted-file store
        STUDIO_SECRETS_PASSPHRASE="a passphrase for the media host test",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def set_args(fake_s3: Any, bucket: str | None = None) -> list[str]:
    return [
        "accounts",
        "media-host",
        "set",
        "--endpoint",
        fake_s3.endpoint_url,
        "--bucket",
        bucket or fake_s3.bucket,
        "--region",
        "us-east-1",
        "--prefix",
        "studio-tmp",
        "--access-key-id",
        ACCESS,
        "--json",
    ]


def test_set_show_test_round_trip_without_leaking_the_secret(fake_s3: Any, cli_env: dict[str, str]) -> None:
    data_dir = Path(cli_env["STUDIO_DATA_DIR"])
    outputs: list[str] = []

    done = studio(set_args(fake_s3), stdin=SECRET + "\n", env=cli_env)
    outputs += [done.stdout, done.stderr]
    assert done.returncode == 0, done.stderr
    saved = json.loads(done.stdout)
    assert saved["bucket"] == fake_s3.bucket and saved["prefix"] == "studio-tmp/"
    assert saved["credentials_saved"] is True and saved["access_key_id"] == "…0042"
    settings = data_dir / "media_host.json"
    assert json.loads(settings.read_text()) == {
        "endpoint_url": fake_s3.endpoint_url,
        "bucket": fake_s3.bucket,
        "region": "us-east-1",
        "prefix": "studio-tmp/",
    }

    shown = studio(["accounts", "media-host", "show", "--json"], env=cli_env)
    outputs += [shown.stdout, shown.stderr]
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["credentials_saved"] is True
    plain = studio(["accounts", "media-host", "show"], env=cli_env)
    outputs += [plain.stdout, plain.stderr]
    assert fake_s3.bucket in plain.stdout and "saved" in plain.stdout

    tested = studio(["accounts", "media-host", "test", "--json"], env=cli_env)
    outputs += [tested.stdout, tested.stderr]
    assert tested.returncode == 0, tested.stderr
    result = json.loads(tested.stdout)
    assert result["uploaded"] and result["fetched"] and result["deleted"] and result["private_endpoint"]
    assert "Instagram cannot fetch" in tested.stderr  # a 127.0.0.1 endpoint works here, not for Meta
    assert fake_s3.keys() == []  # the test image was deleted

    # the secret is nowhere in plain text: not in any output, nor in any file of the app data
    # folder other than the encrypted secrets file (whose bytes must not contain it either)
    for text in outputs:
        assert SECRET not in text
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_keys_come_from_the_store_and_a_wrong_bucket_is_named(fake_s3: Any, cli_env: dict[str, str]) -> None:
    assert studio(set_args(fake_s3), stdin=SECRET + "\n", env=cli_env).returncode == 0
    # changing the bucket without a key id keeps the saved keys (no prompt needed)
    moved = studio(
        ["accounts", "media-host", "set", "--endpoint", fake_s3.endpoint_url, "--bucket", "no-such-bucket-9"],
        env=cli_env,
    )
    assert moved.returncode == 0, moved.stderr
    failed = studio(["accounts", "media-host", "test"], env=cli_env)
    assert failed.returncode != 0
    assert "no-such-bucket-9" in failed.stderr and "NoSuchBucket" in failed.stderr
    assert SECRET not in failed.stdout + failed.stderr


def test_bad_settings_and_a_missing_secret_are_refused(fake_s3: Any, cli_env: dict[str, str]) -> None:
    bad = studio(
        ["accounts", "media-host", "set", "--endpoint", "ftp://x", "--bucket", "Bad_Bucket"], env=cli_env
    )
    assert bad.returncode == 2
    assert "ftp://x" in bad.stderr and "Bad_Bucket" in bad.stderr
    empty = studio(set_args(fake_s3), stdin="\n", env=cli_env)
    assert empty.returncode == 2 and "secret access key" in empty.stderr
    assert not (Path(cli_env["STUDIO_DATA_DIR"]) / "media_host.json").exists()
    nothing = studio(["accounts", "media-host", "show"], env=cli_env)
    assert nothing.returncode == 2 and "media-host set" in nothing.stderr


def test_secret_is_not_accepted_on_the_command_line(cli_env: dict[str, str]) -> None:
    done = studio(
        ["accounts", "media-host", "set", "--bucket", "b-1", "--secret-access-key", SECRET], env=cli_env
    )
    assert done.returncode == 2 and SECRET not in done.stdout


# --- public probe reads -------------------------------------------------------------------------------


@pytest.fixture
def graph_env(fake_graph: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("STUDIO_GRAPH_BASE_URL", fake_graph.url)
    monkeypatch.setenv("STUDIO_RUPLOAD_BASE_URL", fake_graph.url)
    return fake_graph


def test_recent_media_follows_paging_newest_first(graph_env: Any) -> None:
    g = graph_env
    for n in range(130):
        g.published.append(
            Published(
                "instagram", "IMAGE", f"9{n:04d}", g.ig_user_id, caption=f"post {n}", permalink=f"p/{n}"
            )
        )
    ig = InstagramClient(make_session("instagram"), g.ig_user_id, g.user_token)
    rows = ig.recent_media(limit=120)
    assert [r["caption"] for r in rows] == [f"post {n}" for n in range(129, 9, -1)]
    assert {"id", "caption", "timestamp", "permalink"} <= set(rows[0])
    assert len(g.requests_to("GET", r"/media$")) == 2  # 100 + 20, not a page more
    assert len(ig.recent_media(limit=1000)) == 130


def test_recent_posts_feed_or_scheduled(graph_env: Any) -> None:
    g = graph_env
    g.published.append(Published("facebook", "feed", "71", g.page_id, caption="live"))
    g.published.append(
        Published("facebook", "feed", "72", g.page_id, caption="later", scheduled_publish_time=2_000_000_000)
    )
    fb = FacebookPageClient(make_session("facebook"), g.page_id, g.page_token)
    assert [r["message"] for r in fb.recent_posts()] == ["later", "live"]
    [scheduled] = fb.recent_posts(scheduled=True)
    assert scheduled["id"] == "72" and scheduled["scheduled_publish_time"] == 2_000_000_000


def test_board_pins_follow_bookmarks(
    fake_pinterest: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STUDIO_PINTEREST_BASE_URL", fake_pinterest.url)
    monkeypatch.setattr(pinterest_module, "PAGE_SIZE", 2)  # force several pages
    client = PinterestClient(make_session("pinterest"), fake_pinterest.access_token)
    board = fake_pinterest.add_board("Looks")
    image = tmp_path / "a.jpg"
    image.write_bytes(make_jpeg((100, 100)))
    ctype, data = encode_image(image)
    for n in range(5):
        client.create_image_pin(
            board, image_base64=data, content_type=ctype, description=f"d{n}", link=f"https://s.example/{n}"
        )
    pins = client.board_pins(board)
    assert [p.raw["description"] for p in pins] == ["d4", "d3", "d2", "d1", "d0"]
    assert pins[0].link == "https://s.example/4"
    assert [p.raw["description"] for p in client.board_pins(board, limit=3)] == ["d4", "d3", "d2"]


def test_graph_fake_honours_nested_fields(graph_env: Any) -> None:
    g = graph_env
    session = make_session("facebook")
    doc = session.get_json(
        "me/accounts",
        params={"fields": "id,name,instagram_business_account{id,username}"},
        token=g.user_token,
        idempotent=True,
    )
    [page] = doc["data"]
    assert page["instagram_business_account"] == {"id": g.ig_user_id, "username": g.ig_username}
    assert "access_token" not in page
    plain = session.get_json(
        "me/accounts", params={"fields": "instagram_business_account"}, token=g.user_token, idempotent=True
    )
    assert plain["data"][0]["instagram_business_account"] == {"id": g.ig_user_id}
