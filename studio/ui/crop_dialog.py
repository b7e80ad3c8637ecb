"""Crop for sizes: see and move the crop each export size takes of one photo.

Why a dialog of its own: the export crops every photo around a focal point (the tags' bounding-box
centre by default, `studio.render.fit.auto_focus`), and a tag the crop cuts off is only reported
after the fact. Here the user sees, per preset, the exact window `plan_fit` will cut (the same
function the export calls, so they cannot disagree), drags it, and watches which tags — by
product title — fall outside, live. OK stores all the moved crops as ONE undo step in
`Project.extra["focus"]`; Cancel changes nothing (the dialog edits a private copy).
"""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import StudioError
from studio.core.geometry import clamp01
from studio.core.model import MediaKind, Tag
from studio.render.fit import FOCUS_KEY, FitPlan, auto_focus, plan_fit, remap_tags, user_focus
from studio.render.presets import BUILTIN_PRESETS, ExportPreset, all_presets
from studio.ui import commands
from studio.ui.document import Document
from studio.ui.qimage import pil_to_qimage

PREVIEW_SIDE = 1200
DIRECT_LOAD_PIXELS = 4_000_000  # below this, decoding on the GUI thread is a few milliseconds
DIM = QColor(0, 0, 0, 150)


def load_preview(path: str | Path, progress: Any = None, cancel: Any = None) -> Image.Image:
    """Worker-side decode (upright, sRGB, at most PREVIEW_SIDE): the Qt image is made on the GUI
    thread, because QPixmap may only be created there."""
    from studio.media.images import open_image

    return open_image(path, max_side=PREVIEW_SIDE)


