"""Post → Publish…: choose targets and accounts, see every finding and what will happen, then queue.

Why the checker runs here on every change: the issue promises the user always knows what will
happen *before* it happens. `studio.publish.checker.check` is offline and instant, so each click
(platform, account, board, time) re-checks a *copy* of the post with the dialog's choices applied
and shows the findings grouped by severity, a Fix button where a finding carries a machine-readable
fix (emitted as `fixRequested(dict)` — the main window owns the commands that change the model),
and per platform what goes out ("Instagram: native product tags on 2 of 2 tags").

Anything slow or networked (Pinterest boards, creating a board, the dry-run preview, enqueuing,
which renders) runs through the `WorkerBridge` with a snapshot of the project; every one of those
job functions is injectable so tests need no network. The dialog never edits the model: a board
choice is handed back as `postEdited(post_after, undo_text)` before the post is queued, because the
outbox re-reads the post's Pinterest settings when it runs.
"""

from __future__ import annotations

import copy
import functools
import html
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.core.model import MediaKind, Post, Project
from studio.core.post_rules import enabled_platforms, post_media
from studio.core.progress import CancelToken, ProgressFn
from studio.core.workspace import Workspace
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.checker import ERROR, INFO, WARNING, CheckResult, Finding, Quota, UploadFile, check
from studio.publish.fallback import LABELED, AccountInfo, FallbackDecision, ReviewLookup, workspace_fallback
from studio.render.presets import BUILTIN_PRESETS
from studio.ui.document import Document
from studio.ui.workers import Job, WorkerBridge

PLATFORMS = ("instagram", "facebook", "pinterest")
TITLES = {"instagram": "Instagram", "facebook": "Facebook Page", "pinterest": "Pinterest"}
SEVERITY_TITLES = {ERROR: "Errors", WARNING: "Warnings", INFO: "Notes"}
#: Fixes the dialog handles itself (they are about its own choices, not the model).
LOCAL_FIXES = {"choose_account", "choose_board", "choose_target", "check_catalog"}
FINDING_ROLE = Qt.ItemDataRole.UserRole + 1

Board = tuple[str, str]  # (id, name)


# --- default jobs (plain functions: run in a worker, no Qt) -----------------------------------------


def _snapshot_workspace(root: Path, project: Project) -> Workspace:
    """A read-only Workspace over `root` holding the dialog's snapshot (unsaved edits included)."""
    return Workspace(Path(root), project, None)


def default_enqueue(
    root: Path,
    project: Project,
    post_id: str,
    targets: Sequence[str],
    accounts: Mapping[str, Account],
    at: float | None,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
) -> list[str]:
    """`studio.jobs.publish.enqueue_post` over a snapshot: renders, plans, writes the outbox jobs."""
    from studio.jobs.publish import enqueue_post

    progress(0, 1, "Rendering and queuing…")
    ws = _snapshot_workspace(root, project)
    try:
        return enqueue_post(ws, post_id, list(targets), accounts=dict(accounts), at=at)
    finally:
        ws.close()


def default_dry_run(
    root: Path,
    project: Project,
    post_id: str,
    targets: Sequence[str],
    accounts: Mapping[str, Account],
    at: float | None,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
) -> dict[str, Any]:
    """`studio.jobs.publish.dry_run` over a snapshot: the exact requests, secrets as ***."""
    from studio.jobs.publish import dry_run

    ws = _snapshot_workspace(root, project)
    try:
        return dry_run(ws, post_id, list(targets), dict(accounts), at=at)
    finally:
        ws.close()


def default_list_boards(
    registry: AccountRegistry, account: Account, *, progress: ProgressFn, cancel: CancelToken
) -> list[Board]:
    """The account's Pinterest boards (all pages), read with its (refreshed if needed) token."""
    from studio.publish.http import make_session
    from studio.publish.pinterest import PinterestClient

    session = make_session("pinterest", sandbox=account.sandbox)
    client = PinterestClient(session, registry.tokens(account).access_token, sandbox=account.sandbox)
    return [(b.id, b.name) for b in client.list_boards()]


