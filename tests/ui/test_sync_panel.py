"""The Catalog sync panel against the fake Meta catalog: counts, problems, double-click, confirmed deletes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from studio.core.model import Availability, Product
from studio.core.progress import CancelToken
from studio.core.workspace import Workspace
from studio.jobs.catalog_sync import run_sync
from studio.publish.accounts import AccountRegistry
from studio.publish.oauth import TokenSet
from studio.publish.secrets import EncryptedFileStore, SecretStore
from studio.ui.sync_panel import SyncPanel
from studio.ui.workers import WorkerBridge
from tests.fakes.graph import FakeGraph


def product(pid: str, url: str = "") -> Product:
    return Product(
        id=pid,
        title=f"Mug {pid}",
        price=Decimal("12.00"),
        currency="USD",
        brand="Acme",
        description="Stoneware",
        url=url if url else f"https://shop.example/{pid}",
        images=[f"https://cdn.example/{pid}.jpg"],
        availability=Availability.IN_STOCK,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    with Workspace.create(root) as w:
        w.catalog.upsert([product("M1"), product("M2"), product("BAD", url="not a url")], "test")
    return root


@pytest.fixture
def registry(fake_graph: FakeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AccountRegistry:
    for key, value in fake_graph.env.items():
        monkeypatch.setenv(key, value)
    store = SecretStore(EncryptedFileStore("pw", tmp_path / "app" / "secrets.enc", scrypt_n=2**10))
    reg = AccountRegistry(store, tmp_path / "app" / "accounts.json")
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id=fake_graph.ig_user_id,
        name="Shop IG",
        tokens=TokenSet(fake_graph.user_token, None, None),
    )
    return reg


def make_panel(qtbot: Any, ws: Path, registry: AccountRegistry, **kw: Any) -> SyncPanel:
    panel = SyncPanel(
        bridge=WorkerBridge(immediate=True),
        registry_fn=lambda: registry,
        sync_kwargs={
            "session_kwargs": {"sleep": lambda s: None},
            "engine_kwargs": {"poll_interval": 0.01, "max_poll_interval": 0.01},
        },
        **kw,
    )
    qtbot.addWidget(panel)
    panel.set_workspace(ws)
    return panel


def test_sync_shows_counts_and_problems(
    qtbot: Any, ws: Path, registry: AccountRegistry, fake_graph: FakeGraph
) -> None:
    panel = make_panel(qtbot, ws, registry)
    page = panel.page("meta")
    assert page.account_box.currentData() == "Shop IG" and page.last_label.text() == "Never synced."
    fake_graph.catalog_state.reject["M2"] = 'Invalid "image_link": the image could not be downloaded'
    with qtbot.waitSignal(panel.syncFinished) as finished:
        page.sync_button.click()
    platform, report = finished.args
    assert platform == "meta" and report.confirmed == 1 and report.errors == 1
    assert set(fake_graph.catalog_state.catalog(fake_graph.catalog_id)) == {"M1"}
    assert "sent 2" in page.counts_label.text() and "errors 1" in page.counts_label.text()
    assert page.last_label.text().startswith("Last sync:")
    rows = {
        (page.problems.item(r, 0).text(), page.problems.item(r, 2).text())
        for r in range(page.problems.rowCount())
    }
    assert rows == {("M2", "image_link"), ("BAD", "link")}
    assert not page.running and page.sync_button.isEnabled() and not page.cancel_button.isEnabled()

    row = next(r for r in range(page.problems.rowCount()) if page.problems.item(r, 0).text() == "BAD")
    with qtbot.waitSignal(panel.productActivated) as activated:
        page.problems.itemDoubleClicked.emit(page.problems.item(row, 3))
    assert activated.args == ["BAD"]


def test_deletes_only_after_confirmation(
    qtbot: Any, ws: Path, registry: AccountRegistry, fake_graph: FakeGraph
) -> None:
    answers: list[bool] = [False, True]
    asked: list[str] = []

    def confirm(parent: Any, title: str, text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    panel = make_panel(qtbot, ws, registry, confirm_fn=confirm)
    page = panel.page("meta")
    page.sync_button.click()
    with Workspace.open(ws) as w:
        w.catalog.delete(["M1"])
    page.sync_button.click()
    assert not page.last_report.deleted and page.delete_button.isEnabled()
    assert page.delete_button.text() == "Delete 1 items…"
    page.delete_button.click()  # answered No
    assert "M1" in fake_graph.catalog_state.catalog(fake_graph.catalog_id)
    page.delete_button.click()  # answered Yes
    assert "M1" not in fake_graph.catalog_state.catalog(fake_graph.catalog_id)
    assert "M1" in asked[0] and page.last_report.deleted == 1 and not page.delete_button.isEnabled()


def test_dry_run_and_cancel(qtbot: Any, ws: Path, registry: AccountRegistry, fake_graph: FakeGraph) -> None:
    tokens: list[CancelToken] = []

    def cancelled_sync(*args: Any, cancel: CancelToken, **kw: Any) -> Any:
        cancel.cancel()  # the user pressed Cancel before the first batch
        tokens.append(cancel)
        return run_sync(*args, cancel=cancel, **kw)

    panel = make_panel(qtbot, ws, registry)
    page = panel.page("meta")
    page.dry_button.click()
    assert page.last_report.dry_run and "would send 2" in page.status_label.text()
    assert not fake_graph.requests_to("POST")
    assert {page.problems.item(r, 0).text() for r in range(page.problems.rowCount())} == {"BAD"}

    panel.sync_fn = cancelled_sync
    page.sync_button.click()
    assert tokens and "Cancelled" in page.status_label.text() and not page.running
    assert not fake_graph.requests_to("POST")


def test_no_workspace_disables_buttons(qtbot: Any, registry: AccountRegistry) -> None:
    panel = SyncPanel(bridge=WorkerBridge(immediate=True), registry_fn=lambda: registry)
    qtbot.addWidget(panel)
    panel.set_workspace(None)
    page = panel.page("meta")
    assert not page.sync_button.isEnabled() and page.start() is None
    assert panel.page("pinterest").account_box.count() == 0  # only Instagram is connected
    assert page.account_box.count() == 1
