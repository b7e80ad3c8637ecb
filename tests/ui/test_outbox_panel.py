"""The Outbox dock, the background OutboxRunner and the missed-schedule prompt, over a real outbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from studio.jobs.publish import OutboxSummary
from studio.publish.outbox import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Outbox
from studio.publish.plan import PublishPlan, Step
from studio.ui.main_window import MainWindow
from studio.ui.outbox_panel import OutboxPanel
from studio.ui.outbox_runner import OutboxRunner
from studio.ui.workers import WorkerBridge


def make_plan(post_id: str) -> PublishPlan:
    steps = [
        Step("s0", "upload", "upload", idempotent=True, records=("id",)),
        Step("s1", "publish", "publish", idempotent=False, records=("id",)),
    ]
    return PublishPlan(
        post_id=post_id,
        platform="instagram",
        target="instagram.feed_image",
        account="shop",
        steps=steps,
        decision={"post_id": post_id, "platform": "instagram", "target": "instagram.feed_image", "tags": []},
    )


@pytest.fixture
def box(sample_workspace: Path) -> Iterator[Outbox]:
    ob = Outbox.open(sample_workspace)
    yield ob
    ob.close()


def finish(box: Outbox, job_id: str, links: list[str], natives: list[str]) -> None:
    assert box.claim(job_id, "w1") is not None
    box.complete(job_id, links, native_products=natives, worker="w1")


def fail(box: Outbox, job_id: str, error: str) -> None:
    assert box.claim(job_id, "w1") is not None
    box.fail(job_id, error, worker="w1")


def panel_over(qtbot: Any, box: Outbox, **kwargs: Any) -> OutboxPanel:
    panel = OutboxPanel(**kwargs)
    qtbot.addWidget(panel)
    panel.set_source(
        lambda: box, lambda post_id: {"post_a": "Summer linen shirt, now in stock"}.get(post_id, "")
    )
    return panel


def cells(table: Any, row: int) -> list[str]:
    return [table.item(row, c).text() if table.item(row, c) else "" for c in range(table.columnCount())]


def test_panel_lists_jobs_and_history_with_links(qtbot: Any, box: Outbox) -> None:
    queued = box.enqueue("post_a", "instagram", "shop", make_plan("post_a"))
    later = box.enqueue("post_b", "pinterest", "boards", make_plan("post_b"), scheduled_at=time.time() + 3600)
    failed = box.enqueue("post_c", "facebook", "page", make_plan("post_c"))
    fail(box, failed, "HTTP 500 from graph")
    done = box.enqueue("post_a", "facebook", "page", make_plan("post_a"))
    finish(box, done, ["https://facebook.com/p/1"], ["p1", "p2"])
    opened: list[str] = []
    panel = panel_over(qtbot, box, open_url=lambda url: opened.append(url.toString()) or True)

    table = panel.jobs_table
    rows = {table.item(r, 0).data(Qt.ItemDataRole.UserRole): cells(table, r) for r in range(table.rowCount())}
    assert set(rows) == {queued, later, failed, done}
    assert rows[queued][:4] == ["Summer linen shirt, now in stock", "instagram", "shop", QUEUED]
    assert rows[later][0] == "post_b"  # no caption known: the post id
    assert rows[later][4] != "" and rows[queued][4] == ""  # scheduled time shown
    assert rows[failed][3] == FAILED and rows[failed][5] == "1"
    assert rows[failed][6] == "HTTP 500 from graph"
    assert rows[done][3] == DONE

    assert panel.history_table.rowCount() == 1
    hist = cells(panel.history_table, 0)
    assert hist[2] == "facebook" and hist[4] == "2"  # two products tagged natively
    label = panel.history_table.cellWidget(0, 5)
    assert "https://facebook.com/p/1" in label.text()
    label.linkActivated.emit("https://facebook.com/p/1")
    assert opened == ["https://facebook.com/p/1"]


def test_retry_cancel_publish_now_buttons_change_states(qtbot: Any, box: Outbox) -> None:
    failed = box.enqueue("post_c", "facebook", "page", make_plan("post_c"))
    fail(box, failed, "boom")
    queued = box.enqueue("post_a", "instagram", "shop", make_plan("post_a"))
    later = box.enqueue("post_b", "pinterest", "boards", make_plan("post_b"), scheduled_at=time.time() + 3600)
    panel = panel_over(qtbot, box)
    changes: list[int] = []
    panel.changed.connect(lambda: changes.append(1))

    assert panel.select_job(failed)
    assert panel.retry_button.isEnabled() and not panel.skip_button.isEnabled()
    panel.retry_button.click()
    assert box.state(failed) == QUEUED
    assert panel.selected_job_id() == failed  # selection survives the refresh

    assert panel.select_job(queued)
    assert not panel.retry_button.isEnabled() and panel.cancel_button.isEnabled()
    panel.cancel_button.click()
    assert box.state(queued) == CANCELLED
    assert panel.retry_button.isEnabled()

    assert panel.select_job(later)
    assert later not in {j.id for j in box.next_due()}
    assert panel.publish_now_button.isEnabled()
    panel.publish_now_button.click()
    assert later in {j.id for j in box.next_due()}
    assert changes == [1, 1, 1]


def test_skip_is_offered_for_missed_schedules_only(qtbot: Any, box: Outbox) -> None:
    missed = box.enqueue("post_a", "instagram", "shop", make_plan("post_a"), scheduled_at=time.time() - 7200)
    panel = panel_over(qtbot, box)
    assert panel.select_job(missed)
    assert cells(panel.jobs_table, 0)[3] == "missed"
    assert panel.skip_button.isEnabled()
    panel.skip_button.click()
    assert box.state(missed) == CANCELLED
    assert not panel.skip_button.isEnabled()


# --- the runner ---------------------------------------------------------------------------------------


class FakeRun:
    """Stands in for run_outbox: completes every due job with a permalink, on the worker thread."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.gate = gate
        self.saw_cancel = False

    def __call__(
        self, ws: Path, *, registry: Any, progress: Callable[..., None], cancel: Any
    ) -> OutboxSummary:
        self.calls.append({"ws": ws, "registry": registry})
        if self.gate is not None:
            while not self.gate.wait(0.01):
                if cancel.cancelled:
                    self.saw_cancel = True
                    return OutboxSummary()
        summary = OutboxSummary()
        with Outbox.open(ws) as box:
            for job in box.next_due():
                claimed = box.claim(job.id, "fake")
                assert claimed is not None
                link = f"https://instagram.com/p/{job.post_id}"
                box.complete(job.id, [link], native_products=["p1"], worker="fake")
                summary.published.append(job.id)
                summary.permalinks[job.id] = [link]
        return summary


