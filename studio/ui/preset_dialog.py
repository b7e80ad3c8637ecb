"""New export size: the user's own preset, stored in the workspace.

Why the checks live in `ExportPreset.from_dict`: the CLI, a hand-edited project.json and this
dialog must accept exactly the same presets, so the dialog only gathers fields and shows the
UsageError the model raises. OK adds ONE undo step replacing `Project.extra["export_presets"]`
(same dict shape as `presets.save_user_preset` writes); a name that is already a workspace
preset is refused, a built-in's name overrides it for this workspace after a confirmation.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from studio.core.errors import StudioError
from studio.render.presets import BUILTIN_PRESETS, EXTRA_KEY, FITS, FORMATS, MB, ExportPreset
from studio.ui import commands
from studio.ui.document import Document

PLATFORMS = ("custom", "instagram", "facebook", "pinterest", "web")


class PresetDialog(QDialog):
    """Gathers one ExportPreset; `accept()` validates, then pushes the command."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setWindowTitle("New export size")
        self.added: ExportPreset | None = None

        self.name = QLineEdit()
        self.name.setPlaceholderText("shop-banner (lowercase, becomes a folder name)")
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Shown in the size list")
        self.platform = QComboBox()
        self.platform.addItems(PLATFORMS)
        # Wide ranges on purpose: the model's rule (16–8192 px) is reported, not silently clamped.
        self.width_box = QSpinBox()
        self.width_box.setRange(0, 100_000)
        self.width_box.setValue(1080)
        self.height_box = QSpinBox()
        self.height_box.setRange(0, 100_000)
        self.height_box.setValue(1080)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_box)
        size_row.addWidget(QLabel("px"))
        self.fit = QComboBox()
        self.fit.addItems(FITS)
        self.fill = QComboBox()
        self.fill.addItem("Blurred photo", "blur")
        self.fill.addItem("Solid colour", "solid")
        self.fill_colour = QLineEdit("#ffffff")
        fill_row = QHBoxLayout()
        fill_row.addWidget(self.fill)
        fill_row.addWidget(self.fill_colour)
        self.format = QComboBox()
        self.format.addItems(FORMATS)
        self.quality = QSpinBox()
        self.quality.setRange(1, 100)
        self.quality.setValue(90)
        self.max_mb = QDoubleSpinBox()
        self.max_mb.setRange(0.0, 1000.0)
        self.max_mb.setDecimals(1)
        self.max_mb.setSpecialValueText("no limit")
        self.max_mb.setSuffix(" MB")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Title", self.title_edit)
        form.addRow("Platform", self.platform)
        form.addRow("Size", size_row)
        form.addRow("Fit", self.fit)
        form.addRow("Letterbox fill", fill_row)
        form.addRow("Format", self.format)
        form.addRow("Quality", self.quality)
        form.addRow("Max file size", self.max_mb)
        form.addRow(self.error)
        form.addRow(buttons)
        self.fit.currentTextChanged.connect(self._sync_enabled)
        self.fill.currentIndexChanged.connect(self._sync_enabled)
        self.format.currentTextChanged.connect(self._sync_enabled)
        self._sync_enabled()

    def _sync_enabled(self, *_args: Any) -> None:
        letterbox = self.fit.currentText() == "letterbox"
        self.fill.setEnabled(letterbox)
        self.fill_colour.setEnabled(letterbox and self.fill.currentData() == "solid")
        self.quality.setEnabled(self.format.currentText() == "jpeg")

    def values(self) -> dict[str, Any]:
        """The form as a preset dict (the keys of `ExportPreset.to_dict`)."""
        name = self.name.text().strip().lower()
        fill = "blur" if self.fill.currentData() == "blur" else self.fill_colour.text().strip() or "#000000"
        mb = self.max_mb.value()
        return {
            "name": name,
            "title": self.title_edit.text().strip() or name,
            "platform": self.platform.currentText(),
            "width": self.width_box.value(),
            "height": self.height_box.value(),
            "fit": self.fit.currentText(),
            "fill": fill,
            "format": self.format.currentText(),
            "quality": self.quality.value(),
            "min_quality": min(50, self.quality.value()),
            "max_bytes": round(mb * MB) if mb > 0 else None,
        }

    def checked(self) -> ExportPreset:
        """The validated preset; StudioError says what is wrong (shown under the form)."""
        preset = ExportPreset.from_dict(self.values())
        if any(str(d.get("name", "")).lower() == preset.name for d in self._raw_user_presets()):
            raise StudioError(
                f"this workspace already has a size named '{preset.name}'", hint="choose another name"
            )
        return preset

    def confirm_override(self, preset: ExportPreset) -> bool:
        """Asked when the name is a built-in's (tests replace this)."""
        builtin = next(p for p in BUILTIN_PRESETS if p.name == preset.name)
        answer = QMessageBox.question(
            self,
            "Replace a built-in size?",
            f"'{preset.name}' is the built-in size {builtin.title} ({builtin.width}×{builtin.height}). "
            "Replace it in this workspace?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _raw_user_presets(self) -> list[dict[str, Any]]:
        raw = self.doc.project.extra.get(EXTRA_KEY) or []
        return [d for d in raw if isinstance(d, dict)] if isinstance(raw, list) else []

    def accept(self) -> None:
        try:
            preset = self.checked()
        except StudioError as exc:
            self.error.setText(exc.message())
            return
        if any(p.name == preset.name for p in BUILTIN_PRESETS) and not self.confirm_override(preset):
            self.error.setText(f"'{preset.name}' is a built-in size: choose another name")
            return
        doc = {k: v for k, v in preset.to_dict().items() if k not in ("builtin", "aspect")}
        after = [*copy.deepcopy(self._raw_user_presets()), doc]
        commands.set_extra(self.doc, EXTRA_KEY, after, f"Add size {preset.title}")
        self.added = preset
        self.error.clear()
        super().accept()