def default_create_board(
    registry: AccountRegistry, account: Account, name: str, *, progress: ProgressFn, cancel: CancelToken
) -> Board:
    from studio.publish.http import make_session
    from studio.publish.pinterest import PinterestClient

    session = make_session("pinterest", sandbox=account.sandbox)
    client = PinterestClient(session, registry.tokens(account).access_token, sandbox=account.sandbox)
    board = client.create_board(name)
    return (board.id, board.name)


def default_read_quota(
    registry: AccountRegistry, account: Account, *, progress: ProgressFn, cancel: CancelToken
) -> Quota | None:
    """The Instagram account's remaining 24-hour publishing quota, read live (never hard-coded)."""
    from studio.publish.http import make_session
    from studio.publish.instagram import InstagramClient

    client = InstagramClient(
        make_session("instagram"), account.remote_id, registry.tokens(account).access_token
    )
    limit = client.publishing_limit()
    return Quota(limit.used, limit.total) if limit.total is not None else None


def planned_uploads(
    project: Project, post: Post, targets: Sequence[str]
) -> dict[tuple[str, str], UploadFile] | None:
    """The image files Publish will upload per platform, without rendering them.

    Mirrors `studio.jobs.publish.render_media`: every image of the post is rendered with the
    platform preset closest to the first image's aspect (its `aspect_preset`), so the dialog judges
    the same files `enqueue_post` will. None when the jobs module is not there (judge the sources).
    """
    try:
        from studio.jobs.publish import aspect_preset
    except ImportError:  # pragma: no cover
        return None
    images = [m for m in post_media(post, project) if m.kind is MediaKind.IMAGE]
    out: dict[tuple[str, str], UploadFile] = {}
    if not images:
        return out
    for platform in dict.fromkeys(t.split(".", 1)[0] for t in targets):
        preset = aspect_preset(platform, images[0].width, images[0].height)
        if preset is None:
            continue
        for m in images:
            size = min(m.size_bytes, preset.max_bytes) if preset.max_bytes else m.size_bytes
            out[(m.id, platform)] = UploadFile(
                m.path, preset.width, preset.height, size, preset.format, preset.name
            )
    return out


def default_check_catalog(
    root: Path,
    project: Project,
    post_id: str,
    registry: AccountRegistry,
    account: Account,
    *,
    progress: ProgressFn,
    cancel: CancelToken,
) -> dict[str, int]:
    """Look the post's tagged products up in the Instagram account's shop catalog (network)."""
    from studio.jobs.publish import default_clients_factory, refresh_catalog_links

    progress(0, 1, "Checking the products in the shop's catalog…")
    ws = _snapshot_workspace(root, project)
    try:
        return refresh_catalog_links(ws, post_id, {"instagram": account}, default_clients_factory(registry))
    finally:
        ws.close()


def _default_approved(doc: Document, account: Account | None) -> ReviewLookup | None:
    """The same "approved in the connected catalog" rule the publish job uses (so both agree)."""
    try:
        from studio.jobs.publish import default_approved as rule
    except ImportError:  # pragma: no cover - the jobs module is always there in a full install
        return None
    return rule(doc.workspace, account)


# --- words -------------------------------------------------------------------------------------------


def fix_label(fix: Mapping[str, Any]) -> str:
    """Button text for a machine-readable fix ("Re-render at 4:5", "Shorten caption", …)."""
    action = str(fix.get("action", ""))
    if action == "rerender":
        preset = next((p for p in BUILTIN_PRESETS if p.name == fix.get("preset")), None)
        if preset is not None:
            g = math.gcd(preset.width, preset.height)
            w, h = preset.width // g, preset.height // g
            ratio = f"{w}:{h}" if max(w, h) <= 20 else f"{preset.width / preset.height:.2f}:1"
            return f"Re-render at {ratio}"
        return "Re-render"
    if action == "trim_caption" and fix.get("field") == "description":
        return "Shorten description"
    words = {
        "trim_caption": "Shorten caption",
        "trim_title": "Shorten title",
        "trim_alt_text": "Shorten alt text",
        "remove_hashtags": "Remove hashtags",
        "remove_tags": "Remove tags",
        "remove_media": "Remove item",
        "transcode": "Convert video",
        "schedule_later": "Schedule later",
        "set_fallback": "Use labeled render",
        "check_catalog": "Check catalog",
    }
    return words.get(action, action.replace("_", " ").capitalize() or "Fix")


