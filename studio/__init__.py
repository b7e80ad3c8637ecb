"""Shoppable Studio: turn a brand's photos and short videos into shoppable posts."""

__version__ = "0.1.0"
