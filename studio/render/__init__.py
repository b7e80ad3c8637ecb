"""Qt-free rendering: the price-label painter shared by the canvas and every exporter.

One painter (Pillow) draws labels for both the on-screen canvas and the exported files, so what
the user sees while tagging is byte-for-byte what gets published.
"""
