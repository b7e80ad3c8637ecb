"""Settings → Accounts: list, connect (scripted OAuth job in a real worker), rename, disconnect, no keyring.

The keyring is an in-memory backend (like tests/unit/test_publish_secrets.py); the connect job is
a scripted stand-in for `connect_account` that registers accounts exactly as the real one does, so
the dialog's worker, Cancel and list refresh run for real without a browser.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from studio.core.errors import Cancelled
from studio.core.progress import CancelToken, ProgressFn
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.errors import SecretsUnavailable
from studio.publish.oauth import TokenSet
from studio.publish.secrets import SERVICE, SecretStore
from studio.ui.accounts_dialog import AccountsDialog, _cancellable_opener
from studio.ui.workers import WorkerBridge

ACCESS = "pina_ACCESS_token_value_for_the_dialog"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps passwords in a dict."""

    priority = 1

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


@pytest.fixture
def kr() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def registry(kr: MemoryKeyring, tmp_path: Path) -> AccountRegistry:
    return AccountRegistry(SecretStore.open(keyring_backend=kr), tmp_path / "accounts.json")


@pytest.fixture
def bridge(qtbot: Any) -> Any:
    b = WorkerBridge(immediate=False)
    yield b
    b.cancel_all()
    assert b.wait(5000)


class Prompts:
    """Answers the dialog's questions and records them."""

    def __init__(self) -> None:
        self.credentials: tuple[str, str] | None = ("1500001", "pinterest-app-secret-xyz")
        self.asked_credentials: list[str] = []
        self.confirm = True
        self.confirmed: list[str] = []
        self.name: str | None = "Shop pins"
        self.passphrase: str | None = "correct horse battery"

    def _credentials(self, _parent: Any, platform: str) -> tuple[str, str] | None:
        self.asked_credentials.append(platform)
        return self.credentials

    def _confirm(self, _parent: Any, text: str) -> bool:
        self.confirmed.append(text)
        return self.confirm

    def kwargs(self) -> dict[str, Any]:
        return {
            "ask_credentials": self._credentials,
            "confirm": self._confirm,
            "ask_name": lambda _w, _current: self.name,
            "ask_passphrase": lambda _w: self.passphrase,
        }


def scripted_connector(calls: list[dict[str, Any]], gate: threading.Event | None = None) -> Any:
    """Registers one Pinterest account like the real job; with `gate`, waits (cancellably) first."""

    def connect(
        registry: AccountRegistry,
        platform: str,
        client_id: str,
        client_secret: str,
        *,
        sandbox: bool,
        progress: ProgressFn,
        cancel: CancelToken,
    ) -> list[Account]:
        calls.append({"platform": platform, "client_id": client_id, "sandbox": sandbox})
        progress(0, 1, "Waiting for the sign-in in your browser…")
        if gate is not None:
            while not gate.wait(0.02):
                if cancel.cancelled:
                    raise Cancelled()
        return [
            registry.connect(
                platform="pinterest",
                kind="pinterest",
                remote_id="1000000001",
                name="studio_demo (sandbox)" if sandbox else "studio_demo",
                tokens=TokenSet(ACCESS, "pinr.REFRESH_value_for_the_dialog", expires_at=2e9),
                sandbox=sandbox,
                extra={"username": "studio_demo"},
            )
        ]

    return connect


