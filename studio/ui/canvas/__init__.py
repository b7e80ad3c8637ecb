"""The tagging canvas: a QGraphicsView editor for tags on photos and video frames (see view.py)."""

from studio.ui.canvas.view import TagCanvas

__all__ = ["TagCanvas"]
