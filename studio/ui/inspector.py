"""The inspector: facts and fields of the selected tag(s), or of the media when no tag is selected.

It holds no business logic and never edits the model: each field emits an *intent* signal
(`variantChosen`, `labelTextEdited`, `styleChosen`, `positionEdited`, `timeRangeEdited`,
`pickRequested`) that the main window turns into one undo command. It re-reads the model whenever
the document says the shown media's tags changed, so undo, a canvas drag or a paste all show up.
Text and number fields commit on Enter / focus-out only, so one edit is one undo step.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.model import Media, MediaKind, Product, Tag, Variant
from studio.render.label_styles import PRESET_TITLES
from studio.ui.document import Document
from studio.ui.picker import price_texts, variant_text
from studio.ui.product_thumbs import ProductThumbs, placeholder_pixmap

THUMB = 56
MIXED = "__mixed__"


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"  # pragma: no cover


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}.{round((seconds - whole) * 10) % 10}"


def generated_label(product: Product | None, variant: Variant | None, tag: Tag, locale: str) -> str:
    """The text the label shows without an override (the renderer's own words when it has them)."""
    try:
        from studio.render.labels import label_content

        content = label_content(product, variant, replace(tag, label=None), locale)
        return content.price
    except NotImplementedError:  # the painter is being written; same rule, shorter
        if product is None:
            return "?"
        return price_texts(product, variant, locale)[0]


def _spin(maximum: float, suffix: str, step: float = 0.1, decimals: int = 1) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, maximum)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    return spin


