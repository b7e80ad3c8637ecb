"""SecretStore over keyring (an in-memory backend defined here) and the opt-in encrypted file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import ClassVar

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import chainer, fail

from studio.publish.errors import SecretsUnavailable
from studio.publish.oauth import TokenSet
from studio.publish.redact import redact
from studio.publish.secrets import (
    SERVICE,
    EncryptedFileStore,
    KeyringSecrets,
    SecretStore,
    app_key,
    keyring_usable,
    token_key,
)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps passwords in a dict (what the OS keyring does, minus the OS)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


class LockedKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the collection is locked")


class EmptyChain(chainer.ChainerBackend):
    """What keyring picks on a headless box with no Secret Service: a chainer over nothing."""

    backends: ClassVar[list[object]] = []  # shadows the discovering classproperty


ACCESS = "pina_access_token_value_0001"
REFRESH = "pinr.refresh_token_value_0001"


def test_keyring_round_trip_uses_service_and_keys() -> None:
    kr = MemoryKeyring()
    store = SecretStore.open(keyring_backend=kr)
    assert "keyring" in store.name
    tokens = TokenSet(ACCESS, REFRESH, expires_at=2_000_000_000.0, scopes=("pins:read", "pins:write"))
    store.save_tokens("pinterest", "pinterest-123", tokens)
    assert kr.store[(SERVICE, "pinterest:pinterest-123:access_token")] == ACCESS
    assert kr.store[(SERVICE, token_key("pinterest", "pinterest-123", "refresh_token"))] == REFRESH
    info = json.loads(kr.store[(SERVICE, "pinterest:pinterest-123:token_info")])
    assert ACCESS not in json.dumps(info) and info["expires_at"] == 2_000_000_000.0

    loaded = store.load_tokens("pinterest", "pinterest-123")
    assert loaded is not None
    assert (loaded.access_token, loaded.refresh_token, loaded.expires_at, loaded.scopes) == (
        ACCESS,
        REFRESH,
        2_000_000_000.0,
        ("pins:read", "pins:write"),
    )
    assert ACCESS not in repr(loaded) and REFRESH not in repr(loaded)

    store.set_app_credentials("instagram", "1234567890", "meta-app-secret-xyz")
    assert kr.store[(SERVICE, "facebook:app:client_secret")] == "meta-app-secret-xyz"  # one Meta app
    assert store.app_credentials("facebook") == ("1234567890", "meta-app-secret-xyz")
    assert app_key("pinterest") == "pinterest:app:client_secret"
    assert store.app_credentials("pinterest") is None
    assert redact("secret is meta-app-secret-xyz") == "secret is ***"  # stored secrets get scrubbed

    store.delete_tokens("pinterest", "pinterest-123")
    assert store.load_tokens("pinterest", "pinterest-123") is None
    assert not any(k[1].startswith("pinterest:pinterest-123") for k in kr.store)
    store.delete_tokens("pinterest", "pinterest-123")  # deleting twice is fine


def test_no_usable_keyring_raises_clear_error_unless_file_opted_in(tmp_path: Path) -> None:
    assert not keyring_usable(fail.Keyring())
    assert not keyring_usable(EmptyChain())
    assert keyring_usable(MemoryKeyring())

    with pytest.raises(SecretsUnavailable) as info:
        SecretStore.open(keyring_backend=fail.Keyring())
    text = str(info.value)
    assert "keyring" in text.lower() and "encrypted" in text.lower()  # says what the options are

    path = tmp_path / "appdata" / "secrets.enc"
    store = SecretStore.open(keyring_backend=fail.Keyring(), passphrase="correct horse", file_path=path)
    assert isinstance(store.backend, EncryptedFileStore)
    # a usable keyring wins even when a passphrase is given, unless the file is preferred
    assert isinstance(
        SecretStore.open(keyring_backend=MemoryKeyring(), passphrase="x").backend, KeyringSecrets
    )
    assert isinstance(
        SecretStore.open(
            keyring_backend=MemoryKeyring(), passphrase="pw", file_path=path, prefer_file=True
        ).backend,
        EncryptedFileStore,
    )


def test_keyring_errors_become_secrets_unavailable() -> None:
    store = SecretStore(KeyringSecrets(LockedKeyring()))
    with pytest.raises(SecretsUnavailable, match="refused"):
        store.set("facebook:app:client_secret", "value-value")


def test_encrypted_file_round_trip_permissions_and_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "secrets.enc"
    fs = EncryptedFileStore("correct horse battery", path, scrypt_n=2**14)
    store = SecretStore(fs)
    store.save_tokens("facebook", "facebook-99", TokenSet("EAAfiletoken0123456789abcdef", None, None))
    store.set_app_credentials("facebook", "app-id-1", "file-app-secret-1")
    raw = path.read_bytes()
    assert b"EAAfiletoken" not in raw and b"file-app-secret-1" not in raw  # encrypted at rest
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.bak"))

    reopened = SecretStore(EncryptedFileStore("correct horse battery", path))
    loaded = reopened.load_tokens("facebook", "facebook-99")
    assert loaded is not None and loaded.access_token == "EAAfiletoken0123456789abcdef"
    assert loaded.expires_at is None  # Page tokens do not expire
    assert reopened.app_credentials("facebook") == ("app-id-1", "file-app-secret-1")

    with pytest.raises(SecretsUnavailable, match="passphrase"):
        EncryptedFileStore("wrong passphrase", path)
    reopened.delete_tokens("facebook", "facebook-99")
    assert EncryptedFileStore("correct horse battery", path).get("facebook:facebook-99:access_token") is None

    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SecretsUnavailable, match="damaged"):
        EncryptedFileStore("correct horse battery", path)
    with pytest.raises(SecretsUnavailable):
        EncryptedFileStore("", tmp_path / "other.enc")


def test_file_store_defaults_to_app_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    fs = EncryptedFileStore("pw-pw-pw", scrypt_n=2**14)
    fs.set("k", "v")
    assert fs.path == tmp_path / "data" / "secrets.enc" and fs.path.exists()
