"""Settings → Accounts → Media hosting: fill the form, test against moto for real, save, keep the secret.

The bucket is the `fake_s3` moto server (real HTTP on loopback), the keyring an in-memory backend, so
the self-test job runs in a real worker thread and Save goes through the CLI's own functions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from studio.jobs.publish import MediaHostSettings
from studio.publish.media_host import credential_key
from studio.publish.secrets import SecretStore
from studio.ui.accounts_dialog import AccountsDialog
from studio.ui.media_host_dialog import MediaHostDialog
from studio.ui.workers import WorkerBridge
from tests.ui.test_accounts_dialog import MemoryKeyring

ACCESS_ID = "AKIAEXAMPLEKEY9876"


@pytest.fixture
def store() -> SecretStore:
    return SecretStore.open(keyring_backend=MemoryKeyring())


@pytest.fixture
def bridge(qtbot: Any) -> Any:
    b = WorkerBridge(immediate=False)
    yield b
    b.cancel_all()
    assert b.wait(5000)


def make_dialog(qtbot: Any, store: SecretStore, bridge: WorkerBridge) -> MediaHostDialog:
    dialog = MediaHostDialog(store, bridge)
    qtbot.addWidget(dialog)
    return dialog


def fill(dialog: MediaHostDialog, fake_s3: Any, *, access: str, secret: str) -> None:
    dialog.endpoint.setText(fake_s3.endpoint_url)
    dialog.bucket.setText(fake_s3.bucket)
    dialog.region.setText(fake_s3.region)
    dialog.prefix.setText("studio-tests")
    dialog.access_key.setText(access)
    dialog.secret_key.setText(secret)


def test_fill_test_connection_and_save(qtbot: Any, fake_s3: Any, store: SecretStore, bridge: Any) -> None:
    dialog = make_dialog(qtbot, store, bridge)
    assert dialog.secret_key.echoMode() == dialog.secret_key.EchoMode.Password
    assert not dialog.save_button.isEnabled()  # nothing filled in yet
    fill(dialog, fake_s3, access=fake_s3.access_key, secret=fake_s3.secret_key)
    assert dialog.validate() == []
    assert dialog.private_warning.isVisibleTo(dialog)  # moto listens on 127.0.0.1

    dialog.test_button.click()
    assert dialog.job is not None and not dialog.test_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=8000)
    assert dialog.result_line.text().startswith("✓ Connection OK"), dialog.result_line.text()
    assert fake_s3.client.list_objects_v2(Bucket=fake_s3.bucket).get("KeyCount", 0) == 0  # cleaned up

    with qtbot.waitSignal(dialog.saved, timeout=2000):
        dialog.save_button.click()
    doc = json.loads(MediaHostSettings.path().read_text(encoding="utf-8"))
    assert doc == {
        "endpoint_url": fake_s3.endpoint_url,
        "bucket": fake_s3.bucket,
        "region": fake_s3.region,
        "prefix": "studio-tests/",
    }
    assert fake_s3.secret_key not in MediaHostSettings.path().read_text(encoding="utf-8")
    assert store.get(credential_key("default", "access_key_id")) == fake_s3.access_key
    assert store.get(credential_key("default", "secret_access_key")) == fake_s3.secret_key


def test_missing_bucket_fails_test_with_a_clear_line(
    qtbot: Any, fake_s3: Any, store: SecretStore, bridge: Any
) -> None:
    dialog = make_dialog(qtbot, store, bridge)
    fill(dialog, fake_s3, access=fake_s3.access_key, secret=fake_s3.secret_key)
    dialog.bucket.setText(fake_s3.bucket + "-missing")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=8000)
    assert dialog.result_line.text().startswith("✗"), dialog.result_line.text()
    assert fake_s3.secret_key not in dialog.result_line.text()


def test_invalid_bucket_shows_message_and_disables_save(qtbot: Any, store: SecretStore, bridge: Any) -> None:
    dialog = make_dialog(qtbot, store, bridge)
    dialog.bucket.setText("good-bucket")
    dialog.access_key.setText(ACCESS_ID)
    dialog.secret_key.setText("s3cr3t-value")
    assert dialog.save_button.isEnabled()
    dialog.bucket.setText("Bad_Bucket")
    error = dialog.field_errors["bucket"]
    assert error.isVisibleTo(dialog) and "not a valid S3 bucket name" in error.text()
    assert not dialog.field_errors["region"].isVisibleTo(dialog)
    assert not dialog.save_button.isEnabled() and not dialog.test_button.isEnabled()
    dialog.save()  # even a forced call writes nothing
    assert not MediaHostSettings.path().exists()
    assert store.get(credential_key("default", "secret_access_key")) is None


def test_empty_secret_keeps_the_saved_one(qtbot: Any, store: SecretStore, bridge: Any) -> None:
    MediaHostSettings(bucket="old-bucket", endpoint_url="https://s3.example.com").save()
    store.set(credential_key("default", "access_key_id"), ACCESS_ID)
    store.set(credential_key("default", "secret_access_key"), "the-saved-secret")
    dialog = make_dialog(qtbot, store, bridge)
    assert dialog.bucket.text() == "old-bucket"
    assert dialog.saved_keys.text().startswith("saved ••••9876")
    assert "the-saved-secret" not in dialog.saved_keys.text() and dialog.secret_key.text() == ""
    assert dialog.access_key.text() == ""  # the key id is not shown back either

    dialog.bucket.setText("new-bucket")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=2000):
        dialog.save_button.click()
    assert MediaHostSettings.load_file() == MediaHostSettings(
        bucket="new-bucket", endpoint_url="https://s3.example.com"
    )
    assert store.get(credential_key("default", "secret_access_key")) == "the-saved-secret"
    assert store.get(credential_key("default", "access_key_id")) == ACCESS_ID


def test_new_key_id_without_secret_cannot_be_saved(qtbot: Any, store: SecretStore, bridge: Any) -> None:
    store.set(credential_key("default", "access_key_id"), ACCESS_ID)
    store.set(credential_key("default", "secret_access_key"), "the-saved-secret")
    dialog = make_dialog(qtbot, store, bridge)
    dialog.bucket.setText("a-bucket")
    assert dialog.save_button.isEnabled()
    dialog.access_key.setText("AKIAOTHERKEY0000")  # a different key id needs its own secret
    assert not dialog.save_button.isEnabled()


def test_accounts_dialog_opens_media_hosting(
    qtbot: Any, store: SecretStore, bridge: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.publish.accounts import AccountRegistry

    opened: list[MediaHostDialog] = []

    def fake_exec(self: MediaHostDialog) -> int:
        opened.append(self)
        return 0

    monkeypatch.setattr(MediaHostDialog, "exec", fake_exec)
    dialog = AccountsDialog(AccountRegistry(store), bridge)
    qtbot.addWidget(dialog)
    dialog.media_host_button.click()
    assert len(opened) == 1 and opened[0].secrets is store