def fallback_words(decision: FallbackDecision) -> str:
    """ "labeled image + link to the first product + 2 product links in the caption"."""
    parts: list[str] = []
    if LABELED in decision.modes:
        parts.append("labeled image")
    if decision.pin_link_product:
        parts.append("link to the first product")
    if decision.link_products:
        text = "description" if decision.platform == "pinterest" else "caption"
        where = text if decision.links_in_caption else "first comment"
        parts.append(f"{len(decision.link_products)} product link(s) in the {where}")
    if decision.lost:
        parts.append(f"{len(decision.lost)} tag(s) carried by nothing")
    return " + ".join(parts) or "no fallback chosen"


def what_will_happen(platform: str, decision: FallbackDecision | None, sandbox: bool = False) -> str:
    """One line per platform: native tags vs. the fallback, in the user's words."""
    title = "Facebook" if platform == "facebook" else TITLES[platform]
    if sandbox:
        title += " (sandbox)"
    if decision is None:
        return f"{title}: cannot be published as chosen"
    total = len(decision.tags)
    if total == 0:
        return f"{title}: no product tags on this post"
    if decision.blocked:
        return f"{title}: {fallback_words(decision)} ({decision.blocked})"
    native = len(decision.native)
    text = f"{title}: native product tags on {native} of {total} tags"
    if native < total:
        text += f"; the others: {fallback_words(decision)}"
    return text


def finding_text(f: Finding) -> str:
    """The message without its "Post <id> → " prefix: the dialog is about that one post already."""
    prefix = f"Post {f.post_id} → "
    text = f.message[len(prefix) :] if f.message.startswith(prefix) else f.message
    if f.fix and f.fix.get("action") not in LOCAL_FIXES:
        text = text.split(". Fix: ", 1)[0]  # the Fix button says it (the tooltip keeps the whole text)
    return text


# --- the dialog -------------------------------------------------------------------------------------


