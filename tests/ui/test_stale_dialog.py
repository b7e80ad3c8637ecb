"""The old-prices dialog: lists stale exports/posts/media, re-renders exports, explains posts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.core.model import Availability, Media, MediaKind, Product, Tag
from studio.core.price_ledger import PriceLedger, shown_for_media, stale
from studio.core.workspace import Workspace
from studio.jobs.export_batch import export_batch
from studio.render.presets import EXTRA_KEY as PRESETS_KEY
from studio.render.presets import ExportPreset, save_user_preset
from studio.ui.stale_dialog import POST_HELP, StaleDialog
from studio.ui.workers import WorkerBridge

SQUARE = ExportPreset("sq", "Square", "instagram", 96, 96, max_bytes=8_000_000)


def products(mug: str = "24.50", tote: Availability = Availability.IN_STOCK) -> list[Product]:
    return [
        Product("mug", "Mug", Decimal(mug), "EUR", availability=Availability.IN_STOCK),
        Product("tote", "Tote", Decimal("39.00"), "EUR", availability=tote),
    ]


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.create(tmp_path / "ws", currency="EUR")
    save_user_preset(w.project, SQUARE)  # re-rendering looks the preset up by name
    w.catalog.upsert(products(), "test")
    for n, pid in enumerate(("mug", "tote")):
        Image.new("RGB", (120, 90), (60 * n, 120, 160)).save(w.root / f"p{n}.jpg")
        w.project.media.append(
            Media(
                f"m{n}",
                f"p{n}.jpg",
                f"h{n}",
                MediaKind.IMAGE,
                120,
                90,
                name=f"p{n}.jpg",
                tags=[Tag(f"t{n}", pid, 0.5, 0.5)],
            )
        )
    w.save()
    out = tmp_path / "out"
    export_batch(w.root, w.project, w.catalog_path, [SQUARE], ["labeled"], out, workers=1)
    with PriceLedger.for_workspace(w.root) as ledger:
        ledger.record_post(
            "job-9",
            shown_for_media(w.project.media[0], {p.id: p for p in products()}),
            platform="pinterest",
            permalink="https://www.pinterest.com/pin/9/",
            post_id="post-1",
        )
    w.catalog.upsert(products(mug="19.90", tote=Availability.OUT_OF_STOCK), "test")
    yield w
    w.close()


def test_lists_rerenders_and_explains(qtbot, ws: Workspace):
    bridge = WorkerBridge(immediate=True)
    opened: list[str] = []
    dialog = StaleDialog(ws, ws.project, bridge, open_url=opened.append)
    qtbot.addWidget(dialog)
    kinds = sorted(i.kind for i in dialog.items)
    # mug: labeled image + tags.json + the post; tote: labeled + tags.json (sold out) + the media itself
    assert kinds == ["export", "export", "export", "export", "media", "post"]
    assert dialog.table.rowCount() == 6
    assert "6 items" in dialog.summary.text()

    post_row = next(r for r, i in enumerate(dialog.items) if i.kind == "post")
    dialog.table.selectRow(post_row)
    assert dialog.help.text() == POST_HELP["pinterest"]
    assert not dialog.rerender_button.isEnabled() and dialog.open_post_button.isEnabled()
    dialog.open_selected_post()
    assert opened == ["https://www.pinterest.com/pin/9/"]
    assert (
        dialog.table.item(post_row, 2).text() == "24.50 EUR"
        and dialog.table.item(post_row, 3).text() == "19.90 EUR"
    )

    export_row = next(r for r, i in enumerate(dialog.items) if i.kind == "export" and i.media_id == "m0")
    dialog.table.clearSelection()
    dialog.table.selectRow(export_row)
    assert dialog.rerender_button.isEnabled()
    emitted: list[list] = []
    dialog.stale_changed.connect(emitted.append)
    qtbot.mouseClick(dialog.rerender_button, Qt.MouseButton.LeftButton)
    # the mug's files were made again with 19.90; the post and the tote remain
    left = sorted((i.kind, i.media_id) for i in dialog.items)
    assert ("export", "m0") not in left and ("post", "m0") in left and ("export", "m1") in left
    assert emitted and dialog.status.text() == "Re-rendered: 2 file(s) written."
    assert all(i.kind != "export" or i.media_id != "m0" for i in stale(ws))


def test_mark_post_handled_asks_first(qtbot, ws: Workspace):
    dialog = StaleDialog(ws, ws.project, WorkerBridge(immediate=True))
    qtbot.addWidget(dialog)
    post_row = next(r for r, i in enumerate(dialog.items) if i.kind == "post")
    dialog.table.selectRow(post_row)
    dialog.mark_handled(confirm=lambda q: False)
    assert any(i.kind == "post" for i in dialog.items)
    questions: list[str] = []
    dialog.table.selectRow(post_row)
    dialog.mark_handled(confirm=lambda q: questions.append(q) or True)
    assert questions and "changes nothing there" in questions[0]
    assert not any(i.kind == "post" for i in dialog.items)
    assert not any(i.kind == "post" for i in stale(ws))


def test_media_row_explains_and_opens_media(qtbot, ws: Workspace):
    dialog = StaleDialog(ws, ws.project, WorkerBridge(immediate=True))
    qtbot.addWidget(dialog)
    row = next(r for r, i in enumerate(dialog.items) if i.kind == "media")
    dialog.table.selectRow(row)
    assert "sold out" in dialog.help.text()
    assert dialog.table.item(row, 3).text() == "sold out"
    with qtbot.waitSignal(dialog.open_media) as blocker:
        dialog.table.itemDoubleClicked.emit(dialog.table.item(row, 1))
    assert blocker.args == ["m1"]


def test_rerender_problem_is_shown_not_raised(qtbot, ws: Workspace):
    ws.project.extra.pop(PRESETS_KEY, None)  # the export's size is no longer in the workspace
    dialog = StaleDialog(ws, ws.project, WorkerBridge(immediate=True))
    qtbot.addWidget(dialog)
    row = next(r for r, i in enumerate(dialog.items) if i.kind == "export")
    dialog.table.selectRow(row)
    dialog.rerender_selected()
    assert dialog.status.text().startswith("Problem:") and "unknown preset 'sq'" in dialog.status.text()
    assert dialog.refresh_button.isEnabled() and len(dialog.items) == 6


def test_republish_hands_the_post_to_the_window(qtbot, ws: Workspace):
    dialog = StaleDialog(ws, ws.project, WorkerBridge(immediate=True))
    qtbot.addWidget(dialog)
    post_row = next(r for r, i in enumerate(dialog.items) if i.kind == "post")
    dialog.table.selectRow(post_row)
    assert dialog.republish_button.isEnabled()
    with qtbot.waitSignal(dialog.republish, timeout=1000) as signal:
        dialog.republish_button.click()
    assert signal.args == ["post-1"]
