"""No token anywhere: after connecting (OAuth against the fakes' token endpoints, a scripted browser)
and publishing through the CLI — including a failure with an expired token — no token string appears
in the workspace folder, the app data folder (except the encrypted secrets file), the logs, the CLI
output or any exception text.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image

from studio import cli
from studio.core.workspace import Workspace
from studio.publish.outbox import Outbox
from studio.publish.redact import install_redaction
from studio.publish.secrets import SECRETS_FILE_NAME


def scripted_browser(issue: Any) -> Any:
    """Plays the user: reads redirect_uri/state from the consent URL and follows the redirect."""

    def open_url(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        redirect, state = query["redirect_uri"][0], query["state"][0]
        requests.get(redirect, params={"code": issue(redirect), "state": state}, timeout=5)
        return True

    return open_url


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out + out.err


def reg_names(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    code, text = run_cli(["accounts", "list", "--json"], capsys)
    assert code == 0, text
    return list(json.loads(text))


def test_no_token_leaks_after_connect_and_publish(
    fake_platforms: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fp = fake_platforms
    g, pin = fp.graph, fp.pinterest
    app_dir = Path(__import__("os").environ["STUDIO_DATA_DIR"])
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # → encrypted file
    monkeypatch.setenv("STUDIO_SECRETS_PASSPHRASE", "a passphrase for the test")
    monkeypatch.setenv("STUDIO_MEDIA_BUCKET", fp.s3.bucket)
    install_redaction()
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    # connect Meta (Page + linked IG) and Pinterest; app id/secret asked once
    answers = iter([g.app_id, pin.client_id])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    secrets = iter([g.app_secret, pin.client_secret])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(secrets))
    monkeypatch.setattr("webbrowser.open", scripted_browser(g.issue_code))
    code, text = run_cli(["accounts", "connect", "facebook", "--json"], capsys)
    assert code == 0, text
    texts.append(text)
    assert {a["platform"] for a in json.loads(text[: text.rindex("]") + 1])} == {"facebook", "instagram"}
    monkeypatch.setattr("webbrowser.open", scripted_browser(lambda uri: pin.issue_code(uri)))
    code, text = run_cli(["accounts", "connect", "pinterest"], capsys)
    assert code == 0, text
    texts.append(text)
    code, text = run_cli(["accounts", "list", "--json"], capsys)
    texts.append(text)
    assert len(json.loads(text)) == 3

    # a workspace with one photo, a post through the CLI, publish to all three
    ws_dir = tmp_path / "ws"
    with Workspace.create(ws_dir, name="Secrets") as ws:
        Image.new("RGB", (400, 500), (90, 140, 200)).save(ws_dir / "photo.jpg", quality=80)
        from studio.jobs.add_media import add_media

        add_media([ws_dir / "photo.jpg"], ws.project, ws.root)
        ws.save()
    code, text = run_cli(["post", "create", "photo.jpg", "--caption", "Hello", "-w", str(ws_dir)], capsys)
    assert code == 0, text
    post_id = text.strip().splitlines()[-1]
    texts.append(text)
    code, text = run_cli(
        ["publish", post_id, "--to", "instagram,facebook,pinterest", "--dry-run", "-w", str(ws_dir)], capsys
    )
    texts.append(text)
    assert code == 0 and "***" in text, text
    code, text = run_cli(
        ["publish", post_id, "--to", "instagram,facebook,pinterest", "-w", str(ws_dir)], capsys
    )
    texts.append(text)
    assert code == 0, text
    assert len(g.published_on("instagram")) == 1 and len(g.published_on("facebook")) == 1
    assert len(pin.pins) == 1

    # a failure with an expired token: the message says "Reconnect", and carries no token
    code, text = run_cli(["post", "create", "photo.jpg", "--caption", "Again", "-w", str(ws_dir)], capsys)
    second = text.strip().splitlines()[-1]
    for token in list(g.tokens):
        g.expire_token(token)
    code, text = run_cli(["publish", second, "--to", "facebook", "--json", "-w", str(ws_dir)], capsys)
    texts.append(text)
    assert "Reconnect" in text
    code, text = run_cli(["outbox", "list", "--json", "-w", str(ws_dir)], capsys)
    texts.append(text)
    with Outbox.open(ws_dir) as outbox:
        texts += [str(j.last_error) for j in outbox.jobs()]
        [waiting] = [j.id for j in outbox.jobs(["failed"])]
    code, text = run_cli(["outbox", "retry", waiting, "-w", str(ws_dir)], capsys)
    assert code == 0 and "queued" in text, text
    code, text = run_cli(["outbox", "cancel", waiting, "--json", "-w", str(ws_dir)], capsys)
    assert code == 0 and json.loads(text)["state"] == "cancelled", text
    code, text = run_cli(["outbox", "retry", "job_nope", "-w", str(ws_dir)], capsys)
    assert code == 2, text
    pin_name = next(a for a in reg_names(capsys) if a["platform"] == "pinterest")["name"]
    code, text = run_cli(["accounts", "disconnect", pin_name], capsys)
    assert code == 0 and len(reg_names(capsys)) == 2, text

    tokens = [t for t in [*g.tokens, *pin.tokens, *pin.refresh_tokens, g.app_secret, pin.client_secret] if t]
    assert len(tokens) >= 5
    texts.append(caplog.text)
    files = [p for folder in (ws_dir, app_dir) for p in folder.rglob("*") if p.is_file()]
    files = [p for p in files if p.name != SECRETS_FILE_NAME]
    assert any(p.name == "outbox.sqlite" for p in files) and any(p.name == "accounts.json" for p in files)
    for path in files:
        blob = path.read_bytes()
        for token in tokens:
            assert token.encode() not in blob, f"a token leaked into {path}"
    for text in texts:
        for token in tokens:
            assert token not in text, f"a token leaked into output: {text[:200]}"