class CropView(QWidget):
    """The photo with the preset's crop drawn over it (outside dimmed), or its letterboxed frame.

    A drag moves the crop by the mouse's travel (not to the cursor), so grabbing the window
    anywhere never makes it jump; `focusDragged` reports the new centre in normalized source
    coordinates, and the dialog decides what the crop becomes (clamped to the image).
    """

    focusDragged = Signal(float, float)
    dragFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.pixmap: QPixmap | None = None
        self.src_size = (1, 1)
        self.plan: FitPlan | None = None
        self.letterbox = False
        self.tags: list[Tag] = []
        self.outside_ids: set[str] = set()
        self._drag: tuple[QPointF, tuple[float, float]] | None = None

    def show_plan(self, plan: FitPlan, letterbox: bool, tags: list[Tag], outside_ids: set[str]) -> None:
        self.plan, self.letterbox, self.tags, self.outside_ids = plan, letterbox, tags, outside_ids
        self.update()

    def image_rect(self) -> QRectF:
        """Where the whole photo is drawn (letterbox: inside the output frame)."""
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        sw, sh = self.src_size
        if self.letterbox and self.plan is not None:
            ow, oh = self.plan.out_size
            frame = _fit_rect(area, ow, oh)
            f = self.plan.frame
            return QRectF(
                frame.x() + f[0] * frame.width(),
                frame.y() + f[1] * frame.height(),
                (f[2] - f[0]) * frame.width(),
                (f[3] - f[1]) * frame.height(),
            )
        return _fit_rect(area, sw, sh)

    def frame_rect(self) -> QRectF:
        """The output frame on screen (letterbox) or the crop window over the photo."""
        img = self.image_rect()
        if self.plan is None:
            return img
        if self.letterbox:
            return _fit_rect(QRectF(self.rect()).adjusted(8, 8, -8, -8), *self.plan.out_size)
        c = self.plan.crop
        return QRectF(
            img.x() + c.x0 * img.width(),
            img.y() + c.y0 * img.height(),
            (c.x1 - c.x0) * img.width(),
            (c.y1 - c.y0) * img.height(),
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().window())
        img, frame = self.image_rect(), self.frame_rect()
        if self.letterbox:
            p.fillRect(frame, QColor(40, 40, 40))  # the bars (the real fill is blur or a colour)
        if self.pixmap is not None:
            p.drawPixmap(img, self.pixmap, QRectF(self.pixmap.rect()))
        else:
            p.fillRect(img, QColor(90, 90, 90))
        if not self.letterbox:
            for part in _outside(img, frame):
                p.fillRect(part, DIM)
        p.setPen(QPen(QColor(255, 200, 60), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(frame)
        for tag in self.tags:
            centre = QPointF(img.x() + tag.x * img.width(), img.y() + tag.y * img.height())
            colour = QColor(230, 60, 60) if tag.id in self.outside_ids else QColor(60, 200, 90)
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.setBrush(colour)
            p.drawEllipse(centre, 6, 6)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.letterbox or self.plan is None:
            return
        if not self.image_rect().contains(event.position()):
            return
        c = self.plan.crop
        self._drag = (event.position(), ((c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2))
        self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            return
        start, (fx, fy) = self._drag
        img = self.image_rect()
        dx = (event.position().x() - start.x()) / max(1.0, img.width())
        dy = (event.position().y() - start.y()) / max(1.0, img.height())
        self.focusDragged.emit(clamp01(fx + dx), clamp01(fy + dy))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self.mouseMoveEvent(event)
            self._drag = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            self.dragFinished.emit()


def _fit_rect(area: QRectF, w: float, h: float) -> QRectF:
    scale = min(area.width() / max(1.0, w), area.height() / max(1.0, h))
    dw, dh = w * scale, h * scale
    return QRectF(area.x() + (area.width() - dw) / 2, area.y() + (area.height() - dh) / 2, dw, dh)


def _outside(img: QRectF, crop: QRectF) -> list[QRectF]:
    """The (up to four) parts of the photo outside the crop window, to be dimmed."""
    return [
        r
        for r in (
            QRectF(img.left(), img.top(), img.width(), crop.top() - img.top()),
            QRectF(img.left(), crop.bottom(), img.width(), img.bottom() - crop.bottom()),
            QRectF(img.left(), crop.top(), crop.left() - img.left(), crop.height()),
            QRectF(crop.right(), crop.top(), img.right() - crop.right(), crop.height()),
        )
        if r.width() > 0.5 and r.height() > 0.5
    ]


class CropDialog(QDialog):
    """Per-preset crop of one photo. `bridge` (a WorkerBridge) decodes big photos off the GUI thread."""

    def __init__(
        self,
        doc: Document,
        media_id: str,
        parent: QWidget | None = None,
        *,
        preset: str | None = None,
        bridge: Any = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.media = doc.media(media_id)
        if self.media.kind != MediaKind.IMAGE:
            raise StudioError("Crop for sizes works on photos", hint="open a photo, then try again")
        self.setWindowTitle(f"Crop for sizes — {self.media.name or Path(self.media.path).name}")
        try:
            self.presets = all_presets(doc.project)
        except StudioError:  # a broken user preset must not hide the built-in sizes
            self.presets = {p.name: p for p in BUILTIN_PRESETS}
        self.src_size = (max(1, self.media.width), max(1, self.media.height))
        # The private working copy: preset name -> override (None = automatic). Cancel drops it.
        self.overrides: dict[str, tuple[float, float] | None] = {
            name: user_focus(doc.project, media_id, name) for name in self.presets
        }

        self.preset_box = QComboBox()
        for name, p in self.presets.items():
            self.preset_box.addItem(f"{p.title}  ({p.width}×{p.height}, {p.fit})", name)
        self.view = CropView()
        self.view.src_size = self.src_size
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.tag_list = QListWidget()
        self.tag_list.setMinimumWidth(220)
        self.reset_button = QPushButton("Reset to automatic")
        self.reset_button.setToolTip("Centre the crop on the tags again (the default)")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )

        side = QVBoxLayout()
        side.addWidget(QLabel("Tags"))
        side.addWidget(self.tag_list, 1)
        side.addWidget(self.reset_button)
        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addLayout(side)
        top = QHBoxLayout()
        top.addWidget(QLabel("Size"))
        top.addWidget(self.preset_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.resize(900, 640)

        self.preset_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.view.focusDragged.connect(self.move_focus)
        self.reset_button.clicked.connect(self.reset_focus)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        if preset and preset in self.presets:
            self.preset_box.setCurrentIndex(list(self.presets).index(preset))
        self._load_preview(bridge)
        self.refresh()

    # --- reading ----------------------------------------------------------------------------

    @property
    def preset(self) -> ExportPreset:
        return self.presets[str(self.preset_box.currentData())]

    def focus(self, preset: str | None = None) -> tuple[float, float]:
        """The crop centre the export would use for this preset with the dialog's edits."""
        p = self.presets[preset] if preset else self.preset
        return self.overrides.get(p.name) or auto_focus(self.src_size, p, self.media.tags)

    def plan(self) -> FitPlan:
        return plan_fit(self.src_size, self.preset, self.focus())

    def outside_tags(self) -> list[Tag]:
        return remap_tags(self.media.tags, self.plan()).outside

    def tag_title(self, tag: Tag) -> str:
        product = self.doc.product(tag.product_id) if tag.product_id else None
        return product.title if product is not None else "Tag without product"

    def outside_titles(self) -> list[str]:
        """What the list reports as cut off by the crop, by product title."""
        return [self.tag_title(t) for t in self.outside_tags()]

    def result_focus_table(self) -> dict[str, Any]:
        """The new `Project.extra["focus"]`: this media's entries replaced by the dialog's."""
        table = copy.deepcopy(self.doc.project.extra.get(FOCUS_KEY) or {})
        if not isinstance(table, dict):
            table = {}
        mine = {name: [round(f[0], 6), round(f[1], 6)] for name, f in self.overrides.items() if f is not None}
        old = table.get(self.media.id)
        if isinstance(old, dict):  # keep entries for presets this workspace no longer has
            mine = {**{k: v for k, v in old.items() if k not in self.presets}, **mine}
        if mine:
            table[self.media.id] = mine
        else:
            table.pop(self.media.id, None)
        return table

    # --- editing (the private copy) ---------------------------------------------------------

    def move_focus(self, x: float, y: float) -> None:
        """Drag: the crop follows, clamped to the image; the stored centre is the crop's own."""
        preset = self.preset
        if preset.fit != "crop":
            return
        crop = plan_fit(self.src_size, preset, (clamp01(x), clamp01(y))).crop
        self.overrides[preset.name] = ((crop.x0 + crop.x1) / 2, (crop.y0 + crop.y1) / 2)
        self.refresh()

    def reset_focus(self) -> None:
        self.overrides[self.preset.name] = None
        self.refresh()

    def refresh(self) -> None:
        preset = self.preset
        plan = self.plan()
        letterbox = preset.fit != "crop"
        outside = remap_tags(self.media.tags, plan).outside
        outside_ids = {t.id for t in outside}
        self.view.show_plan(plan, letterbox, self.media.tags, outside_ids)
        self.tag_list.clear()
        for tag in self.media.tags:
            cut = tag.id in outside_ids
            item = QListWidgetItem(("✗ " if cut else "✓ ") + self.tag_title(tag))
            item.setData(Qt.ItemDataRole.UserRole, tag.id)
            item.setToolTip("Outside the crop: move the crop to keep it" if cut else "Inside the crop")
            if cut:
                item.setForeground(QColor(200, 40, 40))
            self.tag_list.addItem(item)
        self.reset_button.setEnabled(not letterbox and self.overrides.get(preset.name) is not None)
        if letterbox:
            self.note.setText(
                f"{preset.title} letterboxes: the whole photo is kept inside the frame "
                f"({'blurred' if preset.fill == 'blur' else preset.fill} bars), so there is no crop to move."
            )
        elif outside:
            names = ", ".join(self.tag_title(t) for t in outside)
            self.note.setText(f"Outside the crop: {names}. Drag the picture to move the crop.")
        elif not self.media.tags:
            self.note.setText("No tags on this photo. Drag the picture to move the crop.")
        else:
            auto = "automatic" if self.overrides.get(preset.name) is None else "moved by you"
            self.note.setText(f"Every tag is inside the crop ({auto}). Drag the picture to move it.")

    # --- preview ----------------------------------------------------------------------------

    def _load_preview(self, bridge: Any) -> None:
        ws = self.doc.workspace
        path = ws.media_path(self.media)
        if bridge is not None and self.media.width * self.media.height > DIRECT_LOAD_PIXELS:
            self.note.setText("Loading the photo…")
            bridge.submit(load_preview, path, label="crop preview", on_result=self._preview_loaded)
            return
        # A missing or broken file: the crop still shows on a grey stand-in (the library reports it).
        with contextlib.suppress(OSError, StudioError, ValueError):
            self._preview_loaded(load_preview(path))

    def _preview_loaded(self, img: Image.Image) -> None:
        self.view.pixmap = QPixmap.fromImage(pil_to_qimage(img))
        self.view.update()

    # --- OK ---------------------------------------------------------------------------------

    def accept(self) -> None:
        """One undo step for every crop moved in this dialog (none if nothing changed)."""
        table = self.result_focus_table()
        current = self.doc.project.extra.get(FOCUS_KEY)
        if table != (current or {}):
            commands.set_extra(self.doc, FOCUS_KEY, table or None, "Move crop")
        super().accept()