class PublishDialog(QDialog):
    """See module doc."""

    fixRequested = Signal(dict)  # a finding's machine-readable fix, e.g. {"action": "rerender", ...}
    postEdited = Signal(object, str)  # the post with the dialog's Pinterest choices, undo text
    published = Signal(list)  # outbox job ids

    def __init__(
        self,
        post: Post,
        doc: Document,
        registry: AccountRegistry,
        bridge: WorkerBridge,
        *,
        quota: Mapping[str, Quota | None] | None = None,
        approved: Callable[[Account | None], ReviewLookup | None] | None = None,
        enqueue_fn: Callable[..., list[str]] = default_enqueue,
        dry_run_fn: Callable[..., dict[str, Any]] = default_dry_run,
        list_boards_fn: Callable[..., list[Board]] = default_list_boards,
        create_board_fn: Callable[..., Board] = default_create_board,
        read_quota_fn: Callable[..., Quota | None] | None = None,
        check_catalog_fn: Callable[..., dict[str, int]] | None = None,
        now: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Publish post {post.id}")
        self.resize(760, 640)
        self.post = post
        self.doc = doc
        self.registry = registry
        self.bridge = bridge
        self.quota: dict[str, Quota | None] = dict(quota or {})
        self._approved = approved or (lambda account: _default_approved(doc, account))
        self.enqueue_fn = enqueue_fn
        self.dry_run_fn = dry_run_fn
        self.list_boards_fn = list_boards_fn
        self.create_board_fn = create_board_fn
        self.read_quota_fn = read_quota_fn
        self.check_catalog_fn = check_catalog_fn
        self.now = now
        self.check_result: CheckResult = CheckResult()
        self.job: Job | None = None
        self._board_jobs: dict[str, Job] = {}
        self._build()
        self._load_accounts()
        self.recheck()
        self.refresh_quota()
        self.check_catalog()

    # --- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        targets = QGroupBox("Where")
        grid = QGridLayout(targets)
        self.platform_checks: dict[str, QCheckBox] = {}
        self.account_boxes: dict[str, QComboBox] = {}
        enabled_in_post = enabled_platforms(self.post)
        for row, platform in enumerate(PLATFORMS):
            check_box = QCheckBox(TITLES[platform])
            check_box.setChecked(platform in enabled_in_post)
            check_box.toggled.connect(lambda _on, p=platform: self._platform_toggled(p))
            accounts = QComboBox()
            accounts.currentIndexChanged.connect(lambda _i, p=platform: self._account_changed(p))
            self.platform_checks[platform] = check_box
            self.account_boxes[platform] = accounts
            grid.addWidget(check_box, row, 0)
            grid.addWidget(accounts, row, 1)
        settings = self.post.platforms.get("pinterest", {}) or {}
        self.board_box = QComboBox()
        self.board_box.setMinimumWidth(180)
        if settings.get("board_id"):
            self.board_box.addItem(
                str(settings.get("board") or settings["board_id"]), str(settings["board_id"])
            )
        self.board_box.currentIndexChanged.connect(lambda *_: self.recheck())
        self.board_status = QLabel()
        self.new_board = QLineEdit()
        self.new_board.setPlaceholderText("or type a new board name")
        self.create_board_button = QPushButton("Create board")
        self.create_board_button.clicked.connect(self.create_board)
        self.new_board.textChanged.connect(lambda *_: self._update_enabled())
        board_row = QHBoxLayout()
        board_row.addWidget(QLabel("Board"))
        board_row.addWidget(self.board_box, 1)
        board_row.addWidget(self.new_board, 1)
        board_row.addWidget(self.create_board_button)
        board_row.addWidget(self.board_status)
        grid.addLayout(board_row, len(PLATFORMS), 1)

        when = QGroupBox("When")
        when_row = QHBoxLayout(when)
        self.now_radio = QRadioButton("Publish now")
        self.at_radio = QRadioButton("At")
        self.now_radio.setChecked(True)
        self.when_edit = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(self.now()) + 3600))
        self.when_edit.setCalendarPopup(True)
        self.when_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when_edit.setEnabled(False)
        self.at_radio.toggled.connect(self.when_edit.setEnabled)
        self.at_radio.toggled.connect(lambda *_: self.recheck())
        self.when_edit.dateTimeChanged.connect(lambda *_: self.recheck())
        self.when_note = QLabel()
        when_row.addWidget(self.now_radio)
        when_row.addWidget(self.at_radio)
        when_row.addWidget(self.when_edit)
        when_row.addWidget(self.when_note, 1)

        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.findings_tree = QTreeWidget()
        self.findings_tree.setHeaderLabels(["Finding", "Fix"])
        self.findings_tree.setWordWrap(True)  # long findings wrap instead of hiding their fix
        header = self.findings_tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

        self.preview_text = QPlainTextEdit()
        self.preview_text.setReadOnly(True)
        self.preview_text.setPlaceholderText("Preview requests shows the exact requests (secrets as ***).")
        self.preview_text.setMinimumHeight(140)
        self.preview_text.hide()  # shown by Preview requests

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.preview_button = QPushButton("Preview requests")
        self.preview_button.clicked.connect(self.preview)
        self.publish_button = QPushButton("Publish")
        self.publish_button.setDefault(True)
        self.publish_button.clicked.connect(self.publish)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.publish_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(targets)
        layout.addWidget(when)
        layout.addWidget(QLabel("<b>What will happen</b>"))
        layout.addWidget(self.plan_label)
        layout.addWidget(self.findings_tree, 1)
        layout.addWidget(self.preview_text)
        layout.addLayout(buttons)

    def _load_accounts(self) -> None:
        try:
            accounts = self.registry.list()
        except StudioError as exc:
            accounts = []
            self._set_status(exc.message(), error=True)
        for platform in PLATFORMS:
            box = self.account_boxes[platform]
            box.blockSignals(True)
            box.clear()
            for account in (a for a in accounts if a.platform == platform):
                box.addItem(account.name + (" (sandbox)" if account.sandbox else ""), account.id)
            if box.count() == 0:
                box.addItem("no account connected (Settings → Accounts)", None)
            box.blockSignals(False)
        if self.platform_checks["pinterest"].isChecked():
            self.fetch_boards()

    # --- state ------------------------------------------------------------------------------------

    def targets(self) -> list[str]:
        return [p for p in PLATFORMS if self.platform_checks[p].isChecked()]

    def account_for(self, platform: str) -> Account | None:
        account_id = self.account_boxes[platform].currentData()
        return self.registry.find(str(account_id)) if account_id else None

    def accounts(self) -> dict[str, Account]:
        out: dict[str, Account] = {}
        for platform in self.targets():
            account = self.account_for(platform)
            if account is not None:
                out[platform] = account
        return out

    def chosen_board(self) -> Board | None:
        board_id = self.board_box.currentData()
        return (str(board_id), self.board_box.currentText()) if board_id else None

    def scheduled_at(self) -> float | None:
        return float(self.when_edit.dateTime().toSecsSinceEpoch()) if self.at_radio.isChecked() else None

    def post_for_check(self) -> Post:
        """The post as it would go out: a copy with the dialog's Pinterest board applied."""
        post = copy.deepcopy(self.post)
        board = self.chosen_board()
        if board is not None:
            settings = dict(post.platforms.get("pinterest") or {})
            settings["board_id"], settings["board"] = board
            post.platforms["pinterest"] = settings
        return post

    def project_snapshot(self) -> Project:
        project = copy.deepcopy(self.doc.project)
        post = self.post_for_check()
        project.posts = [post if p.id == post.id else p for p in project.posts]
        return project

    def set_post(self, post: Post) -> None:
        """The post changed in the model (e.g. a Fix was applied): re-check the new version."""
        self.post = post
        self.recheck()

    # --- checking ---------------------------------------------------------------------------------

    def recheck(self) -> None:
        """Run the offline checker on the current choices and refresh findings, plan and buttons."""
        targets = self.targets()
        post = self.post_for_check()
        project = self.doc.project
        infos: dict[str, AccountInfo | None] = {}
        approved: ReviewLookup | None = None
        for platform in targets:
            account = self.account_for(platform)
            infos[platform] = AccountInfo.from_account(account) if account is not None else None
            if platform == "instagram":
                approved = self._approved(account)
        planned = planned_uploads(project, post, targets)

        def run(uploads: Mapping[tuple[str, str], UploadFile] | None) -> CheckResult:
            return check(
                post,
                project,
                self.doc.catalog,
                targets,
                accounts_info=infos,
                quota=self.quota,
                uploads=uploads,
                approved=approved,
                prefs=workspace_fallback(project),
            )

        try:
            self.check_result = run(planned)
            if planned is not None:
                self.check_result.findings.extend(self._rerender_notes(run(None), planned))
        except StudioError as exc:
            self.check_result = CheckResult()
            self._set_status(exc.message(), error=True)
        self.check_result.findings.extend(self._time_findings(targets))
        self._show_findings(self.check_result.findings)
        self._show_plan(targets)
        self._update_enabled()

    def _rerender_notes(
        self, source: CheckResult, planned: Mapping[tuple[str, str], UploadFile]
    ) -> list[Finding]:
        """Source problems that Publish's own re-render solves, as notes that keep their Fix button.

        The user still learns the photo is cropped to fit (and can re-render it with their own
        crop), but a problem the publish job fixes by itself does not block Publish.
        """
        still = {(f.code, f.media_id, f.target) for f in self.check_result.findings}
        notes: list[Finding] = []
        for f in source.findings:
            if f.severity != ERROR or not f.fix or f.fix.get("action") != "rerender":
                continue
            if (f.code, f.media_id, f.target) in still:
                continue
            up = planned.get((f.media_id or "", f.platform))
            how = f"with the {up.preset} preset ({up.width}×{up.height})" if up else "at a supported size"
            text = f.message.split(". Fix:", 1)[0] + f" — Publish re-renders it {how}, cropping to fit"
            notes.append(
                Finding(
                    INFO,
                    f.code,
                    f.post_id,
                    f.platform,
                    f.target,
                    text,
                    f.media_id,
                    f.media_name,
                    f.tag_id,
                    f.product_id,
                    dict(f.fix),
                )
            )
        return notes

    def _time_findings(self, targets: Sequence[str]) -> list[Finding]:
        at = self.scheduled_at()
        self.when_note.setText("")
        if at is None:
            return []
        ahead = at - self.now()
        if ahead <= 0:
            return [
                Finding(
                    ERROR,
                    "schedule_past",
                    self.post.id,
                    "",
                    "",
                    "The chosen time is in the past: pick a later one",
                )
            ]
        notes = []
        if "facebook" in targets:
            from studio.publish.plan import FB_SCHEDULE_MAX_S, FB_SCHEDULE_MIN_S

            native = FB_SCHEDULE_MIN_S <= ahead <= FB_SCHEDULE_MAX_S
            notes.append(
                "Facebook schedules it itself" if native else "Facebook: sent by the app at that time"
            )
        if set(targets) - {"facebook"}:
            notes.append("the app publishes the rest at that time while it runs")
        self.when_note.setText("; ".join(notes))
        return []

    def findings(self, severity: str | None = None) -> list[Finding]:
        return [f for f in self.check_result.findings if severity is None or f.severity == severity]

    def _show_findings(self, findings: Sequence[Finding]) -> None:
        self.findings_tree.clear()
        self.fix_buttons: list[tuple[QPushButton, Finding]] = []
        for severity in (ERROR, WARNING, INFO):
            mine = [f for f in findings if f.severity == severity]
            if not mine:
                continue
            top = QTreeWidgetItem([f"{SEVERITY_TITLES[severity]} ({len(mine)})", ""])
            if severity == ERROR:
                top.setForeground(0, Qt.GlobalColor.red)
            self.findings_tree.addTopLevelItem(top)
            for f in mine:
                item = QTreeWidgetItem([finding_text(f), ""])
                item.setToolTip(0, f.message)
                item.setData(0, FINDING_ROLE, f.code)
                top.addChild(item)
                if f.fix:
                    button = QPushButton(self._fix_button_text(f.fix))
                    button.setObjectName(f"fix.{f.code}")
                    button.clicked.connect(lambda _c=False, fix=dict(f.fix): self._fix_clicked(fix))
                    self.findings_tree.setItemWidget(item, 1, button)
                    self.fix_buttons.append((button, f))
            top.setExpanded(True)
        if not findings:
            self.findings_tree.addTopLevelItem(QTreeWidgetItem(["No problems found", ""]))

    def _fix_button_text(self, fix: Mapping[str, Any]) -> str:
        action = fix.get("action")
        if action == "choose_account":
            return "Choose account"
        if action == "choose_board":
            return "Choose board"
        return fix_label(fix)

    def _fix_clicked(self, fix: dict[str, Any]) -> None:
        action = fix.get("action")
        if action == "choose_account":
            self.account_boxes.get(str(fix.get("platform")), self.account_boxes["instagram"]).setFocus()
            return
        if action == "choose_board":
            (self.board_box if self.board_box.count() else self.new_board).setFocus()
            return
        if action == "refresh_quota" and self.read_quota_fn is not None:
            self.refresh_quota()
            return
        if action == "check_catalog":
            self.check_catalog()
            return
        if action in LOCAL_FIXES:
            return
        self.fixRequested.emit(dict(fix))

    def plan_lines(self) -> list[str]:
        return self.plan_label.text().split("<br>") if self.plan_label.text() else []

    def _show_plan(self, targets: Sequence[str]) -> None:
        lines: list[str] = []
        for platform in targets:
            decision = next((d for d in self.check_result.decisions.values() if d.platform == platform), None)
            account = self.account_for(platform)
            lines.append(what_will_happen(platform, decision, sandbox=bool(account and account.sandbox)))
        self.plan_label.setText("<br>".join(html.escape(line) for line in lines) or "Choose a platform.")

    def _update_enabled(self) -> None:
        busy = self.job is not None
        targets = self.targets()
        errors = self.findings(ERROR)
        pinterest = "pinterest" in targets
        for box in (self.board_box, self.new_board):
            box.setEnabled(pinterest and not busy)
        self.create_board_button.setEnabled(
            pinterest
            and not busy
            and bool(self.new_board.text().strip())
            and self.account_for("pinterest") is not None
        )
        ok = bool(targets) and not errors and not busy
        self.publish_button.setEnabled(ok)
        self.preview_button.setEnabled(bool(targets) and not busy)
        if busy:
            return
        if not targets:
            self._set_status("Choose at least one platform.")
        elif errors:
            self._set_status(f"{len(errors)} error(s) to fix before publishing.", error=True)
        else:
            self._set_status("Ready to publish.")

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #d32f2f;" if error else "")

    # --- gestures ---------------------------------------------------------------------------------

    def _platform_toggled(self, platform: str) -> None:
        if platform == "instagram" and "instagram" not in self.quota:
            self.refresh_quota()
        if (
            platform == "pinterest"
            and self.platform_checks[platform].isChecked()
            and self.board_box.count() == 0
        ):
            self.fetch_boards()
        self.recheck()

    def _account_changed(self, platform: str) -> None:
        if platform == "pinterest" and self.platform_checks[platform].isChecked():
            self.fetch_boards()
        if platform == "instagram":
            self.quota.pop("instagram", None)
            self.refresh_quota()
            self.check_catalog()
        self.recheck()

    def refresh_quota(self) -> None:
        """Read the chosen Instagram account's publishing quota in a worker (`read_quota_fn`)."""
        account = self.account_for("instagram")
        if self.read_quota_fn is None or account is None or not self.platform_checks["instagram"].isChecked():
            return
        self._board_jobs["quota"] = self.bridge.submit(
            self.read_quota_fn,
            self.registry,
            account,
            label="Instagram quota",
            on_result=functools.partial(self._quota_read, account.id),
            on_error=self._quota_failed,
        )

    def check_catalog(self) -> None:
        """Look the tagged products up in the chosen Instagram account's catalog, then check again:
        which go natively (under Meta's ids) and which go to the fallback is then known, not assumed."""
        account = self.account_for("instagram")
        if (
            self.check_catalog_fn is None
            or account is None
            or not self.platform_checks["instagram"].isChecked()
        ):
            return
        self._board_jobs["catalog"] = self.bridge.submit(
            self.check_catalog_fn,
            self.doc.workspace.root,
            copy.deepcopy(self.doc.project),
            self.post.id,
            self.registry,
            account,
            label="Shop catalog",
            on_result=lambda _found: (self._board_jobs.pop("catalog", None), self.recheck()),
            on_error=lambda error: (
                self._board_jobs.pop("catalog", None),
                self._set_status(f"The shop's catalog could not be checked: {error.message()}", error=True),
            ),
        )

    def _quota_read(self, account_id: str, quota: Quota | None) -> None:
        self._board_jobs.pop("quota", None)
        if self.account_boxes["instagram"].currentData() == account_id and quota is not None:
            self.quota["instagram"] = quota
            self.recheck()

    def fetch_boards(self) -> None:
        """Read the chosen Pinterest account's boards in a worker; the list fills when they arrive."""
        account = self.account_for("pinterest")
        if account is None:
            return
        previous = self._board_jobs.pop("list", None)
        if previous is not None:
            previous.cancel()
        self.board_status.setText("loading boards…")
        self._board_jobs["list"] = self.bridge.submit(
            self.list_boards_fn,
            self.registry,
            account,
            label="Pinterest boards",
            on_result=functools.partial(self._boards_loaded, account.id),
            on_error=self._boards_failed,
        )

    def _boards_loaded(self, account_id: str, boards: list[Board]) -> None:
        self._board_jobs.pop("list", None)
        if self.account_boxes["pinterest"].currentData() != account_id:
            return  # the user switched accounts meanwhile: a newer fetch is on its way
        current = self.board_box.currentData()
        self.board_box.blockSignals(True)
        self.board_box.clear()
        for board_id, name in boards:
            self.board_box.addItem(name, board_id)
        index = self.board_box.findData(current) if current else -1
        self.board_box.setCurrentIndex(index if index >= 0 else (0 if boards else -1))
        self.board_box.blockSignals(False)
        self.board_status.setText("" if boards else "no boards yet: create one")
        self.recheck()

    def _quota_failed(self, error: StudioError) -> None:
        """The quota stays unknown (the checker keeps its note); the reason goes to the status line."""
        self._board_jobs.pop("quota", None)
        self._set_status(error.message(), error=True)

    def _boards_failed(self, error: StudioError) -> None:
        self._board_jobs.pop("list", None)
        self._board_jobs.pop("create", None)
        self.board_status.setText("boards could not be read")
        self._set_status(error.message(), error=True)

    def create_board(self) -> None:
        account = self.account_for("pinterest")
        name = self.new_board.text().strip()
        if account is None or not name:
            return
        existing = next(
            (
                i
                for i in range(self.board_box.count())
                if self.board_box.itemText(i).casefold() == name.casefold()
            ),
            None,
        )
        if existing is not None:  # creating is not idempotent on Pinterest: never make a second one
            self.board_box.setCurrentIndex(existing)
            self.new_board.clear()
            return
        self.board_status.setText("creating board…")
        self.create_board_button.setEnabled(False)
        self._board_jobs["create"] = self.bridge.submit(
            self.create_board_fn,
            self.registry,
            account,
            name,
            label="Create Pinterest board",
            on_result=self._board_created,
            on_error=self._boards_failed,
        )

    def _board_created(self, board: Board) -> None:
        self._board_jobs.pop("create", None)
        self.board_box.addItem(board[1], board[0])
        self.board_box.setCurrentIndex(self.board_box.count() - 1)
        self.new_board.clear()
        self.board_status.setText("")

    def preview(self) -> None:
        """Dry-run in a worker: the exact requests per target, secrets as ***."""
        if self.job is not None or not self.targets():
            return
        self.preview_text.setPlainText("Preparing the preview…")
        self.preview_text.show()
        self._start(
            self.dry_run_fn,
            "Preview requests",
            on_result=self._previewed,
        )

    def _previewed(self, report: dict[str, Any]) -> None:
        self._job_done()
        lines: list[str] = []
        for target in report.get("targets", []):
            lines += list(target.get("lines") or [f"{target.get('target')}: not planned (see the findings)"])
            lines += [f"  fallback: {reason}" for reason in target.get("fallback") or []]
            lines.append("")
        if not report.get("ok", True):
            errors = [f["message"] for f in report.get("findings", []) if f.get("severity") == ERROR]
            lines += ["Blocked by:"] + [f"  {m}" for m in errors]
        self.preview_text.setPlainText("\n".join(lines).strip() or "Nothing would be sent.")

    def publish(self) -> None:
        """Hand the board choice back to the model, then enqueue in a worker and report."""
        self.recheck()
        if not self.publish_button.isEnabled():
            return
        post = self.post_for_check()
        if post.platforms != self.post.platforms:
            self.postEdited.emit(post, "Choose Pinterest board")
            self.post = post
        self._start(self.enqueue_fn, "Publishing", on_result=self._queued)
        self._set_status("Rendering and queuing…")

    def _start(self, fn: Callable[..., Any], label: str, *, on_result: Callable[[Any], None]) -> None:
        self.job = self.bridge.submit(
            fn,
            self.doc.workspace.root,
            self.project_snapshot(),
            self.post.id,
            self.targets(),
            self.accounts(),
            self.scheduled_at(),
            label=label,
            on_result=on_result,
            on_error=self._job_failed,
            on_cancelled=self._job_done,
        )
        self._update_enabled()

    def _job_done(self) -> None:
        self.job = None
        self._update_enabled()

    def _queued(self, job_ids: list[str]) -> None:
        self._job_done()
        when = "at the chosen time" if self.scheduled_at() is not None else "now"
        self._set_status(f"Queued {len(job_ids)} job(s); the outbox publishes them {when}.")
        self.publish_button.setEnabled(False)  # queued once: another click would only find the same jobs
        self.published.emit(list(job_ids))

    def _job_failed(self, error: StudioError) -> None:
        self._job_done()
        blocked = getattr(error, "findings", None)
        if blocked:
            self.check_result.findings = list(blocked)
            self._show_findings(self.check_result.findings)
            self.publish_button.setEnabled(False)
        self._set_status(error.message(), error=True)

    def reject(self) -> None:
        for job in [self.job, *self._board_jobs.values()]:
            if job is not None:
                job.cancel()
        super().reject()
