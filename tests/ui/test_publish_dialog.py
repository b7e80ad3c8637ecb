"""Post → Publish…: live checker findings, Fix buttons, what will happen, dry-run preview and enqueue.

Real widgets over a real workspace (catalog + photos), accounts in an in-memory keyring, a real
WorkerBridge thread pool; the dry run and the enqueue are the real `studio.jobs.publish` functions
(offline: rendering, planning and the outbox only). Pinterest boards come from a scripted function.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.core.model import Post, Tag
from studio.core.workspace import Workspace
from studio.publish.accounts import AccountRegistry
from studio.publish.checker import ERROR, INFO
from studio.publish.oauth import TokenSet
from studio.publish.outbox import Outbox
from studio.publish.secrets import SecretStore
from studio.ui.document import Document
from studio.ui.publish_dialog import PublishDialog, fix_label
from studio.ui.workers import WorkerBridge

sys.path.insert(0, str(Path(__file__).parent))
from test_accounts_dialog import MemoryKeyring

BOARDS = [("900001", "Looks"), ("900002", "Mugs")]


@pytest.fixture
def doc(sample_workspace: Path) -> Iterator[Document]:
    ws = Workspace.open(sample_workspace)
    look = next(m for m in ws.project.media if m.name.startswith("look"))  # 640×480 JPEG
    mug = next(m for m in ws.project.media if m.name.startswith("mug"))  # 400×600 PNG
    look.tags = [Tag("tag_a", "chemise-lin", 0.3, 0.4), Tag("tag_b", "mug", 0.6, 0.5)]
    mug.tags = [Tag("tag_c", "mug", 0.5, 0.5)]
    ws.project.posts = [
        Post("post_bad", [mug.id], "x" * 2300, {"instagram": {}}),
        Post("post_ok", [look.id], "Linen for summer #linen", {"instagram": {}, "pinterest": {}}),
    ]
    document = Document(ws)
    yield document
    document.close()


@pytest.fixture
def registry(tmp_path: Path) -> AccountRegistry:
    reg = AccountRegistry(SecretStore.open(keyring_backend=MemoryKeyring()), tmp_path / "accounts.json")
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id="17841400000001",
        name="maison.shop",
        tokens=TokenSet("EAAG_user_token_for_the_publish_dialog"),
        extra={"login": "facebook_login", "product_tag_eligible": True, "username": "maison.shop"},
    )
    reg.connect(
        platform="pinterest",
        kind="pinterest",
        remote_id="1000000001",
        name="studio_demo",
        tokens=TokenSet("pina_token_for_the_publish_dialog"),
        extra={"username": "studio_demo"},
    )
    return reg


@pytest.fixture
def bridge(qtbot: Any) -> Iterator[WorkerBridge]:
    b = WorkerBridge(immediate=False)
    yield b
    b.cancel_all()
    assert b.wait(10000)


def post(doc: Document, post_id: str) -> Post:
    return next(p for p in doc.project.posts if p.id == post_id)


def make(
    qtbot: Any, doc: Document, registry: AccountRegistry, bridge: WorkerBridge, post_id: str, **kw: Any
) -> Any:
    boards_asked: list[str] = []

    def list_boards(_registry: AccountRegistry, account: Any, **_k: Any) -> list[tuple[str, str]]:
        boards_asked.append(account.name)
        return list(BOARDS)

    kw.setdefault("list_boards_fn", list_boards)
    dialog = PublishDialog(post(doc, post_id), doc, registry, bridge, **kw)
    dialog.boards_asked = boards_asked  # type: ignore[attr-defined]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def codes(dialog: Any, severity: str | None = None) -> set[str]:
    return {f.code for f in dialog.findings(severity)}


def test_long_caption_blocks_publish_and_wrong_aspect_offers_the_rerender_fix(
    qtbot: Any, doc: Document, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    dialog = make(qtbot, doc, registry, bridge, "post_bad")
    assert dialog.targets() == ["instagram"]
    assert "caption_length" in codes(dialog, ERROR)
    assert not dialog.publish_button.isEnabled()
    assert "1 error(s)" in dialog.status.text()

    # grouped by severity: "Errors (1)" first, the notes after it
    groups = [dialog.findings_tree.topLevelItem(i) for i in range(dialog.findings_tree.topLevelItemCount())]
    assert [g.text(0) for g in groups] == ["Errors (1)", f"Notes ({len(dialog.findings(INFO))})"]
    assert "2,300 characters" in groups[0].child(0).text(0) and "2,200" in groups[0].child(0).text(0)
    notes = [groups[1].child(i).text(0) for i in range(groups[1].childCount())]
    # the 400×600 PNG is outside 4:5 … 1.91:1: said plainly, with what Publish will do about it
    assert any("aspect ratio 0.67:1" in n and "instagram-portrait" in n and "cropping" in n for n in notes)

    # the aspect finding's Fix button says what it does and emits the finding's machine-readable fix
    mug_id = post(doc, "post_bad").media_ids[0]
    button = next(b for b, f in dialog.fix_buttons if f.code == "aspect_ratio")
    assert button.text() == "Re-render at 4:5"
    with qtbot.waitSignal(dialog.fixRequested, timeout=1000) as fired:
        button.click()
    assert fired.args == [{"action": "rerender", "media_id": mug_id, "preset": "instagram-portrait"}]

    caption_button = next(b for b, f in dialog.fix_buttons if f.code == "caption_length")
    assert caption_button.text() == "Shorten caption"
    with qtbot.waitSignal(dialog.fixRequested, timeout=1000) as fired:
        caption_button.click()
    assert fired.args == [
        {"action": "trim_caption", "field": "caption", "max_chars": 2200, "platform": "instagram"}
    ]

    # the main window applies the fix and hands the new post back: the caption error is gone and the
    # aspect alone does not block (the publish job re-renders at 4:5 itself, as the note says)
    fixed = copy.deepcopy(post(doc, "post_bad"))
    fixed.caption = fixed.caption[:2200]
    dialog.set_post(fixed)
    assert not codes(dialog, ERROR) and dialog.publish_button.isEnabled()
    assert "aspect_ratio" in codes(dialog, INFO)

    # nothing chosen at all: disabled, and says why
    dialog.platform_checks["instagram"].setChecked(False)
    assert dialog.targets() == [] and not dialog.publish_button.isEnabled()
    assert "at least one platform" in dialog.status.text()


def test_without_the_job_renderer_sources_are_judged(
    qtbot: Any,
    doc: Document,
    registry: AccountRegistry,
    bridge: WorkerBridge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the publish job's renderer the dialog judges the source files: wrong aspect = error."""
    import studio.ui.publish_dialog as module

    monkeypatch.setattr(module, "planned_uploads", lambda *_a: None)
    dialog = make(qtbot, doc, registry, bridge, "post_bad")
    assert {"caption_length", "aspect_ratio", "image_format"} <= codes(dialog, ERROR)
    assert not dialog.publish_button.isEnabled()


