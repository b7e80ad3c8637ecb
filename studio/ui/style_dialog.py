"""The workspace label style dialog: default preset, colours, font, with a live preview.

The preview is painted by the same Pillow painter the canvas and every exporter use
(`studio.render.labels.render_label`), so what the user approves here is exactly what ships. The
dialog only returns a `LabelStyle` (`result_style()`); the caller turns it into an undo command.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.model import LabelStyle
from studio.core.money import format_money
from studio.render.label_styles import FONTS, PRESET_TITLES, PRESETS
from studio.render.labels import LabelContent, render_label

PREVIEW_SIZE = (260, 120)
PREVIEW_BACKDROP = "#9aa0a6"  # mid grey: light and dark labels both stay visible
SAMPLE_TITLE = "Linen shirt"
SAMPLE_PRICE = Decimal("89.00")
SAMPLE_COMPARE = Decimal("110.00")


def pil_to_pixmap(image: Image.Image) -> QPixmap:
    rgba = image.convert("RGBA")
    data = rgba.tobytes("raw", "RGBA")
    qimage = QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(qimage.copy())  # copy: the bytes object dies with this frame


def sample_content(locale: str, currency: str) -> LabelContent:
    """A sale price in the workspace's own currency and locale (what labels will really show)."""
    try:
        price = format_money(SAMPLE_PRICE, currency, locale)
        compare = format_money(SAMPLE_COMPARE, currency, locale)
    except Exception:  # a bad currency in a hand-edited project must not break the dialog
        price, compare = f"{SAMPLE_PRICE} {currency}", f"{SAMPLE_COMPARE} {currency}"
    return LabelContent(price=price, compare_at=compare, title=SAMPLE_TITLE)


def preview_pixmap(content: LabelContent, style: LabelStyle, preset: str) -> QPixmap:
    """The label painted by the real painter, anchored in the middle of a neutral backdrop."""
    w, h = PREVIEW_SIZE
    pix = QPixmap(w, h)
    pix.fill(QColor(PREVIEW_BACKDROP))
    painter = QPainter(pix)
    try:
        direction = "right" if preset == "callout" else "below"
        scale = 0.8
        rendered = render_label(content, style, preset, scale=scale, direction=direction)
        room_w = w * 3 // 4 - 8 if direction == "right" else w - 16
        if rendered.image.width > room_w or rendered.image.height > h - 16:  # shrink to fit, re-painted
            fit = min(room_w / rendered.image.width, (h - 16) / rendered.image.height)
            rendered = render_label(content, style, preset, scale=scale * fit, direction=direction)
        label = pil_to_pixmap(rendered.image)
        ax, ay = rendered.anchor
        x = (16 if direction == "right" else w // 2) - ax
        y = (h // 2 if direction == "right" else max(8 + ay, (h - rendered.image.height) // 2 + ay)) - ay
        painter.drawPixmap(x, y, label)
    except Exception as exc:  # the preview is advice, never a crash
        painter.setPen(QColor("white"))
        painter.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, f"preview unavailable\n{exc}")
    finally:
        painter.end()
    return pix


class LabelStyleDialog(QDialog):
    """Edit a copy of the workspace LabelStyle; `result_style()` returns the edited one."""

    def __init__(
        self,
        style: LabelStyle,
        *,
        locale: str = "en_US",
        currency: str = "USD",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Label style")
        self._style = replace(style)
        self._content = sample_content(locale, currency)

        self.preset_combo = QComboBox()
        for preset, title in PRESET_TITLES.items():
            self.preset_combo.addItem(title, preset)
        self.background_button = QPushButton()
        self.foreground_button = QPushButton()
        self.font_combo = QComboBox()
        for family in FONTS:
            self.font_combo.addItem(family, family)
        if style.font_family not in FONTS:  # keep what the project says, visibly a fallback
            self.font_combo.addItem(
                f"{style.font_family} (not bundled: DejaVu Sans is used)", style.font_family
            )

        form = QFormLayout()
        form.addRow("Default style", self.preset_combo)
        form.addRow("Background", self.background_button)
        form.addRow("Text", self.foreground_button)
        form.addRow("Font", self.font_combo)

        grid = QGridLayout()
        self.previews: dict[str, QLabel] = {}
        self._preview_frames: dict[str, QFrame] = {}
        for i, preset in enumerate(PRESETS):
            frame = QFrame()
            frame.setFrameShape(QFrame.Shape.StyledPanel)
            frame.setObjectName(f"preview_{preset}")
            box = QVBoxLayout(frame)
            box.setContentsMargins(4, 4, 4, 4)
            image = QLabel()
            image.setFixedSize(*PREVIEW_SIZE)
            box.addWidget(image)
            box.addWidget(QLabel(PRESET_TITLES.get(preset, preset)), 0, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(frame, i // 2, i % 2)
            self.previews[preset] = image
            self._preview_frames[preset] = frame

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.reset_button = buttons.addButton("Defaults", QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"Preview ({self._content.price}, was {self._content.compare_at})"))
        layout.addLayout(grid)
        layout.addWidget(buttons)

        self.preset_combo.activated.connect(lambda i: self.set_preset(self.preset_combo.itemData(i)))
        self.font_combo.activated.connect(lambda i: self.set_font_family(self.font_combo.itemData(i)))
        self.background_button.clicked.connect(lambda: self._choose_color("background"))
        self.foreground_button.clicked.connect(lambda: self._choose_color("foreground"))
        self.reset_button.clicked.connect(lambda: self._load(LabelStyle()))
        self._load(self._style)

    # --- public API -------------------------------------------------------------------------

    def result_style(self) -> LabelStyle:
        return replace(self._style)

    def set_preset(self, preset: str) -> None:
        self._style.preset = preset
        self._load(self._style)

    def set_background(self, color: QColor | str) -> None:
        self._style.background = QColor(color).name().upper()
        self._load(self._style)

    def set_foreground(self, color: QColor | str) -> None:
        self._style.foreground = QColor(color).name().upper()
        self._load(self._style)

    def set_font_family(self, family: str) -> None:
        self._style.font_family = family
        self._load(self._style)

    # --- internals --------------------------------------------------------------------------

    def _choose_color(self, which: str) -> None:
        current = QColor(getattr(self._style, which))
        title = "Label background" if which == "background" else "Label text colour"
        color = QColorDialog.getColor(current, self, title)
        if color.isValid():
            (self.set_background if which == "background" else self.set_foreground)(color)

    def _load(self, style: LabelStyle) -> None:
        """Show `style` in every field and repaint the previews."""
        self._style = replace(style)
        for combo, value in ((self.preset_combo, style.preset), (self.font_combo, style.font_family)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.blockSignals(False)
        for button, value in (
            (self.background_button, style.background),
            (self.foreground_button, style.foreground),
        ):
            swatch = QPixmap(28, 16)
            swatch.fill(QColor(value))
            button.setIcon(swatch)
            button.setText(value.upper())
        for preset, label in self.previews.items():
            label.setPixmap(preview_pixmap(self._content, self._style, preset))
            chosen = preset == style.preset
            frame = self._preview_frames[preset]
            # by object name: a bare QFrame rule would also frame the QLabels inside
            frame.setStyleSheet(
                f"QFrame#{frame.objectName()} {{ border: 2px solid palette(highlight); }}" if chosen else ""
            )
