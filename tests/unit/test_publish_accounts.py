"""Account registry: several accounts per platform, secrets only in the SecretStore, clean disconnect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_publish_secrets import MemoryKeyring

from studio.core.errors import UsageError
from studio.publish.accounts import AccountRegistry, account_id_for
from studio.publish.errors import ReconnectNeeded
from studio.publish.oauth import TokenSet
from studio.publish.secrets import SERVICE, EncryptedFileStore, SecretStore

NOW = 1_700_000_000.0
IG_TOKEN = "EAAinstagramusertoken000001"
PAGE_TOKEN = "EAApagetokenpagetoken000001"
PIN_ACCESS = "pina_pinterestaccess_000001"
PIN_REFRESH = "pinr.pinterestrefresh_00001"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "appdata"
    monkeypatch.setenv("STUDIO_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def registry(data_dir: Path, keyring_backend: MemoryKeyring) -> AccountRegistry:
    return AccountRegistry(SecretStore.open(keyring_backend=keyring_backend))


def connect_three(reg: AccountRegistry) -> None:
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id="1784",
        name="Shop IG",
        tokens=TokenSet(IG_TOKEN, None, NOW + 60 * 86400),
        extra={"username": "shop", "page_id": "P1"},
    )
    reg.connect(
        platform="facebook",
        kind="fb_page",
        remote_id="P1",
        name="Shop Page",
        tokens=TokenSet(PAGE_TOKEN, None, None),
    )
    reg.connect(
        platform="pinterest",
        kind="pinterest",
        remote_id="U9",
        name="Shop Pins",
        sandbox=True,
        tokens=TokenSet(PIN_ACCESS, PIN_REFRESH, NOW + 30 * 86400, ("pins:write",)),
    )


def test_registry_on_disk_has_no_secrets(
    registry: AccountRegistry, data_dir: Path, keyring_backend: MemoryKeyring
) -> None:
    connect_three(registry)
    assert registry.path == data_dir / "accounts.json"
    text = registry.path.read_text(encoding="utf-8")
    for secret in (IG_TOKEN, PAGE_TOKEN, PIN_ACCESS, PIN_REFRESH):
        assert secret not in text
        # nowhere in the app data folder either (e.g. temp or backup files)
        assert all(secret not in p.read_text(errors="ignore") for p in data_dir.rglob("*") if p.is_file())
    doc = json.loads(text)
    assert [a["name"] for a in doc["accounts"]] == ["Shop IG", "Shop Page", "Shop Pins"]
    assert keyring_backend.store[(SERVICE, "pinterest:pinterest-U9-sandbox:refresh_token")] == PIN_REFRESH


def test_list_get_and_tokens(registry: AccountRegistry) -> None:
    connect_three(registry)
    assert [a.kind for a in registry.list()] == ["ig_business", "fb_page", "pinterest"]
    assert [a.name for a in registry.list("pinterest")] == ["Shop Pins"]
    pins = registry.get("shop pins")  # case-insensitive
    assert pins.sandbox and pins.id == account_id_for("pinterest", "U9", sandbox=True)
    assert registry.get(pins.id) == pins
    assert registry.get("Shop IG").extra == {"username": "shop", "page_id": "P1"}
    tokens = registry.tokens(pins)
    assert (tokens.access_token, tokens.refresh_token, tokens.scopes) == (
        PIN_ACCESS,
        PIN_REFRESH,
        ("pins:write",),
    )
    assert registry.tokens("Shop Page").expires_at is None
    with pytest.raises(UsageError, match="Shop IG, Shop Page, Shop Pins"):
        registry.get("nope")


def test_several_accounts_per_platform_and_reconnect(registry: AccountRegistry) -> None:
    connect_three(registry)
    second = registry.connect(
        platform="facebook",
        kind="fb_page",
        remote_id="P2",
        name="Shop Page",
        tokens=TokenSet("EAAsecondpagetoken000001", None, None),
    )
    assert second.name == "Shop Page (2)"  # names stay unique
    assert len(registry.list("facebook")) == 2
    again = registry.connect(
        platform="facebook",
        kind="fb_page",
        remote_id="P1",
        name="Whatever",
        tokens=TokenSet("EAAnewpagetokennew000001", None, None),
    )
    assert again.name == "Shop Page" and len(registry.list("facebook")) == 2  # reconnect keeps the entry
    assert registry.tokens(again).access_token == "EAAnewpagetokennew000001"
    renamed = registry.rename("Shop Page (2)", "Outlet Page")
    assert registry.get("Outlet Page").id == renamed.id
    with pytest.raises(UsageError):
        registry.rename("Outlet Page", "shop page")
    with pytest.raises(ValueError):
        registry.connect(
            platform="pinterest", kind="fb_page", remote_id="X", name="x", tokens=TokenSet("t" * 20)
        )


def test_disconnect_removes_account_and_secrets(
    registry: AccountRegistry, keyring_backend: MemoryKeyring
) -> None:
    connect_three(registry)
    removed = registry.disconnect("Shop Pins")
    assert removed.platform == "pinterest"
    assert [a.name for a in registry.list()] == ["Shop IG", "Shop Page"]
    assert not any("pinterest-U9" in key for _, key in keyring_backend.store)
    with pytest.raises(UsageError):
        registry.disconnect("Shop Pins")


def test_missing_tokens_mean_reconnect(registry: AccountRegistry, keyring_backend: MemoryKeyring) -> None:
    connect_three(registry)
    keyring_backend.store.clear()  # e.g. a new computer, or the user wiped the keyring
    with pytest.raises(ReconnectNeeded, match="Reconnect Shop IG"):
        registry.tokens("Shop IG")


def test_registry_refuses_secrets_in_extra(registry: AccountRegistry, keyring_backend: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="SecretStore"):
        registry.connect(
            platform="facebook",
            kind="fb_page",
            remote_id="P1",
            name="x",
            tokens=TokenSet(PAGE_TOKEN),
            extra={"page_access_token": PAGE_TOKEN},
        )
    with pytest.raises(ValueError, match="secret"):
        registry.connect(
            platform="facebook",
            kind="fb_page",
            remote_id="P1",
            name="x",
            tokens=TokenSet(PAGE_TOKEN),
            extra={"note": PAGE_TOKEN},
        )
    assert registry.list() == [] and keyring_backend.store == {}  # nothing half-written


def test_fresh_tokens_renews_and_stores(registry: AccountRegistry) -> None:
    connect_three(registry)
    pins = registry.get("Shop Pins")

    def refresher(t: TokenSet) -> TokenSet:
        return TokenSet("pina_renewed_token_00001", "pinr.renewed_refresh_001", NOW + 30 * 86400, t.scopes)

    assert registry.fresh_tokens(pins, refresher, now=NOW).access_token == PIN_ACCESS  # 30 days left: as is
    later = NOW + 29.5 * 86400  # less than a day left → refresh, and the new tokens are stored
    assert registry.fresh_tokens(pins, refresher, now=later).access_token == "pina_renewed_token_00001"
    assert registry.tokens(pins).refresh_token == "pinr.renewed_refresh_001"


def test_registry_works_with_the_encrypted_file_store(data_dir: Path) -> None:
    reg = AccountRegistry(SecretStore(EncryptedFileStore("pass phrase", scrypt_n=2**14)))
    connect_three(reg)
    assert (data_dir / "secrets.enc").exists()
    assert IG_TOKEN.encode() not in (data_dir / "secrets.enc").read_bytes()
    reopened = AccountRegistry(SecretStore(EncryptedFileStore("pass phrase")))
    assert reopened.tokens("Shop IG").access_token == IG_TOKEN
