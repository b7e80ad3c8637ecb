"""The one registry of the studio's actions: menus, toolbar and the shortcut list come from here.

Why a table: the keyboard shortcut list (Help → Keyboard shortcuts) must never drift from what
the keys really do, so both the QActions and the dialog are generated from `ACTIONS`. Each entry
names a handler method on the main window; `build_actions` resolves it (a missing handler is a
bug caught by the tests), so adding an action is one line here plus one method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar

MENUS = ("File", "Edit", "View", "Video", "Post", "Settings", "Help")
MENU_TITLES = {m: f"&{m}" for m in MENUS}


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One user command: where it appears, its keys, and the window method that runs it."""

    id: str
    text: str  # menu text; "&" marks the Alt mnemonic
    menu: str
    handler: str  # method name on the window; checkable actions receive the checked state
    shortcuts: tuple[str, ...] = ()
    toolbar: bool = False
    checkable: bool = False
    separator_before: bool = False
    tip: str = ""
    group: str = ""  # exclusive group (tools)

    @property
    def plain_text(self) -> str:
        return self.text.replace("&", "").rstrip("…").strip()


A = ActionSpec
ACTIONS: tuple[ActionSpec, ...] = (
    # File
    A("file.new", "&New workspace…", "File", "new_workspace_dialog", ("Ctrl+N",)),
    A("file.open", "&Open workspace…", "File", "open_workspace_dialog", ("Ctrl+O",), toolbar=True),
    A(
        "file.import_catalog",
        "&Import catalog…",
        "File",
        "import_catalog_dialog",
        ("Ctrl+Shift+I",),
        separator_before=True,
    ),
    A(
        "file.stale_prices",
        "Old &prices…",
        "File",
        "stale_prices_dialog",
        tip="Exports and published posts that show an old price or a sold-out product",
    ),
    A("file.add_media", "&Add media…", "File", "add_media_dialog", ("Ctrl+I",), toolbar=True),
    A("file.add_folder", "Add &folder…", "File", "add_folder_dialog", ("Ctrl+Alt+I",)),
    A("file.save", "&Save", "File", "save", ("Ctrl+S",), toolbar=True, separator_before=True),
    A("file.export", "&Export…", "File", "export_dialog", ("Ctrl+E",)),
    A(
        "file.crop_sizes",
        "&Crop for sizes…",
        "File",
        "crop_dialog",
        ("Ctrl+Shift+R",),
        tip="See and move the crop each export size takes of the open photo",
    ),
    A("file.quit", "&Quit", "File", "close", ("Ctrl+Q",), separator_before=True),
    # Edit
    A("edit.undo", "&Undo", "Edit", "undo", ("Ctrl+Z",), toolbar=True),
    A("edit.redo", "&Redo", "Edit", "redo", ("Ctrl+Shift+Z", "Ctrl+Y"), toolbar=True),
    A("edit.copy", "&Copy tags", "Edit", "copy_tags", ("Ctrl+C",), separator_before=True),
    A(
        "edit.paste",
        "&Paste tags",
        "Edit",
        "paste_tags",
        ("Ctrl+V",),
        tip="Paste onto the open media, or onto every media selected in the library",
    ),
    A("edit.delete", "&Delete", "Edit", "delete_selected", ("Delete", "Backspace")),
    A("edit.select_all", "Select &all", "Edit", "select_all_tags", ("Ctrl+A",)),
    A(
        "vision.shop",
        "Shop the &look",
        "Edit",
        "shop_the_look",
        ("Ctrl+L",),
        toolbar=True,
        separator_before=True,
        tip="Find buyable items on the open photo (or the selected photos) and suggest catalog products",
    ),
    A(
        "edit.label_style",
        "&Label style…",
        "Edit",
        "label_style_dialog",
        ("Ctrl+Shift+L",),
        separator_before=True,
    ),
    # View
    A("view.zoom_in", "Zoom &in", "View", "zoom_in", ("Ctrl+=", "Ctrl++")),
    A("view.zoom_out", "Zoom &out", "View", "zoom_out", ("Ctrl+-",)),
    A("view.fit", "&Fit", "View", "zoom_fit", ("Ctrl+0", "F"), toolbar=True),
    A("view.actual_size", "&100 %", "View", "zoom_actual", ("Ctrl+1",)),
    A(
        "view.tag_tool",
        "&Tag tool",
        "View",
        "use_tag_tool",
        ("T",),
        toolbar=True,
        checkable=True,
        separator_before=True,
        group="tools",
        tip="Click to place a point tag, drag for a box tag",
    ),
    A(
        "view.select_tool",
        "Se&lect tool",
        "View",
        "use_select_tool",
        ("V",),
        toolbar=True,
        checkable=True,
        group="tools",
        tip="Select, move and resize tags",
    ),
    A("view.find_media", "Find &media", "View", "focus_media_search", ("Ctrl+F",), separator_before=True),
    A("view.find_product", "Find &product", "View", "focus_product_search", ("Ctrl+Shift+F",)),
    A(
        "view.show_library",
        "Show &library",
        "View",
        "toggle_library",
        ("Ctrl+Alt+1",),
        checkable=True,
        separator_before=True,
    ),
    A("view.show_inspector", "Show i&nspector", "View", "toggle_inspector", ("Ctrl+Alt+2",), checkable=True),
    A("view.show_catalog", "Show &catalog", "View", "toggle_catalog", ("Ctrl+Alt+3",), checkable=True),
    A("view.show_posts", "Show &posts", "View", "toggle_posts", ("Ctrl+Alt+4",), checkable=True),
    A("view.show_history", "Show undo &history", "View", "toggle_history", ("Ctrl+Alt+5",), checkable=True),
    A("view.show_outbox", "Show o&utbox", "View", "toggle_outbox", ("Ctrl+Alt+6",), checkable=True),
    A("view.show_insights", "Show insi&ghts", "View", "toggle_insights", ("Ctrl+Alt+7",), checkable=True),
    A(
        "view.show_catalog_sync",
        "Show catalog s&ync",
        "View",
        "toggle_catalog_sync",
        ("Ctrl+Alt+8",),
        checkable=True,
    ),
    # Video
    # Space is also the canvas's pan key while the canvas has focus; P always plays.
    A("video.play", "&Play / Pause", "Video", "play_pause", ("Space", "P"), toolbar=True),
    A("video.next_frame", "&Next frame", "Video", "next_frame", (".",)),
    A("video.prev_frame", "P&revious frame", "Video", "prev_frame", (",",)),
    A(
        "video.add_keyframe",
        "Add &keyframe",
        "Video",
        "add_keyframe",
        ("K",),
        tip="Record the selected tags' positions at the playhead",
    ),
    A(
        "vision.track",
        "&Track tags",
        "Video",
        "track_tags",
        ("Ctrl+Shift+K",),
        tip="Follow the selected tags through the video; the tag ends where the item is lost",
    ),
    # Post
    A(
        "post.new",
        "&New post from selection",
        "Post",
        "new_post_from_selection",
        ("Ctrl+Shift+P",),
        tip="Group the media selected in the library into a post",
    ),
    A(
        "post.publish",
        "P&ublish…",
        "Post",
        "publish_dialog",
        ("Ctrl+Shift+U",),
        separator_before=True,
        tip="Check the selected post for each platform and publish it (now or at a time)",
    ),
    # Settings
    A(
        "settings.accounts",
        "&Accounts…",
        "Settings",
        "accounts_dialog",
        ("Ctrl+,",),
        tip="Connect Instagram, Facebook Page and Pinterest accounts",
    ),
    # Help
    A("help.shortcuts", "&Keyboard shortcuts", "Help", "show_shortcuts", ("F1", "Ctrl+/")),
    A("help.about", "&About Shoppable Studio", "Help", "show_about"),
)
del A