def make_runner(
    qtbot: Any, root: Path, run: FakeRun, registry: Any = "REG"
) -> tuple[OutboxRunner, WorkerBridge]:
    bridge = WorkerBridge()
    problem = None if registry is not None else RuntimeError("no keyring here")
    runner = OutboxRunner(
        root, bridge, registry_fn=lambda: (registry, problem), run_fn=run, interval_ms=60_000
    )
    return runner, bridge


def test_runner_runs_due_jobs_and_reports(qtbot: Any, sample_workspace: Path, box: Outbox) -> None:
    run = FakeRun()
    runner, bridge = make_runner(qtbot, sample_workspace, run)
    assert not runner.kick()  # nothing due yet: no run, no keyring
    assert run.calls == []
    job_id = box.enqueue("post_a", "instagram", "shop", make_plan("post_a"))
    published: list[tuple[str, str, str]] = []
    runner.published.connect(lambda *a: published.append(a))
    with qtbot.waitSignal(runner.jobsChanged, timeout=5000):
        assert runner.kick()
    assert runner.active
    qtbot.waitUntil(lambda: not runner.active, timeout=5000)
    assert run.calls == [{"ws": sample_workspace, "registry": "REG"}]
    assert box.state(job_id) == DONE
    assert published == [("post_a", "instagram", "https://instagram.com/p/post_a")]
    assert not runner.kick()  # done: nothing due any more
    assert runner.stop()
    assert bridge.wait(5000)


def test_runner_stops_cleanly_cancelling_the_active_run(
    qtbot: Any, sample_workspace: Path, box: Outbox
) -> None:
    gate = threading.Event()
    run = FakeRun(gate)
    runner, _bridge = make_runner(qtbot, sample_workspace, run)
    box.enqueue("post_a", "instagram", "shop", make_plan("post_a"))
    assert runner.kick()
    qtbot.waitUntil(lambda: bool(run.calls), timeout=5000)
    assert not runner.kick()  # one run at a time
    assert runner.stop(5000)
    assert run.saw_cancel and not runner.active and runner.stopped
    assert not runner.kick()  # stopped for good
    assert box.state(box.jobs()[0].id) in (QUEUED, RUNNING)  # the fake never claimed it


def test_runner_without_secrets_reports_once_and_does_nothing(
    qtbot: Any, sample_workspace: Path, box: Outbox
) -> None:
    run = FakeRun()
    runner, _ = make_runner(qtbot, sample_workspace, run, registry=None)
    box.enqueue("post_a", "instagram", "shop", make_plan("post_a"))
    said: list[str] = []
    runner.unavailable.connect(said.append)
    assert not runner.kick() and not runner.kick()
    assert said == ["no keyring here"] and run.calls == []
    runner.stop()


# --- the main window ----------------------------------------------------------------------------------