class Inspector(QWidget):
    """See module doc. API: `set_document(doc)`, `show_selection(media_id, tag_ids)`."""

    variantChosen = Signal(str, object)  # tag id, variant id or None
    labelTextEdited = Signal(list, object)  # tag ids, text or None (= generated)
    styleChosen = Signal(list, str)  # tag ids, preset name
    positionEdited = Signal(str, float, float)  # tag id, normalized x, y
    timeRangeEdited = Signal(str, object, object)  # tag id, start or None, end or None
    pickRequested = Signal(str)  # tag id

    def __init__(self, thumbs: ProductThumbs | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbs = thumbs
        self.doc: Document | None = None
        self.media_id: str | None = None
        self.tag_ids: list[str] = []
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._build_nothing()
        self._build_media()
        self._build_tag()
        self._build_multi()
        self.stack.setCurrentWidget(self.nothing_page)
        if thumbs is not None:
            thumbs.updated.connect(self._thumb_updated)

    # --- building ---------------------------------------------------------------------------

    def _build_nothing(self) -> None:
        self.nothing_page = QLabel("Select a photo or video, then a tag, to see it here.")
        self.nothing_page.setWordWrap(True)
        self.nothing_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.nothing_page)

    def _build_media(self) -> None:
        self.media_page = QWidget()
        form = QFormLayout(self.media_page)
        self.media_fields: dict[str, QLabel] = {}
        for key, title in (
            ("name", "Name"),
            ("kind", "Kind"),
            ("size", "Size"),
            ("duration", "Duration"),
            ("fps", "Frame rate"),
            ("codec", "Codec"),
            ("audio", "Audio"),
            ("bytes", "File size"),
            ("path", "File"),
            ("tags", "Tags"),
            ("posts", "Posts"),
        ):
            label = QLabel()
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            form.addRow(title, label)
            self.media_fields[key] = label
        self._media_form = form
        self.stack.addWidget(self.media_page)

    def _build_tag(self) -> None:
        self.tag_page = QWidget()
        outer = QVBoxLayout(self.tag_page)
        head = QHBoxLayout()
        self.product_thumb = QLabel()
        self.product_thumb.setFixedSize(THUMB, THUMB)
        names = QVBoxLayout()
        self.product_title = QLabel()
        self.product_title.setWordWrap(True)
        font = self.product_title.font()
        font.setBold(True)
        self.product_title.setFont(font)
        self.product_price = QLabel()
        self.product_price.setTextFormat(Qt.TextFormat.RichText)
        names.addWidget(self.product_title)
        names.addWidget(self.product_price)
        self.change_button = QPushButton("Change…")
        self.change_button.setToolTip("Choose another product for this tag")
        head.addWidget(self.product_thumb)
        head.addLayout(names, 1)
        head.addWidget(self.change_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)

        form = QFormLayout()
        self.variant_combo = QComboBox()
        self.label_edit = QLineEdit()
        self.label_edit.setClearButtonEnabled(True)
        self.label_edit.setToolTip("Leave empty to show the price; Enter applies")
        self.style_combo = QComboBox()
        for preset, title in PRESET_TITLES.items():
            self.style_combo.addItem(title, preset)
        position = QHBoxLayout()
        self.x_spin = _spin(100.0, " %")
        self.y_spin = _spin(100.0, " %")
        position.addWidget(QLabel("x"))
        position.addWidget(self.x_spin, 1)
        position.addWidget(QLabel("y"))
        position.addWidget(self.y_spin, 1)
        form.addRow("Variant", self.variant_combo)
        form.addRow("Label text", self.label_edit)
        form.addRow("Style", self.style_combo)
        form.addRow("Position", position)
        outer.addLayout(form)

        self.video_box = QGroupBox("Video")
        video_form = QFormLayout(self.video_box)
        self.start_spin = _spin(86400.0, " s", decimals=2)
        self.end_spin = _spin(86400.0, " s", decimals=2)
        self.start_spin.setSpecialValueText("clip start")
        self.end_spin.setSpecialValueText("clip end")
        self.keyframes_label = QLabel()
        video_form.addRow("In", self.start_spin)
        video_form.addRow("Out", self.end_spin)
        video_form.addRow("Keyframes", self.keyframes_label)
        outer.addWidget(self.video_box)
        outer.addStretch(1)
        self.stack.addWidget(self.tag_page)

        self.change_button.clicked.connect(self._pick)
        self.variant_combo.activated.connect(self._variant_activated)
        self.label_edit.editingFinished.connect(self._label_finished)
        self.style_combo.activated.connect(self._style_activated)
        self.x_spin.editingFinished.connect(self._position_finished)
        self.y_spin.editingFinished.connect(self._position_finished)
        self.start_spin.editingFinished.connect(self._time_finished)
        self.end_spin.editingFinished.connect(self._time_finished)

    def _build_multi(self) -> None:
        self.multi_page = QWidget()
        form = QFormLayout(self.multi_page)
        self.multi_count = QLabel()
        font = self.multi_count.font()
        font.setBold(True)
        self.multi_count.setFont(font)
        self.multi_products = QLabel()
        self.multi_products.setWordWrap(True)
        self.multi_style_combo = QComboBox()
        self.multi_style_combo.addItem("Mixed", MIXED)
        for preset, title in PRESET_TITLES.items():
            self.multi_style_combo.addItem(title, preset)
        form.addRow(self.multi_count)
        form.addRow("Products", self.multi_products)
        form.addRow("Style for all", self.multi_style_combo)
        self.multi_style_combo.activated.connect(self._multi_style_activated)
        self.stack.addWidget(self.multi_page)

    # --- public API -------------------------------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            for signal, slot in (
                (self.doc.tagsChanged, self._tags_changed),
                (self.doc.postsChanged, self.refresh),
                (self.doc.catalogChanged, self.refresh),
                (self.doc.mediaChanged, self.refresh),
            ):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(slot)
        self.doc = doc
        self.media_id, self.tag_ids = None, []
        if doc is not None:
            doc.tagsChanged.connect(self._tags_changed)
            doc.postsChanged.connect(self.refresh)
            doc.catalogChanged.connect(self.refresh)
            doc.mediaChanged.connect(self.refresh)
        self.refresh()

    def show_selection(self, media_id: str | None, tag_ids: list[str]) -> None:
        """Show these tags of this media (none: the media's facts; no media: a hint)."""
        if self.label_edit.isModified():  # typed for the previous tag: it is committed, not moved over
            self._label_finished()
        self.media_id = media_id
        self.tag_ids = list(dict.fromkeys(tag_ids))
        self.label_edit.setModified(False)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the model for the current selection (tags that vanished are dropped)."""
        media = self._media()
        if media is None:
            self.stack.setCurrentWidget(self.nothing_page)
            return
        present = {t.id for t in media.tags}
        self.tag_ids = [t for t in self.tag_ids if t in present]
        tags = [t for t in media.tags if t.id in self.tag_ids]
        if not tags:
            self._fill_media(media)
            self.stack.setCurrentWidget(self.media_page)
        elif len(tags) == 1:
            self._fill_tag(media, tags[0])
            self.stack.setCurrentWidget(self.tag_page)
        else:
            self._fill_multi(tags)
            self.stack.setCurrentWidget(self.multi_page)

    # --- reading the model ------------------------------------------------------------------

    def _media(self) -> Media | None:
        if self.doc is None or self.media_id is None:
            return None
        return self.doc.project.media_by_id(self.media_id)

    def _tag(self) -> Tag | None:
        media = self._media()
        if media is None or len(self.tag_ids) != 1:
            return None
        return next((t for t in media.tags if t.id == self.tag_ids[0]), None)

    def _tags_changed(self, media_id: str) -> None:
        if media_id == self.media_id:
            self.refresh()

    def _fill_media(self, m: Media) -> None:
        assert self.doc is not None
        f = self.media_fields
        is_video = m.kind is MediaKind.VIDEO
        f["name"].setText(m.name or m.path.rsplit("/", 1)[-1])
        f["kind"].setText("Video" if is_video else "Photo")
        f["size"].setText(f"{m.width} × {m.height} px")
        f["duration"].setText(duration_text(m.duration))
        f["fps"].setText(f"{m.fps:g} fps" if m.fps else "—")
        f["codec"].setText(m.codec or "—")
        f["audio"].setText("yes" if m.has_audio else "no")
        f["bytes"].setText(human_size(m.size_bytes) if m.size_bytes else "—")
        f["path"].setText(str(self.doc.workspace.media_path(m)))
        f["tags"].setText(str(len(m.tags)))
        n = len(self.doc.posts_containing(m.id))
        f["posts"].setText("not in any post" if n == 0 else f"in {n} post" + ("s" if n != 1 else ""))
        for key in ("duration", "fps", "codec", "audio"):
            self._media_form.setRowVisible(f[key], is_video)

    def _fill_tag(self, media: Media, tag: Tag) -> None:
        assert self.doc is not None
        product = self.doc.product(tag.product_id)
        variant = self.doc.variant(tag)
        locale = self.doc.locale
        if product is None:
            self.product_title.setText(f"Missing product ({tag.product_id or 'none'})")
            self.product_price.setText("Not in the catalog: choose another product")
            self.product_thumb.setPixmap(placeholder_pixmap(tag.product_id or "?", "?", THUMB))
        else:
            self.product_title.setText(product.title)
            price, compare = price_texts(product, variant, locale)
            self.product_price.setText(price + (f"  <s>{compare}</s>" if compare else ""))
            self._set_thumb(product)
        with _Blocked(self.variant_combo):
            self.variant_combo.clear()
            self.variant_combo.addItem("Product (no variant)", None)
            for v in product.variants if product is not None else []:
                v_price = price_texts(product, v, locale)[0] if product is not None else ""
                self.variant_combo.addItem(f"{variant_text(v)} — {v_price}", v.id)
            index = self.variant_combo.findData(tag.variant_id) if tag.variant_id else 0
            if index < 0:  # a variant that left the catalog: say so rather than hide it
                self.variant_combo.addItem(f"Missing variant ({tag.variant_id})", tag.variant_id)
                index = self.variant_combo.count() - 1
            self.variant_combo.setCurrentIndex(index)
        if not (self.label_edit.hasFocus() and self.label_edit.isModified()):
            self.label_edit.setText(tag.label or "")
            self.label_edit.setModified(False)
        self.label_edit.setPlaceholderText(generated_label(product, variant, tag, locale))
        with _Blocked(self.style_combo):
            index = self.style_combo.findData(tag.style)
            self.style_combo.setCurrentIndex(max(index, 0))
        with _Blocked(self.x_spin), _Blocked(self.y_spin):
            self.x_spin.setValue(round(tag.x * 100, 1))
            self.y_spin.setValue(round(tag.y * 100, 1))
        is_video = media.kind is MediaKind.VIDEO
        self.video_box.setVisible(is_video)
        if is_video:
            top = media.duration or 86400.0
            with _Blocked(self.start_spin), _Blocked(self.end_spin):
                for spin in (self.start_spin, self.end_spin):
                    spin.setRange(-0.01, top)  # the minimum shows the special text = whole clip
                self.start_spin.setValue(tag.start if tag.start is not None else -0.01)
                self.end_spin.setValue(tag.end if tag.end is not None else -0.01)
            n = len(tag.keyframes)
            self.keyframes_label.setText("none (fixed position)" if n == 0 else str(n))

    def _fill_multi(self, tags: list[Tag]) -> None:
        assert self.doc is not None
        self.multi_count.setText(f"{len(tags)} tags selected")
        titles = []
        for t in tags:
            product = self.doc.product(t.product_id)
            title = product.title if product is not None else f"missing ({t.product_id})"
            if title not in titles:
                titles.append(title)
        self.multi_products.setText(", ".join(titles))
        styles = {t.style for t in tags}
        with _Blocked(self.multi_style_combo):
            index = self.multi_style_combo.findData(styles.pop()) if len(styles) == 1 else 0
            self.multi_style_combo.setCurrentIndex(max(index, 0))

    def _set_thumb(self, product: Product) -> None:
        if self.thumbs is not None:
            pix = self.thumbs.pixmap(product)
        else:
            pix = placeholder_pixmap(product.id, product.title, THUMB)
        self.product_thumb.setPixmap(
            pix.scaled(
                THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )

    def _thumb_updated(self, product_id: str) -> None:
        tag = self._tag()
        if tag is not None and tag.product_id == product_id and self.doc is not None:
            product = self.doc.product(product_id)
            if product is not None:
                self._set_thumb(product)

    # --- intents ----------------------------------------------------------------------------

    def _pick(self) -> None:
        tag = self._tag()
        if tag is not None:
            self.pickRequested.emit(tag.id)

    def _variant_activated(self, index: int) -> None:
        tag = self._tag()
        variant_id = self.variant_combo.itemData(index)
        if tag is not None and variant_id != tag.variant_id:
            self.variantChosen.emit(tag.id, variant_id)

    def _label_finished(self) -> None:
        tag = self._tag()
        if tag is None:
            return
        text = self.label_edit.text().strip() or None
        self.label_edit.setModified(False)
        if text != tag.label:
            self.labelTextEdited.emit([tag.id], text)

    def _style_activated(self, index: int) -> None:
        tag = self._tag()
        preset = self.style_combo.itemData(index)
        if tag is not None and preset and preset != tag.style:
            self.styleChosen.emit([tag.id], preset)

    def _multi_style_activated(self, index: int) -> None:
        preset = self.multi_style_combo.itemData(index)
        if preset and preset != MIXED and self.tag_ids:
            self.styleChosen.emit(list(self.tag_ids), preset)

    def _position_finished(self) -> None:
        tag = self._tag()
        if tag is None:
            return
        x, y = self.x_spin.value(), self.y_spin.value()
        if (x, y) != (round(tag.x * 100, 1), round(tag.y * 100, 1)):
            self.positionEdited.emit(tag.id, x / 100.0, y / 100.0)

    def _time_finished(self) -> None:
        tag = self._tag()
        if tag is None:
            return

        def read(spin: QDoubleSpinBox) -> float | None:
            return None if spin.value() <= spin.minimum() else round(spin.value(), 2)

        start, end = read(self.start_spin), read(self.end_spin)
        old = (
            None if tag.start is None else round(tag.start, 2),
            None if tag.end is None else round(tag.end, 2),
        )
        if (start, end) != old:
            self.timeRangeEdited.emit(tag.id, start, end)


class _Blocked:
    """`with _Blocked(widget):` fills a widget from the model without emitting user signals."""

    def __init__(self, widget: QWidget) -> None:
        self.widget = widget

    def __enter__(self) -> None:
        self._was = self.widget.blockSignals(True)

    def __exit__(self, *exc: object) -> None:
        self.widget.blockSignals(self._was)