SPECS_BY_ID = {spec.id: spec for spec in ACTIONS}

#: Keys the tagging canvas handles itself while it has focus (gestures, not menu commands). They are
#: listed here so the Help table stays the one place that documents every key.
CANVAS_KEYS: tuple[tuple[str, str], ...] = (
    ("Place a point tag / a box tag (Tag tool)", "Click / drag"),
    ("Nudge the selected tags", "Arrows (Shift: 10×)"),
    ("Choose the product of the selected tag", "Enter"),
    ("Delete the selected tags", "Del, Backspace"),
    ("Deselect, or cancel a drag", "Esc"),
    ("Pan", "Space + drag, middle button"),
    ("Zoom around the cursor", "Mouse wheel"),
    ("Add a keyframe at the playhead (video)", "K"),
    ("Accept the highlighted suggestion (Shop the look)", "Enter"),
    ("Another suggested product / next box", "↑ ↓ / Tab"),
    ("Dismiss a suggestion (remembered)", "Esc"),
)


def portable_keys(spec: ActionSpec) -> list[str]:
    """The shortcuts normalised by Qt (so "Ctrl+=" and "ctrl+=" compare equal)."""
    return [QKeySequence(s).toString(QKeySequence.SequenceFormat.PortableText) for s in spec.shortcuts]


