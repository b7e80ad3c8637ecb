import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from studio.core.errors import UsageError, WorkspaceError, WorkspaceLockedError
from studio.core.lock import LOCK_NAME
from studio.core.workspace import Workspace, normalize_store_url


def test_create_layout_and_settings(tmp_path):
    root = tmp_path / "ws"
    with Workspace.create(root, currency="eur", locale="fr-FR", store_url="shop.example.com/") as ws:
        assert ws.project.currency == "EUR" and ws.project.locale == "fr_FR"
        assert ws.project.store_url == "https://shop.example.com"
    assert (
        (root / "project.json").exists() and (root / "catalog.sqlite").exists() and (root / "cache").is_dir()
    )
    assert json.loads((root / "project.json").read_text())["schema"] == 1


def test_create_refuses_existing_workspace_and_bad_values(tmp_path):
    Workspace.create(tmp_path / "ws").close()
    with pytest.raises(UsageError, match="already exists"):
        Workspace.create(tmp_path / "ws")
    with pytest.raises(UsageError, match="ISO 4217"):
        Workspace.create(tmp_path / "other", currency="EURO")
    with pytest.raises(UsageError):
        normalize_store_url("javascript:alert(1)")


def test_open_errors_name_the_folder(tmp_path):
    with pytest.raises(WorkspaceError, match="not found"):
        Workspace.open(tmp_path / "nope")
    with pytest.raises(WorkspaceError, match="not a Shoppable Studio workspace"):
        Workspace.open(tmp_path)


def test_second_writer_is_refused_in_process(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    with pytest.raises(WorkspaceLockedError) as err:
        Workspace.open(tmp_path / "ws")
    assert "already open in another window" in str(err.value)
    assert f"process {os.getpid()}" in str(err.value)
    # readers are fine, and the lock is released on close
    Workspace.open(tmp_path / "ws", write=False).close()
    ws.close()
    Workspace.open(tmp_path / "ws").close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from studio.core.workspace import Workspace
    ws = Workspace.open(sys.argv[1])
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_other_process_lock_and_stale_lock_after_kill(tmp_path):
    Workspace.create(tmp_path / "ws").close()
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "ws")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(WorkspaceLockedError, match=f"process {child.pid}"):
            Workspace.open(tmp_path / "ws")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # the lock file is still there with the dead process's pid; it is stale and taken over
    assert (tmp_path / "ws" / LOCK_NAME).read_text()
    ws = Workspace.open(tmp_path / "ws")
    assert ws._lock is not None and ws._lock.took_over_stale
    ws.close()


def test_read_only_workspace_cannot_save(tmp_path):
    Workspace.create(tmp_path / "ws").close()
    with Workspace.open(tmp_path / "ws", write=False) as ws, pytest.raises(WorkspaceError, match="read-only"):
        ws.save()
