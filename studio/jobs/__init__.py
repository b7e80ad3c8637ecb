"""Workflows shared by the GUI and the CLI: plain functions taking `progress` and `cancel`.

A job never touches a widget; it returns a result or raises a `StudioError` (`Cancelled` when the
user stopped it), and says in its docstring what a cancelled run leaves behind.
"""