def shortcut_rows(
    specs: Iterable[ActionSpec] = ACTIONS, canvas_keys: Iterable[tuple[str, str]] = CANVAS_KEYS
) -> list[tuple[str, str, str]]:
    """(menu, action, keys as shown on this platform) — the Help table's rows."""
    rows = []
    for spec in specs:
        keys = ", ".join(
            QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in spec.shortcuts
        )
        rows.append((spec.menu, spec.plain_text, keys))
    rows += [("Canvas", what, keys) for what, keys in canvas_keys]
    return rows


def build_actions(owner: QObject, handlers: Any, specs: Iterable[ActionSpec] = ACTIONS) -> dict[str, QAction]:
    """Create one QAction per spec, parented to `owner` and wired to `handlers.<spec.handler>`."""
    actions: dict[str, QAction] = {}
    groups: dict[str, QActionGroup] = {}
    for spec in specs:
        handler: Callable[..., Any] | None = getattr(handlers, spec.handler, None)
        if handler is None or not callable(handler):
            raise AttributeError(f"action {spec.id}: no handler {type(handlers).__name__}.{spec.handler}")
        action = QAction(spec.text, owner)
        action.setObjectName(spec.id)
        action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(spec.checkable)
        tip = spec.tip or spec.plain_text
        if spec.shortcuts:
            native = QKeySequence(spec.shortcuts[0]).toString(QKeySequence.SequenceFormat.NativeText)
            tip = f"{tip} ({native})"
        action.setToolTip(tip)
        action.setStatusTip(spec.tip or spec.plain_text)
        if spec.group:
            group = groups.get(spec.group)
            if group is None:
                group = groups[spec.group] = QActionGroup(owner)
                group.setExclusive(True)
            group.addAction(action)
        if spec.checkable:
            action.toggled.connect(handler)
        else:
            action.triggered.connect(lambda _checked=False, h=handler: h())
        actions[spec.id] = action
    return actions


def build_menus(
    menubar: QMenuBar,
    actions: dict[str, QAction],
    specs: Iterable[ActionSpec] = ACTIONS,
    submenus_after: dict[str, QMenu] | None = None,
) -> dict[str, QMenu]:
    """One menu per MENUS entry; `submenus_after[action_id]` is inserted after that action."""
    menus = {name: menubar.addMenu(MENU_TITLES[name]) for name in MENUS}
    for spec in specs:
        menu = menus[spec.menu]
        if spec.separator_before:
            menu.addSeparator()
        menu.addAction(actions[spec.id])
        if submenus_after and spec.id in submenus_after:
            menu.addMenu(submenus_after[spec.id])
    return menus


def build_toolbar(
    toolbar: QToolBar, actions: dict[str, QAction], specs: Iterable[ActionSpec] = ACTIONS
) -> None:
    menu = None
    for spec in specs:
        if not spec.toolbar:
            continue
        if menu is not None and spec.menu != menu:
            toolbar.addSeparator()
        menu = spec.menu
        toolbar.addAction(actions[spec.id])