def test_only_valid_targets_enable_publish_and_say_what_will_happen(
    qtbot: Any, doc: Document, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    dialog = make(qtbot, doc, registry, bridge, "post_ok")
    assert dialog.targets() == ["instagram", "pinterest"]
    qtbot.waitUntil(lambda: dialog.board_box.count() == 2, timeout=5000)  # fetched in the worker
    assert dialog.boards_asked and dialog.boards_asked[0] == "studio_demo"
    assert dialog.chosen_board() == BOARDS[0]
    assert not codes(dialog, ERROR), [f.message for f in dialog.findings(ERROR)]
    assert dialog.publish_button.isEnabled()
    lines = dialog.plan_lines()
    assert lines[0] == "Instagram: native product tags on 2 of 2 tags"
    assert lines[1].startswith("Pinterest: labeled image + link to the first product")

    # Facebook with no connected account: an error, Publish off; unticking it makes the post valid again
    dialog.platform_checks["facebook"].setChecked(True)
    assert "no_account" in codes(dialog, ERROR)
    assert not dialog.publish_button.isEnabled()
    assert "no account connected" in dialog.account_boxes["facebook"].currentText()
    dialog.platform_checks["facebook"].setChecked(False)
    assert dialog.publish_button.isEnabled()

    # Pinterest without a board is an error until one is chosen (or created)
    dialog.board_box.setCurrentIndex(-1)
    assert "board_missing" in codes(dialog, ERROR) and not dialog.publish_button.isEnabled()
    dialog.board_box.setCurrentIndex(1)
    assert dialog.publish_button.isEnabled()

    # a time in the past is an error; one in the future is fine
    dialog.at_radio.setChecked(True)
    dialog.when_edit.setDateTime(dialog.when_edit.dateTime().addDays(-2))
    assert "schedule_past" in codes(dialog, ERROR) and not dialog.publish_button.isEnabled()
    dialog.when_edit.setDateTime(dialog.when_edit.dateTime().addDays(3))
    assert dialog.publish_button.isEnabled()
    assert dialog.scheduled_at() is not None


def test_typed_board_is_created_in_a_worker_and_chosen(
    qtbot: Any, doc: Document, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    created: list[str] = []

    def create_board(_registry: Any, _account: Any, name: str, **_k: Any) -> tuple[str, str]:
        created.append(name)
        return ("900777", name)

    dialog = make(
        qtbot,
        doc,
        registry,
        bridge,
        "post_ok",
        list_boards_fn=lambda *_a, **_k: [],
        create_board_fn=create_board,
    )
    qtbot.waitUntil(lambda: "create one" in dialog.board_status.text(), timeout=5000)
    assert "board_missing" in codes(dialog, ERROR)
    assert not dialog.create_board_button.isEnabled()
    dialog.new_board.setText("Summer linen")
    dialog.create_board_button.click()
    qtbot.waitUntil(lambda: dialog.chosen_board() == ("900777", "Summer linen"), timeout=5000)
    assert created == ["Summer linen"]
    assert "board_missing" not in codes(dialog) and dialog.publish_button.isEnabled()


def test_preview_then_publish_queue_the_post_with_the_chosen_board(
    qtbot: Any, doc: Document, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    dialog = make(qtbot, doc, registry, bridge, "post_ok")
    qtbot.waitUntil(lambda: dialog.board_box.count() == 2, timeout=5000)
    dialog.board_box.setCurrentIndex(1)  # "Mugs"

    dialog.preview_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and "POST" in dialog.preview_text.toPlainText(), timeout=10000)
    preview = dialog.preview_text.toPlainText()
    assert "instagram.feed_image for post post_ok via maison.shop" in preview
    assert "/media_publish" in preview and "board_id=900002" in preview
    assert "access_token=***" in preview and "Bearer ***" in preview
    assert "EAAG_user_token" not in preview and "pina_token" not in preview

    edited: list[tuple[Post, str]] = []
    dialog.postEdited.connect(lambda p, text: edited.append((p, text)))
    with qtbot.waitSignal(dialog.published, timeout=10000) as fired:
        dialog.publish_button.click()
    job_ids = fired.args[0]
    assert len(job_ids) == 2
    assert edited and edited[0][0].platforms["pinterest"]["board_id"] == "900002"
    assert "Queued 2 job(s)" in dialog.status.text()
    assert not dialog.publish_button.isEnabled()
    with Outbox.open(doc.workspace.root) as outbox:
        jobs = {job.id: job for job in outbox.jobs()}
    assert set(job_ids) <= set(jobs)
    assert {jobs[i].platform for i in job_ids} == {"instagram", "pinterest"}
    pin = next(jobs[i] for i in job_ids if jobs[i].platform == "pinterest")
    request = pin.plan.step("pin.create").request
    assert request is not None and request.params["board_id"] == "900002"  # the dialog's choice


def test_fix_labels() -> None:
    assert fix_label({"action": "rerender", "preset": "instagram-square"}) == "Re-render at 1:1"
    assert fix_label({"action": "rerender", "preset": "instagram-landscape"}).startswith("Re-render at 1.9")
    assert fix_label({"action": "trim_caption", "max_chars": 10}) == "Shorten caption"
    assert fix_label({"action": "something_new"}) == "Something new"


def test_the_window_menus_open_both_dialogs(
    qtbot: Any,
    make_window: Any,
    sample_workspace: Path,
    registry: AccountRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import studio.ui.accounts_dialog as accounts_module
    import studio.ui.publish_dialog as publish_module
    from studio.ui import commands
    from studio.ui.accounts_dialog import AccountsDialog

    monkeypatch.setattr(accounts_module, "open_registry", lambda **_k: (registry, None))
    quota_reads: list[str] = []

    def no_network_quota(_registry: Any, account: Any, **_k: Any) -> None:
        quota_reads.append(account.name)  # the window asks for the live quota; no network in tests

    monkeypatch.setattr(publish_module, "default_read_quota", no_network_quota)
    win = make_window(sample_workspace)
    shown: list[Any] = []

    def run_dialog(dialog: Any) -> bool:
        shown.append(dialog)
        return False

    win.run_dialog = run_dialog

    win.action_map["settings.accounts"].trigger()
    assert isinstance(shown[-1], AccountsDialog)
    assert shown[-1].account_names() == ["maison.shop", "studio_demo"]

    look = next(m for m in win.doc.project.media if m.name.startswith("look"))
    commands.set_posts(win.doc, [Post("post_w", [look.id], "Hello", {"instagram": {}})], "New post")
    win.posts.select_post("post_w")
    assert win.action_map["post.publish"].isEnabled()
    win.action_map["post.publish"].trigger()
    dialog = shown[-1]
    assert isinstance(dialog, PublishDialog) and dialog.post.id == "post_w"
    assert dialog.targets() == ["instagram"] and dialog.publish_button.isEnabled()
    qtbot.waitUntil(lambda: quota_reads == ["maison.shop"], timeout=5000)

    # the window applies the caption fix through an undoable command and the dialog re-checks
    commands.set_posts(win.doc, [Post("post_w", [look.id], "x" * 2300, {"instagram": {}})], "Long caption")
    win.posts.select_post("post_w")
    win.action_map["post.publish"].trigger()
    dialog = shown[-1]
    assert not dialog.publish_button.isEnabled()
    next(b for b, f in dialog.fix_buttons if f.code == "caption_length").click()
    assert len(next(p for p in win.doc.project.posts if p.id == "post_w").caption) == 2200
    assert dialog.publish_button.isEnabled()
    win.doc.undo_stack.undo()
    assert len(next(p for p in win.doc.project.posts if p.id == "post_w").caption) == 2300


def test_quota_is_read_in_a_worker_and_a_used_up_quota_blocks(
    qtbot: Any, doc: Document, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    from studio.publish.checker import Quota

    answers = [Quota(used=25, total=25), Quota(used=3, total=25)]
    asked: list[str] = []

    def read_quota(_registry: Any, account: Any, **_k: Any) -> Quota:
        asked.append(account.name)
        return answers[len(asked) - 1]

    post(doc, "post_ok").platforms.pop("pinterest")
    dialog = make(qtbot, doc, registry, bridge, "post_ok", read_quota_fn=read_quota)
    assert "quota_unknown" in codes(dialog, INFO)  # until the worker answers
    qtbot.waitUntil(lambda: "quota" in codes(dialog, ERROR), timeout=5000)
    assert asked == ["maison.shop"] and not dialog.publish_button.isEnabled()
    button = next(b for b, f in dialog.fix_buttons if f.code == "quota")
    with qtbot.waitSignal(dialog.fixRequested, timeout=1000) as fired:
        button.click()
    assert fired.args == [{"action": "schedule_later", "hours": 24}]

    dialog.refresh_quota()  # e.g. a day later
    qtbot.waitUntil(lambda: "quota" in codes(dialog, INFO), timeout=5000)
    assert dialog.publish_button.isEnabled()
    assert any("22 of 25" in f.message for f in dialog.findings(INFO))


def test_the_shop_catalog_is_checked_in_a_worker_and_decides_native_tags(
    qtbot: Any, doc: Document, registry: AccountRegistry, bridge: WorkerBridge
) -> None:
    from studio.publish.catalog_links import CatalogLink, CatalogLinks, retailer_id_for

    calls: list[tuple[str, str]] = []

    def check_catalog(root: Path, project: Any, post_id: str, _reg: Any, account: Any, **_k: Any) -> dict:
        calls.append((post_id, account.name))
        links = CatalogLinks.for_account(doc.workspace.cache_dir, account.id)
        shirt = doc.workspace.catalog.get("chemise-lin")
        links.put(CatalogLink(retailer_id_for(shirt), "3231775643511089", "approved", 1.0))
        mug = doc.workspace.catalog.get("mug")
        links.put(CatalogLink(retailer_id_for(mug), None, None, 1.0))  # not in the shop
        links.save()
        return {account.name: 1}

    post(doc, "post_ok").platforms.pop("pinterest")
    dialog = make(qtbot, doc, registry, bridge, "post_ok")
    assert "catalog_unchecked" in codes(dialog, INFO)  # nothing looked up yet: said, not hidden
    dialog.check_catalog_fn = check_catalog
    button = next(b for b, f in dialog.fix_buttons if f.code == "catalog_unchecked")
    assert button.text() == "Check catalog"
    button.click()
    qtbot.waitUntil(lambda: "catalog_unchecked" not in codes(dialog), timeout=5000)
    assert calls == [("post_ok", "maison.shop")]
    decision = dialog.check_result.decisions["instagram.feed_image"]
    native = {t.product_id: t.platform_product_id for t in decision.tags if t.native}
    assert native == {"chemise-lin": "3231775643511089"}  # the mug goes to the fallback
    assert any("not in the connected catalog" in r for r in decision.reasons)