def make_dialog(qtbot: Any, registry: AccountRegistry | None, bridge: WorkerBridge, **kwargs: Any) -> Any:
    dialog = AccountsDialog(registry, bridge, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_connect_rename_disconnect_round_trip_removes_secrets(
    qtbot: Any, registry: AccountRegistry, bridge: WorkerBridge, kr: MemoryKeyring
) -> None:
    registry.connect(
        platform="facebook",
        kind="fb_page",
        remote_id="111",
        name="Maison Page",
        tokens=TokenSet("EAAG_page_token_value_0001"),
        extra={"login": "facebook_login"},
    )
    prompts, calls = Prompts(), list[dict[str, Any]]()
    dialog = make_dialog(qtbot, registry, bridge, connector=scripted_connector(calls), **prompts.kwargs())
    assert dialog.account_names() == ["Maison Page"]
    assert not dialog.disconnect_button.isEnabled()  # nothing selected yet

    dialog.platform_box.setCurrentIndex(dialog.platform_box.findData("pinterest"))
    assert dialog.sandbox_box.isEnabled()
    dialog.sandbox_box.setChecked(True)
    with qtbot.waitSignal(dialog.accountsChanged, timeout=5000):
        dialog.connect_button.click()
    assert prompts.asked_credentials == ["pinterest"]  # asked once, then kept in the keyring
    assert registry.secrets.app_credentials("pinterest") == ("1500001", "pinterest-app-secret-xyz")
    assert calls == [{"platform": "pinterest", "client_id": "1500001", "sandbox": True}]
    assert dialog.account_names() == ["Maison Page", "studio_demo (sandbox)"]
    assert "Connected: studio_demo (sandbox)" in dialog.status.text()
    assert dialog.job is None and dialog.connect_button.isEnabled()

    # the list shows the sandbox flag and never a token
    dialog.select_account("studio_demo (sandbox)")
    item = dialog.tree.currentItem()
    assert "sandbox" in item.text(1) and "@studio_demo" in item.text(1)
    shown = " ".join(item.text(c) for item in dialog.account_items() for c in (0, 1))
    assert ACCESS not in shown and "EAAG" not in shown

    # a second connect does not ask for the app credentials again
    with qtbot.waitSignal(dialog.accountsChanged, timeout=5000):
        dialog.connect_button.click()
    assert prompts.asked_credentials == ["pinterest"]

    with qtbot.waitSignal(dialog.accountsChanged, timeout=2000):
        dialog.rename_button.click()
    assert dialog.account_names() == ["Maison Page", "Shop pins"]
    assert registry.get("Shop pins").sandbox

    account_id = registry.get("Shop pins").id
    assert kr.store[(SERVICE, f"pinterest:{account_id}:access_token")] == ACCESS
    prompts.confirm = False
    dialog.select_account("Shop pins")
    dialog.disconnect_button.click()
    assert dialog.account_names() == ["Maison Page", "Shop pins"]  # declined: nothing removed
    prompts.confirm = True
    with qtbot.waitSignal(dialog.accountsChanged, timeout=2000):
        dialog.disconnect_button.click()
    assert "Shop pins" in prompts.confirmed[-1]
    assert dialog.account_names() == ["Maison Page"]
    assert registry.find("Shop pins") is None
    assert not any(account_id in key for (_service, key) in kr.store), kr.store
    assert registry.tokens("Maison Page").access_token == "EAAG_page_token_value_0001"


def test_reconnect_renews_the_flagged_account_and_says_so(
    qtbot: Any, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    registry.connect(
        platform="pinterest",
        kind="pinterest",
        remote_id="1000000001",
        name="studio_demo",
        tokens=TokenSet("pina_OLD_expired_token_value", "pinr.OLD_refresh", expires_at=1.0),
        extra={"username": "studio_demo"},
    )
    prompts, calls = Prompts(), list[dict[str, Any]]()
    dialog = make_dialog(
        qtbot,
        registry,
        bridge,
        connector=scripted_connector(calls),
        needs_reconnect={"studio_demo"},
        **prompts.kwargs(),
    )
    dialog.select_account("studio_demo")
    assert "Reconnect" in dialog.tree.currentItem().text(1)
    assert dialog.reconnect_button.isEnabled()
    dialog.platform_box.setCurrentIndex(dialog.platform_box.findData("instagram"))  # reconnect ignores it
    with qtbot.waitSignal(dialog.reconnected, timeout=5000) as signal:
        dialog.reconnect_button.click()
    assert signal.args == ["studio_demo"]
    assert calls == [{"platform": "pinterest", "client_id": "1500001", "sandbox": False}]
    assert registry.tokens("studio_demo").access_token == ACCESS  # renewed in place
    assert dialog.account_names() == ["studio_demo"] and dialog.needs_reconnect == set()
    dialog.select_account("studio_demo")
    assert "Reconnect" not in dialog.tree.currentItem().text(1)


def test_cancel_ends_a_waiting_connect_without_adding_anything(
    qtbot: Any, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    registry.secrets.set_app_credentials("pinterest", "1500001", "pinterest-app-secret-xyz")
    prompts, calls, gate = Prompts(), list[dict[str, Any]](), threading.Event()
    dialog = make_dialog(
        qtbot, registry, bridge, connector=scripted_connector(calls, gate), **prompts.kwargs()
    )
    dialog.platform_box.setCurrentIndex(dialog.platform_box.findData("pinterest"))
    dialog.connect_button.click()
    assert prompts.asked_credentials == []  # already stored
    qtbot.waitUntil(lambda: bool(calls), timeout=5000)
    # the GUI stays live while the job waits: buttons reflect the running job
    assert dialog.cancel_button.isVisible() and not dialog.connect_button.isEnabled()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=5000)
    assert "cancelled" in dialog.status.text().lower()
    assert dialog.account_names() == [] and registry.list() == []
    assert not dialog.cancel_button.isVisible() and dialog.connect_button.isEnabled()


def test_connect_failure_is_reported_in_the_dialog(
    qtbot: Any, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    from studio.publish.errors import AuthorizationFailed

    def failing(*_a: Any, **_k: Any) -> list[Account]:
        raise AuthorizationFailed(
            "The Pinterest sign-in was not completed: access_denied.", platform="pinterest"
        )

    dialog = make_dialog(qtbot, registry, bridge, connector=failing, **Prompts().kwargs())
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=5000)
    assert "access_denied" in dialog.status.text()
    assert dialog.account_names() == []


def test_keyring_unavailable_shows_the_message_and_offers_the_encrypted_file(
    qtbot: Any, bridge: WorkerBridge, tmp_path: Path
) -> None:
    with pytest.raises(SecretsUnavailable) as info:
        SecretStore.open(keyring_backend=fail.Keyring())
    prompts, calls = Prompts(), list[dict[str, Any]]()
    opened: list[str] = []

    def open_encrypted(passphrase: str) -> AccountRegistry:
        opened.append(passphrase)
        store = SecretStore.open(
            keyring_backend=fail.Keyring(), passphrase=passphrase, file_path=tmp_path / "secrets.enc"
        )
        return AccountRegistry(store, tmp_path / "accounts.json")

    dialog = make_dialog(
        qtbot,
        None,
        bridge,
        unavailable=info.value,
        open_encrypted=open_encrypted,
        connector=scripted_connector(calls),
        **prompts.kwargs(),
    )
    assert dialog.banner.isVisible()
    assert "No usable keyring" in dialog.banner.text()
    assert "encrypted" in dialog.banner.text()
    assert dialog.use_file_button.isVisible()
    assert not dialog.connect_button.isEnabled()

    prompts.passphrase = None  # the user cancels the passphrase prompt: still unavailable
    dialog.use_file_button.click()
    assert dialog.registry is None and dialog.banner.isVisible() and opened == []

    prompts.passphrase = "correct horse battery"
    dialog.use_file_button.click()
    assert opened == ["correct horse battery"]
    assert not dialog.banner.isVisible() and dialog.connect_button.isEnabled()
    assert "encrypted file" in dialog.status.text()

    dialog.platform_box.setCurrentIndex(dialog.platform_box.findData("pinterest"))
    with qtbot.waitSignal(dialog.accountsChanged, timeout=5000):
        dialog.connect_button.click()
    assert dialog.account_names() == ["studio_demo"]
    raw = (tmp_path / "secrets.enc").read_text()
    assert ACCESS not in raw and "pinterest-app-secret-xyz" not in raw  # encrypted at rest


def test_a_keyring_that_refuses_writes_switches_to_the_message(
    qtbot: Any, bridge: WorkerBridge, tmp_path: Path
) -> None:
    class LockedKeyring(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.KeyringLocked("the collection is locked")

    registry = AccountRegistry(SecretStore.open(keyring_backend=LockedKeyring()), tmp_path / "a.json")
    dialog = make_dialog(qtbot, registry, bridge, connector=scripted_connector([]), **Prompts().kwargs())
    dialog.connect_button.click()
    assert dialog.registry is None and dialog.banner.isVisible()
    assert "refused" in dialog.banner.text()


def test_cancellable_opener_answers_the_loopback_with_an_error() -> None:
    """Cancel ends `authorize()`'s wait: the watcher sends error=cancelled to the redirect URI."""
    from studio.publish.oauth import LoopbackReceiver

    cancel, done = CancelToken(), threading.Event()
    with LoopbackReceiver(expected_state="s") as receiver:
        opened: list[str] = []
        opener = _cancellable_opener(opened.append, cancel, done)
        opener(f"https://example.com/oauth?redirect_uri={receiver.redirect_uri}&state=s")
        assert opened and receiver.wait(0.2) is None  # nothing yet: the user is "signing in"
        cancel.cancel()
        result = receiver.wait(5)
    done.set()
    assert result is not None and result.error == "cancelled" and result.code is None


def test_real_connect_job_against_the_fake_pinterest_and_real_cancel(
    qtbot: Any,
    registry: AccountRegistry,
    bridge: WorkerBridge,
    fake_pinterest: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default job (`jobs.publish.connect_accounts` + Cancel) over real HTTP: loopback, token, user."""
    import functools
    from urllib.parse import parse_qsl, urlencode, urlsplit

    import requests

    from studio.ui.accounts_dialog import connect_account

    for key, value in fake_pinterest.env.items():
        monkeypatch.setenv(key, value)
    registry.secrets.set_app_credentials("pinterest", fake_pinterest.client_id, fake_pinterest.client_secret)
    consent = {"give": True}

    def browser(url: str) -> bool:
        """The user's browser: consents at once (or never, to test Cancel)."""
        if consent["give"]:
            q = dict(parse_qsl(urlsplit(url).query))
            code = fake_pinterest.issue_code(q["redirect_uri"])
            requests.get(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", timeout=5)
        return True

    dialog = make_dialog(
        qtbot,
        registry,
        bridge,
        connector=functools.partial(connect_account, open_browser=browser),
        **Prompts().kwargs(),
    )
    dialog.platform_box.setCurrentIndex(dialog.platform_box.findData("pinterest"))
    with qtbot.waitSignal(dialog.accountsChanged, timeout=10000):
        dialog.connect_button.click()
    assert dialog.account_names() == ["studio_demo"]
    token = registry.tokens("studio_demo").access_token
    assert token.startswith("pina.") and token not in dialog.status.text()

    consent["give"] = False  # the user never finishes signing in: Cancel must end the wait
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: dialog.cancel_button.isVisible(), timeout=2000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=10000)
    assert "cancelled" in dialog.status.text().lower()
    assert dialog.account_names() == ["studio_demo"]