def test_missed_schedule_prompt_on_open_and_publish_now_makes_it_due(
    qtbot: Any, make_window: Callable[..., MainWindow], sample_workspace: Path
) -> None:
    with Outbox.open(sample_workspace) as box:
        missed = box.enqueue(
            "post_a", "instagram", "shop", make_plan("post_a"), scheduled_at=time.time() - 7200
        )
        assert [j.id for j in box.next_due()] == []
    win = make_window()
    asked: list[int] = []

    def ask(count: int) -> str:
        asked.append(count)
        return "publish"

    win.ask_missed_schedules = ask  # type: ignore[method-assign]
    run = FakeRun()
    win.outbox_run_fn = run
    win.outbox_registry_fn = lambda: ("REG", None)
    assert win.open_workspace(sample_workspace)
    assert asked == [1]
    assert win.outbox_runner is not None
    assert win.outbox_panel.jobs_table.rowCount() == 1
    qtbot.waitUntil(lambda: bool(run.calls) and not win.outbox_runner.active, timeout=5000)  # start() kicks
    with Outbox.open(sample_workspace) as box:
        assert box.state(missed) == DONE
    qtbot.waitUntil(lambda: win.outbox_panel.history_table.rowCount() == 1, timeout=5000)
    assert "Published on instagram" in win.status_text.text()
    runner = win.outbox_runner
    assert win.close_document()
    assert win.outbox_runner is None and runner.stopped


def test_missed_schedule_skip_and_decide_later(
    qtbot: Any, make_window: Callable[..., MainWindow], sample_workspace: Path
) -> None:
    with Outbox.open(sample_workspace) as box:
        missed = box.enqueue(
            "post_a", "instagram", "shop", make_plan("post_a"), scheduled_at=time.time() - 7200
        )
    win = make_window()
    answers = iter(["later", "skip"])
    win.ask_missed_schedules = lambda count: next(answers)  # type: ignore[method-assign]
    win.outbox_run_fn = FakeRun()
    assert win.open_workspace(sample_workspace)
    with Outbox.open(sample_workspace) as box:
        assert box.state(missed) == QUEUED and [j.id for j in box.missed()] == [missed]
    assert win.close_document()
    assert win.open_workspace(sample_workspace)  # reopening asks again
    with Outbox.open(sample_workspace) as box:
        assert box.state(missed) == CANCELLED


def test_outbox_dock_and_view_toggle(make_window: Callable[..., MainWindow]) -> None:
    win = make_window()
    action = win.action_map["view.show_outbox"]
    # first run: the bottom panels start closed (the canvas keeps the room)
    assert not action.isChecked() and win.outbox_dock.isHidden()
    assert win.insights_dock.isHidden() and win.sync_dock.isHidden()
    action.trigger()
    assert not win.outbox_dock.isHidden()
    action.trigger()
    assert win.outbox_dock.isHidden()
    action.trigger()
    assert not win.outbox_dock.isHidden()


def test_expired_login_shows_reconnect_and_a_renewed_login_requeues_the_waiting_jobs(
    qtbot: Any, make_window: Callable[..., MainWindow], sample_workspace: Path
) -> None:
    with Outbox.open(sample_workspace) as box:
        waiting = box.enqueue("post_a", "instagram", "shop", make_plan("post_a"))
        other = box.enqueue("post_b", "instagram", "shop", make_plan("post_b"))
        fail(box, waiting, "Reconnect shop: the Instagram login expired (error 190)")
        fail(box, other, "The image is 9 MB; Instagram takes 8 MB at most")  # a real failure: stays
    win = make_window()
    run = FakeRun()
    win.outbox_run_fn = run
    win.outbox_registry_fn = lambda: ("REG", None)
    assert win.open_workspace(sample_workspace)
    assert not win.reconnect_button.isVisible()

    win.outbox_runner.needsReconnect.emit("shop")
    assert win.reconnect_button.isVisible() and win.reconnect_button.text() == "Reconnect shop…"
    assert "shop" in win.status_text.text()

    shown: list[Any] = []
    win.run_dialog = lambda dialog: shown.append(dialog) or False  # type: ignore[method-assign]
    win.reconnect_button.click()
    assert len(shown) == 1 and shown[0].needs_reconnect == {"shop"}

    shown[0].reconnected.emit("shop")  # what the dialog says after a successful sign-in
    assert not win.reconnect_button.isVisible()
    assert "shop reconnected: 1 waiting post(s) queued again" in win.status_text.text()
    qtbot.waitUntil(lambda: not win.outbox_runner.active and bool(run.calls), timeout=5000)
    with Outbox.open(sample_workspace) as box:
        assert box.state(waiting) == DONE  # queued again and published by the runner
        assert box.state(other) == FAILED  # not a login problem: left for the user
