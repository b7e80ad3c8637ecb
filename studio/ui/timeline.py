"""The video timeline: transport buttons, a frame-accurate scrubber and one row per tag.

The widget is a view: it knows the clip's duration and fps, the playhead, and for each tag its
in/out range and keyframe times, and it turns gestures into *intents* (`seekRequested`,
`timeRangeEdited`, …). It never touches the model; the window turns intents into undo commands
and player calls, then feeds the new state back with `set_tags` / `set_position`.

A range drag previews locally and emits a single `timeRangeEdited` on mouse release, so one
gesture is one undo step. Every time it emits is snapped to a frame start (the in point, the out
point and seeks), because tags are keyed to frames, not to pixels.

Colours come from the palette, so the light and dark themes both work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.keyframes import clamp_range
from studio.ui.video_player import ensure_signal_emit_fix

ensure_signal_emit_fix()  # the timeline emits on every scrub step

#: Width of the tag-name column left of the time axis (both the scrubber and the rows use it).
LABEL_WIDTH = 120
#: Empty space right of the time axis, so the last frame's handle stays grabbable.
RIGHT_MARGIN = 10
RULER_HEIGHT = 28
ROW_HEIGHT = 24
#: How close (px) to a bar end the mouse must be to grab that end rather than the whole bar.
HANDLE_PX = 6
#: Half-size of a keyframe diamond and its click radius (px).
DIAMOND_PX = 5
_EPS = 1e-6

TagRowInput = tuple[str, str, float | None, float | None, list[float]]


@dataclass(slots=True)
class TagRow:
    """What the timeline shows for one tag (a copy of the model's values, never the model)."""

    tag_id: str
    label: str
    start: float | None
    end: float | None
    keyframes: list[float] = field(default_factory=list)


@dataclass(slots=True)
class _Drag:
    tag_id: str
    mode: str  # "start" | "end" | "move"
    press_t: float  # time under the mouse at press (unsnapped)
    orig: tuple[float, float]
    current: tuple[float, float]


def format_time(t: float) -> str:
    """`mm:ss.cc` (centiseconds): short clips need sub-second precision, never hours."""
    t = max(0.0, t)
    centis = round(t * 100)
    minutes, centis = divmod(centis, 6000)
    seconds, centis = divmod(centis, 100)
    return f"{minutes:02d}:{seconds:02d}.{centis:02d}"


class Timeline(QWidget):
    """Transport + scrubber + tag rows; emits intents, holds no model logic.

    Signals: `seekRequested(t)`, `playToggled()`, `stepRequested(±1)`,
    `timeRangeEdited(tag_id, start, end)` (once per drag, on release), `keyframeClicked(tag_id, t)`
    (followed by `seekRequested(t)`), `selectedTagChanged(tag_id)`.
    """

    seekRequested = Signal(float)
    playToggled = Signal()
    stepRequested = Signal(int)
    timeRangeEdited = Signal(str, float, float)
    keyframeClicked = Signal(str, float)
    selectedTagChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._duration = 0.0
        self._fps = 25.0
        self._position = 0.0
        self._playing = False
        self._rows: list[TagRow] = []
        self._selected: str | None = None

        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        style = self.style()
        self.back_button = self._button(QStyle.StandardPixmap.SP_MediaSeekBackward, "Previous frame (,)")
        self.play_button = self._button(QStyle.StandardPixmap.SP_MediaPlay, "Play/pause (Space)")
        self.forward_button = self._button(QStyle.StandardPixmap.SP_MediaSeekForward, "Next frame (.)")
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        self.back_button.clicked.connect(lambda: self.stepRequested.emit(-1))
        self.forward_button.clicked.connect(lambda: self.stepRequested.emit(1))
        self.play_button.clicked.connect(self.playToggled.emit)
        self.time_label = QLabel()
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

        controls = QHBoxLayout()
        controls.setContentsMargins(4, 2, 4, 2)
        for button in (self.back_button, self.play_button, self.forward_button):
            controls.addWidget(button)
        controls.addSpacing(8)
        controls.addWidget(self.time_label)
        controls.addStretch(1)

        self.scrubber = _Scrubber(self)
        self.tracks = _TagTracks(self)
        self._scroll = QScrollArea(self)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._scroll.setWidget(self.tracks)
        self._scroll.setMaximumHeight(ROW_HEIGHT * 6 + 2)
        self._scroll.verticalScrollBar().rangeChanged.connect(lambda *_: self.scrubber.update())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(controls)
        layout.addWidget(self.scrubber)
        layout.addWidget(self._scroll)
        self._update_label()

    def _button(self, icon: QStyle.StandardPixmap, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(self.style().standardIcon(icon))
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space belongs to the window, not a button
        return button

    # --- state in ----------------------------------------------------------------------------

    def set_media(self, duration: float, fps: float) -> None:
        """A new clip: its length in seconds and frame rate (for snapping and the frame number)."""
        self._duration = max(0.0, float(duration)) if math.isfinite(duration) else 0.0
        self._fps = float(fps) if fps and fps > 0 and math.isfinite(fps) else 25.0
        self._position = min(self._position, self.last_frame_time)
        self.tracks.cancel_drag()
        self._update_label()
        self._repaint()

    def set_tags(self, rows: list[TagRowInput]) -> None:
        """One row per tag: (tag_id, label, start|None, end|None, keyframe times)."""
        self._rows = [TagRow(tid, label, start, end, sorted(kfs)) for tid, label, start, end, kfs in rows]
        if self._selected not in {r.tag_id for r in self._rows}:
            self._selected = None
        self.tracks.rows_changed()
        self._repaint()

    def set_position(self, t: float) -> None:
        """Move the playhead (no signal: this is the player telling us where it is)."""
        self._position = min(max(0.0, float(t)), self.last_frame_time)
        self._update_label()
        self._repaint()

    def set_playing(self, playing: bool) -> None:
        self._playing = bool(playing)
        self.play_button.setIcon(self._pause_icon if playing else self._play_icon)

    def set_selected_tag(self, tag_id: str | None) -> None:
        """Highlight a row (no signal: the selection came from elsewhere, e.g. the canvas)."""
        self._selected = tag_id if tag_id in {r.tag_id for r in self._rows} else None
        self.tracks.update()

    # --- facts -------------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        return self._duration

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def position(self) -> float:
        return self._position

    @property
    def is_playing(self) -> bool:
        return self._playing

    @property
    def rows(self) -> list[TagRow]:
        return list(self._rows)

    @property
    def selected_tag(self) -> str | None:
        return self._selected

    @property
    def frame_count(self) -> int:
        return max(1, math.ceil(self._duration * self._fps - _EPS)) if self._duration > 0 else 1

    @property
    def last_frame_time(self) -> float:
        """Start of the last frame: the furthest the playhead can go."""
        return (self.frame_count - 1) / self._fps

    def frame_at(self, t: float) -> int:
        """Number of the frame on screen at `t` (shown in the time label)."""
        return min(max(0, math.floor(t * self._fps + _EPS)), self.frame_count - 1)

    # --- the time axis (shared by the scrubber and the rows; x in either widget's coordinates) ---

    def _axis(self) -> tuple[float, float]:
        right = self._scroll.viewport().width() if self._scroll.isVisible() else self.scrubber.width()
        left = float(LABEL_WIDTH)
        return left, max(left + 20.0, float(right - RIGHT_MARGIN))

    def time_to_x(self, t: float) -> float:
        left, right = self._axis()
        if self._duration <= 0:
            return left
        return left + (right - left) * min(max(t, 0.0), self._duration) / self._duration

    def x_to_time(self, x: float) -> float:
        """Unsnapped time under x, clamped to the clip."""
        left, right = self._axis()
        if self._duration <= 0:
            return 0.0
        return min(max((x - left) / (right - left), 0.0), 1.0) * self._duration

    def snap_playhead(self, t: float) -> float:
        """Nearest frame start that the playhead can stand on."""
        return min(max(0, round(t * self._fps)), self.frame_count - 1) / self._fps

    def snap_edge(self, t: float) -> float:
        """Nearest frame boundary for an in/out point; the clip's end is a boundary too."""
        return min(max(0.0, round(t * self._fps) / self._fps), self._duration)

    # --- keyboard ----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and shift:
            delta = -1.0 if key == Qt.Key.Key_Left else 1.0
            self._request_seek(self._position + delta)
        elif key in (Qt.Key.Key_Comma, Qt.Key.Key_Left, Qt.Key.Key_Less):
            self.stepRequested.emit(-1)
        elif key in (Qt.Key.Key_Period, Qt.Key.Key_Right, Qt.Key.Key_Greater):
            self.stepRequested.emit(1)
        elif key == Qt.Key.Key_Home:
            self._request_seek(0.0)
        elif key == Qt.Key.Key_End:
            self._request_seek(self.last_frame_time)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # --- internals ---------------------------------------------------------------------------

    def _request_seek(self, t: float) -> None:
        """Snap, move our own playhead at once (the scrubber must feel instant), then ask."""
        snapped = self.snap_playhead(t)
        self._position = snapped
        self._update_label()
        self._repaint()
        self.seekRequested.emit(snapped)

    def _select(self, tag_id: str) -> None:
        if tag_id != self._selected:
            self._selected = tag_id
            self.tracks.update()
            self.selectedTagChanged.emit(tag_id)

    def _update_label(self) -> None:
        self.time_label.setText(
            f"{format_time(self._position)} / {format_time(self._duration)}"
            f" · frame {self.frame_at(self._position)}"
        )

    def _repaint(self) -> None:
        self.scrubber.update()
        self.tracks.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._repaint()


def _color(widget: QWidget, role: QPalette.ColorRole, alpha: int | None = None) -> QColor:
    color = QColor(widget.palette().color(role))
    if alpha is not None:
        color.setAlpha(alpha)
    return color


def _tick_step(duration: float, pixels: float) -> float:
    """A round time step giving ticks at least ~60 px apart."""
    if duration <= 0 or pixels <= 0:
        return 1.0
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if pixels * step / duration >= 60:
            return float(step)
    return 600.0


class _Scrubber(QWidget):
    """The ruler: click or drag anywhere on it to move the playhead to that frame."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(timeline)
        self.timeline = timeline
        self._scrubbing = False
        self.setFixedHeight(RULER_HEIGHT)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setFocusProxy(timeline)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(400, RULER_HEIGHT)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.timeline.duration > 0:
            self._scrubbing = True
            self._seek_to(event.position().x(), always=True)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._scrubbing:
            self._seek_to(event.position().x())
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._scrubbing and event.button() == Qt.MouseButton.LeftButton:
            self._scrubbing = False
            event.accept()

    def _seek_to(self, x: float, *, always: bool = False) -> None:
        """Seek to the frame under x; while dragging only when that frame changes."""
        tl = self.timeline
        t = tl.snap_playhead(tl.x_to_time(x))
        if always or abs(t - tl.position) > _EPS:
            tl._request_seek(t)

    def paintEvent(self, event: QPaintEvent) -> None:
        tl = self.timeline
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), _color(self, QPalette.ColorRole.Window))
        left, right = tl._axis()
        p.fillRect(QRectF(left, 4, right - left, self.height() - 8), _color(self, QPalette.ColorRole.Base))
        text = _color(self, QPalette.ColorRole.WindowText)
        faint = _color(self, QPalette.ColorRole.WindowText, 110)
        if tl.duration > 0:
            step = _tick_step(tl.duration, right - left)
            metrics = QFontMetrics(self.font())
            n = 0
            while n * step <= tl.duration + _EPS:
                t = n * step
                x = tl.time_to_x(t)
                p.setPen(QPen(faint, 1))
                p.drawLine(QPointF(x, self.height() - 10), QPointF(x, self.height() - 4))
                label = f"{t:.1f}s" if step < 1 else f"{int(t) // 60}:{int(t) % 60:02d}"
                p.setPen(text)
                if x + metrics.horizontalAdvance(label) + 2 <= right + RIGHT_MARGIN:
                    p.drawText(QPointF(x + 2, metrics.ascent() + 2), label)
                n += 1
            _draw_playhead(p, self, tl.time_to_x(tl.position), head=True)
        p.end()


def _draw_playhead(p: QPainter, widget: QWidget, x: float, *, head: bool) -> None:
    color = _color(widget, QPalette.ColorRole.Highlight)
    p.setPen(QPen(color, 2))
    p.drawLine(QPointF(x, 0), QPointF(x, widget.height()))
    if head:
        p.setBrush(color)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawPolygon(QPolygonF([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 8)]))


class _TagTracks(QWidget):
    """One row per tag: its name, its in/out bar (drag an end or the middle) and keyframes."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(timeline)
        self.timeline = timeline
        self._drag: _Drag | None = None
        self.setMouseTracking(True)  # hover cursors
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setFocusProxy(timeline)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.rows_changed()

    def rows_changed(self) -> None:
        rows = self.timeline._rows
        if self._drag is not None and self._drag.tag_id not in {r.tag_id for r in rows}:
            self._drag = None
        self.setFixedHeight(max(ROW_HEIGHT, ROW_HEIGHT * len(rows)))
        self.update()

    def cancel_drag(self) -> None:
        self._drag = None
        self.unsetCursor()

    # --- geometry (public for tests and for the window's tooltips) ---------------------------

    def row_rect(self, row: int) -> QRectF:
        return QRectF(0, row * ROW_HEIGHT, self.width(), ROW_HEIGHT)

    def row_center_y(self, row: int) -> float:
        return row * ROW_HEIGHT + ROW_HEIGHT / 2

    def row_of_tag(self, tag_id: str) -> int:
        return next(i for i, r in enumerate(self.timeline._rows) if r.tag_id == tag_id)

    def range_of(self, row: TagRow) -> tuple[float, float]:
        """The row's range as drawn: the drag preview while dragging, open ends as the clip's."""
        if self._drag is not None and self._drag.tag_id == row.tag_id:
            return self._drag.current
        duration = self.timeline.duration
        return (row.start if row.start is not None else 0.0, row.end if row.end is not None else duration)

    def bar_rect(self, row: int) -> QRectF:
        tl = self.timeline
        start, end = self.range_of(tl._rows[row])
        x0, x1 = tl.time_to_x(start), tl.time_to_x(end)
        return QRectF(x0, row * ROW_HEIGHT + 4, max(1.0, x1 - x0), ROW_HEIGHT - 8)

    def _hit(self, pos: QPointF) -> tuple[str, int, float]:
        """(what, row, keyframe time): what is "keyframe", "start", "end", "move", "row" or ""."""
        tl = self.timeline
        row = int(pos.y() // ROW_HEIGHT)
        if not 0 <= row < len(tl._rows) or pos.x() < LABEL_WIDTH - HANDLE_PX:
            return ("row", row, 0.0) if 0 <= row < len(tl._rows) else ("", -1, 0.0)
        data = tl._rows[row]
        cy = self.row_center_y(row)
        if abs(pos.y() - cy) <= DIAMOND_PX + 1:
            best = min(data.keyframes, key=lambda t: abs(tl.time_to_x(t) - pos.x()), default=None)
            if best is not None and abs(tl.time_to_x(best) - pos.x()) <= DIAMOND_PX + 1:
                return "keyframe", row, best
        bar = self.bar_rect(row)
        d_start, d_end = abs(pos.x() - bar.left()), abs(pos.x() - bar.right())
        if min(d_start, d_end) <= HANDLE_PX:
            return ("start" if d_start < d_end else "end"), row, 0.0
        if bar.left() < pos.x() < bar.right():
            return "move", row, 0.0
        return "row", row, 0.0

    # --- mouse -------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        tl = self.timeline
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        what, row, kf_time = self._hit(event.position())
        if not what:
            return
        tag_id = tl._rows[row].tag_id
        tl._select(tag_id)
        if what == "keyframe":
            tl.keyframeClicked.emit(tag_id, kf_time)
            tl._request_seek(kf_time)
        elif what in ("start", "end", "move") and tl.duration > 0:
            current = self.range_of(tl._rows[row])
            self._drag = _Drag(tag_id, what, tl.x_to_time(event.position().x()), current, current)
            self.setCursor(
                Qt.CursorShape.ClosedHandCursor if what == "move" else Qt.CursorShape.SizeHorCursor
            )
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            what = self._hit(event.position())[0]
            if what in ("start", "end"):
                self.setCursor(Qt.CursorShape.SizeHorCursor)
            elif what == "move":
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            elif what == "keyframe":
                self.setCursor(Qt.CursorShape.PointingHandCursor)
            else:
                self.unsetCursor()
            return
        self._drag.current = self._dragged_range(self._drag, event.position().x())
        self.update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag = self._drag
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseReleaseEvent(event)
            return
        final = self._dragged_range(drag, event.position().x())
        self._drag = None
        self.unsetCursor()
        self.update()
        if abs(final[0] - drag.orig[0]) > _EPS or abs(final[1] - drag.orig[1]) > _EPS:
            self.timeline.timeRangeEdited.emit(drag.tag_id, final[0], final[1])
        event.accept()

    def _dragged_range(self, drag: _Drag, x: float) -> tuple[float, float]:
        """The range after moving the mouse to x: snapped to frames, at least one frame long."""
        tl = self.timeline
        delta = tl.x_to_time(x) - drag.press_t
        start, end = drag.orig
        one_frame = 1.0 / tl.fps
        if drag.mode == "start":
            start = min(tl.snap_edge(start + delta), end - one_frame)
        elif drag.mode == "end":
            end = max(tl.snap_edge(end + delta), start + one_frame)
        else:
            length = end - start
            start = tl.snap_edge(min(max(start + delta, 0.0), tl.duration - length))
            end = min(start + length, tl.duration)
        return clamp_range(start, end, tl.duration, one_frame)

    # --- paint -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        tl = self.timeline
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), _color(self, QPalette.ColorRole.Base))
        left, right = tl._axis()
        text = _color(self, QPalette.ColorRole.Text)
        highlight = _color(self, QPalette.ColorRole.Highlight)
        metrics = QFontMetrics(self.font())
        if not tl._rows:
            p.setPen(_color(self, QPalette.ColorRole.PlaceholderText))
            p.drawText(
                QRectF(left, 0, right - left, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                "No tags on this video yet",
            )
        for i, row in enumerate(tl._rows):
            rect = self.row_rect(i)
            selected = row.tag_id == tl.selected_tag
            if selected:
                p.fillRect(rect, _color(self, QPalette.ColorRole.Highlight, 40))
            elif i % 2:
                p.fillRect(rect, _color(self, QPalette.ColorRole.AlternateBase))
            p.setPen(text)
            name = metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 12)
            p.drawText(
                QRectF(6, rect.top(), LABEL_WIDTH - 10, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                name,
            )
            if tl.duration <= 0:
                continue
            bar = self.bar_rect(i)
            p.setPen(QPen(highlight, 1))
            p.setBrush(_color(self, QPalette.ColorRole.Highlight, 200 if selected else 110))
            p.drawRoundedRect(bar, 3, 3)
            p.setBrush(_color(self, QPalette.ColorRole.HighlightedText))
            p.setPen(Qt.PenStyle.NoPen)
            for x in (bar.left() + 2, bar.right() - 4):  # grip marks on both ends
                p.drawRect(QRectF(x, bar.top() + 4, 2, bar.height() - 8))
            cy = self.row_center_y(i)
            p.setPen(QPen(text, 1))
            p.setBrush(_color(self, QPalette.ColorRole.Base))
            for t in row.keyframes:
                x = tl.time_to_x(t)
                p.drawPolygon(
                    QPolygonF(
                        [
                            QPointF(x, cy - DIAMOND_PX),
                            QPointF(x + DIAMOND_PX, cy),
                            QPointF(x, cy + DIAMOND_PX),
                            QPointF(x - DIAMOND_PX, cy),
                        ]
                    )
                )
        if tl.duration > 0:
            _draw_playhead(p, self, tl.time_to_x(tl.position), head=False)
        p.end()
