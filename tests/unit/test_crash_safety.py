"""A process saving in a loop is SIGKILLed at random moments; project.json must always load
and hold either the previous or the next state, never a torn file."""

import random
import signal
import subprocess
import sys
import textwrap
import time

from studio.core import project_file
from studio.core.workspace import Workspace

SAVER = textwrap.dedent(
    """
    import sys
    from studio.core.model import Media, MediaKind, Tag
    from studio.core.workspace import Workspace
    ws = Workspace.open(sys.argv[1])
    # A big project makes each save take long enough to be killed in the middle of one.
    ws.project.media = [
        Media(id=f"med_{i}", path=f"media/{i}.jpg", content_hash="sha256:" + "ab" * 32,
              kind=MediaKind.IMAGE, width=1080, height=1350,
              tags=[Tag(id=f"tag_{i}_{j}", product_id="p", x=0.5, y=0.5) for j in range(5)])
        for i in range(400)
    ]
    n = int(ws.project.name)
    while True:
        n += 1
        ws.project.name = str(n)
        ws.save()
        print(n, flush=True)
    """
)


def test_sigkill_during_saves_never_corrupts(tmp_path):
    root = tmp_path / "ws"
    Workspace.create(root, name="0").close()
    rng = random.Random(1234)
    for _ in range(20):
        before = int(project_file.load(root / "project.json").name)
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(root)], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        child.stdout.readline()  # at least one save completed: the loop is running
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        printed = [int(x) for x in out.split()] or [before + 1]
        last_confirmed = max(printed)
        state = int(project_file.load(root / "project.json").name)  # must parse
        assert state in (last_confirmed, last_confirmed + 1), (state, last_confirmed)
    # temp files of interrupted saves are swept when the workspace is next opened for writing
    Workspace.open(root).close()
    assert not list(root.glob(".project.json.*.tmp"))
