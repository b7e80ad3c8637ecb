"""Instagram API with Instagram Login (publishing.md §1.0) end to end against the fake Graph.

No Facebook Page: the account signs in on instagram.com, the code is exchanged on api.instagram.com
(form POST), the short-lived token becomes a 60-day one on graph.instagram.com, and publishing uses
graph.instagram.com with the same container steps — but never product tags (the fallback carries
the products, and says why). A token near expiry is refreshed with ig_refresh_token.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from studio import cli
from studio.core.workspace import Workspace
from studio.jobs.publish import (
    default_clients_factory,
    dry_run,
    enqueue_post,
    run_outbox,
)
from studio.publish.accounts import AccountRegistry
from studio.publish.oauth import TokenSet
from studio.publish.secrets import EncryptedFileStore, SecretStore
from tests.integration.test_publish_e2e import add_posts, host_settings
from tests.integration.test_publish_secrets import scripted_browser


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    from studio.jobs.demo import ensure_demo_workspace

    return ensure_demo_workspace(target=tmp_path / "demo")


def test_connect_with_instagram_login_and_publish_without_product_tags(
    fake_platforms: Any,
    demo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    g = fake_platforms.graph
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("STUDIO_SECRETS_PASSPHRASE", "a passphrase for the test")
    answers = iter([g.app_id])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": g.app_secret)
    consent: list[str] = []

    def browser(url: str) -> bool:
        consent.append(url)
        return scripted_browser(g.issue_code)(url)

    monkeypatch.setattr("webbrowser.open", browser)
    code = cli.main(["accounts", "connect", "instagram", "--instagram-login", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    [account] = json.loads(out.out)
    assert account["platform"] == "instagram" and account["name"] == g.ig_username
    assert consent[0].startswith("https://www.instagram.com/oauth/authorize?")
    assert "instagram_business_content_publish" in consent[0]
    assert g.requests_to("POST", r"^/oauth/access_token$")  # api.instagram.com code exchange
    assert g.requests_to("GET", r"/access_token$")[-1].params["grant_type"] == "ig_exchange_token"
    assert g.user_token not in out.out and "IGAA" not in out.out  # tokens never printed

    reg = AccountRegistry(SecretStore.open(passphrase="a passphrase for the test", prefer_file=True))
    ig = reg.get(g.ig_username)
    assert ig.kind == "ig_login" and reg.tokens(ig).access_token.startswith("IGAAfakeLONG")

    single_id, _ = add_posts(demo)
    report = dry_run(demo, single_id, ["instagram"], {"instagram": ig})
    [target] = report["targets"]
    assert any("Instagram Login, which cannot tag products" in r for r in target["fallback"])

    [job] = enqueue_post(demo, single_id, ["instagram"], accounts={"instagram": ig})
    factory = default_clients_factory(reg, media_host=host_settings(fake_platforms))
    summary = run_outbox(demo, registry=reg, clients_factory=factory, poll_s=0.0, retry_base_s=0.05, wait_s=5)
    assert summary.published == [job]
    [post] = g.published_on("instagram")
    assert post.product_tags == []  # never sent through Instagram Login
    with Workspace.open(demo, write=False) as ws:
        assert ws.project.posts  # the workspace is intact


def test_an_instagram_login_token_near_expiry_is_refreshed(fake_platforms: Any, tmp_path: Path) -> None:
    g = fake_platforms.graph
    store = SecretStore(EncryptedFileStore("pass", tmp_path / "secrets.enc", scrypt_n=2**10))
    reg = AccountRegistry(store, tmp_path / "accounts.json")
    store.set_app_credentials("instagram_login", g.app_id, g.app_secret)
    old = "IGAAfakeLONGold" + "0" * 8
    g.tokens[old] = type(next(iter(g.tokens.values())))("ig_login", long_lived=True)
    account = reg.connect(
        platform="instagram",
        kind="ig_login",
        remote_id=g.ig_user_id,
        name="ig login",
        tokens=TokenSet(old, None, time.time() + 2 * 86400),  # two days left: renew now
        extra={"login": "instagram_login"},
    )
    clients = default_clients_factory(reg)(account)
    assert g.refreshed_ig_tokens == 1
    fresh = reg.tokens(account)
    assert fresh.access_token.startswith("IGAAfakeREFRESHED") and fresh.expires_at > time.time() + 50 * 86400
    assert clients.instagram.publishing_limit().total == g.quota_total  # graph.instagram.com, new token
