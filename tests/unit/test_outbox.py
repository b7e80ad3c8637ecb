"""The outbox: persistent jobs, leases, step records, retries, history, and exactly-once across SIGKILL."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from studio.publish.outbox import (
    CANCELLED,
    DONE,
    FAILED,
    OUTBOX_NAME,
    PENDING,
    QUEUED,
    RUNNING,
    Job,
    JobCancelled,
    LeaseLost,
    Outbox,
    run_job,
)
from studio.publish.plan import PublishPlan, Step


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make_plan(post_id: str = "post_1", n: int = 4, once: tuple[int, ...] = (2,)) -> PublishPlan:
    steps = [
        Step(
            f"s{i}",
            "publish" if i in once else "upload",
            f"step {i}",
            idempotent=i not in once,
            records=("id",),
        )
        for i in range(n)
    ]
    steps.append(Step("permalink", "permalink", "permalink", idempotent=True, records=("permalink",)))
    return PublishPlan(
        post_id=post_id,
        platform="instagram",
        target="instagram.feed_image",
        account="shop",
        steps=steps,
        decision={
            "post_id": post_id,
            "platform": "instagram",
            "target": "instagram.feed_image",
            "tags": [{"media_id": "m", "tag_id": "t", "product_id": "p1", "native": True}],
        },
    )


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def box(tmp_path: Path, clock: Clock) -> Iterator[Outbox]:
    ob = Outbox.open(tmp_path, clock=clock)
    yield ob
    ob.close()


def test_enqueue_writes_the_job_and_pending_steps_first(box: Outbox, tmp_path: Path) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    assert (tmp_path / OUTBOX_NAME).exists()
    job = box.get(job_id)
    assert job.state == QUEUED and job.attempts == 0 and job.native_products == ["p1"]
    assert [s.state for s in job.steps] == [PENDING] * 5 and job.next_step == "s0"
    assert job.plan == make_plan()
    assert box.enqueue("post_1", "instagram", "shop", make_plan()) == job_id  # double click: same job
    assert box.enqueue("post_1", "instagram", "other", make_plan()) != job_id
    with sqlite_journal(tmp_path) as mode:
        assert mode == "wal"


class sqlite_journal:
    def __init__(self, root: Path) -> None:
        import sqlite3

        self.conn = sqlite3.connect(root / OUTBOX_NAME)

    def __enter__(self) -> str:
        return str(self.conn.execute("PRAGMA journal_mode").fetchone()[0])

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def test_claim_lease_expiry_and_fencing(box: Outbox, clock: Clock) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    job = box.claim(job_id, "w1", lease_s=60)
    assert job is not None and job.state == RUNNING and job.lease_owner == "w1" and job.attempts == 1
    assert box.claim(job_id, "w2", lease_s=60) is None  # held
    assert box.next_due() == []
    box.begin_step(job_id, "s0", worker="w1")
    box.record_step(job_id, "s0", {"id": "A"}, worker="w1")
    clock.t += 61  # w1 was killed: its lease runs out
    assert [j.id for j in box.next_due()] == [job_id]
    taken = box.claim(job_id, "w2", lease_s=60)
    assert taken is not None and taken.lease_owner == "w2" and taken.step("s0").state == DONE
    with pytest.raises(LeaseLost):
        box.record_step(job_id, "s1", {"id": "B"}, worker="w1")  # the zombie cannot write
    with pytest.raises(LeaseLost):
        box.renew(job_id, "w1")
    box.renew(job_id, "w2", lease_s=60)


def test_record_partial_then_done_and_complete_into_history(box: Outbox, clock: Clock) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    box.claim(job_id, "w")
    rec = box.begin_step(job_id, "s2", worker="w")
    assert rec.state == RUNNING and rec.attempts == 1
    box.record_step(job_id, "s2", {"creation_id": "C1"}, done=False, worker="w")  # before the publish call
    mid = box.get(job_id).step("s2")
    assert mid.state == RUNNING and mid.remote_ids == {"creation_id": "C1"}
    box.record_step(job_id, "s2", {"id": "M1"}, worker="w")
    done = box.get(job_id).step("s2")
    assert done.state == DONE and done.remote_ids == {"creation_id": "C1", "id": "M1"}
    with pytest.raises(Exception, match="already done"):
        box.begin_step(job_id, "s2", worker="w")
    clock.t += 5
    box.complete(job_id, ["https://instagram.com/p/X"], native_products=["p1"], worker="w")
    (entry,) = box.history()
    assert entry.permalinks == ("https://instagram.com/p/X",) and entry.native_products == ("p1",)
    assert entry.post_id == "post_1" and entry.completed_at == clock.t
    assert box.get(job_id).lease_owner is None


def test_fail_with_retry_at_then_permanent_then_retry(box: Outbox, clock: Clock) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    box.claim(job_id, "w")
    box.begin_step(job_id, "s0", worker="w")
    box.record_step(job_id, "s0", {"id": "A"}, worker="w")
    box.begin_step(job_id, "s1", worker="w")
    box.fail(job_id, "429 rate limited", clock.t + 30, step_key="s1", worker="w")
    job = box.get(job_id)
    assert job.state == QUEUED and job.retry_at == clock.t + 30 and job.last_error == "429 rate limited"
    assert box.next_due() == [] and box.claim(job_id, "w") is None  # not before retry_at
    clock.t += 31
    assert [j.id for j in box.next_due()] == [job_id]
    assert box.claim(job_id, "w") is not None
    box.begin_step(job_id, "s1", worker="w")
    box.fail(job_id, "400 invalid image", None, step_key="s1", worker="w")
    job = box.get(job_id)
    assert job.state == FAILED and job.step("s1").state == FAILED and job.step("s1").attempts == 2
    assert box.next_due() == []
    assert box.retry(job_id)
    job = box.get(job_id)
    assert job.state == QUEUED and job.step("s0").state == DONE and job.step("s1").state == PENDING
    assert job.step("s1").attempts == 2  # kept: a non-idempotent step would be probed first
    assert not box.retry(job_id)  # only failed/cancelled jobs


def test_cancel_stops_a_running_worker_and_retry_revives(box: Outbox) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    box.claim(job_id, "w")
    assert box.cancel(job_id)
    with pytest.raises(JobCancelled):
        box.begin_step(job_id, "s0", worker="w")
    box.record_step(job_id, "s0", {"id": "late"}, worker="w")  # what exists remotely is still recorded
    assert box.state(job_id) == CANCELLED and box.get(job_id).step("s0").remote_ids == {"id": "late"}
    assert box.retry(job_id) and box.state(job_id) == QUEUED
    box.complete(job_id, [])
    assert not box.cancel(job_id)  # published is final


def test_missed_schedules_are_listed_not_run(box: Outbox, clock: Clock) -> None:
    later = box.enqueue("post_1", "instagram", "shop", make_plan("post_1"), scheduled_at=clock.t + 3600)
    missed = box.enqueue("post_2", "instagram", "shop", make_plan("post_2"), scheduled_at=clock.t - 7200)
    skip = box.enqueue("post_3", "instagram", "shop", make_plan("post_3"), scheduled_at=clock.t - 7200)
    now = box.enqueue("post_4", "instagram", "shop", make_plan("post_4"))
    assert [j.id for j in box.next_due()] == [now]
    assert [j.id for j in box.missed()] == [missed, skip]
    assert box.publish_now(missed) and box.skip(skip)
    assert [j.id for j in box.missed()] == []
    assert {j.id for j in box.next_due()} == {now, missed}
    assert box.get(skip).state == CANCELLED and "skipped" in (box.get(skip).last_error or "")
    clock.t += 3601
    assert later in {j.id for j in box.next_due()}


def test_state_survives_reopen(tmp_path: Path, clock: Clock) -> None:
    first = Outbox.open(tmp_path, clock=clock)
    job_id = first.enqueue("post_1", "instagram", "shop", make_plan())
    first.claim(job_id, "w")
    first.begin_step(job_id, "s0", worker="w")
    first.record_step(job_id, "s0", {"id": "A"}, worker="w")
    first.close()
    second = Outbox.open(tmp_path, clock=clock)
    job = second.get(job_id)
    assert job.state == RUNNING and job.step("s0").remote_ids == {"id": "A"} and job.next_step == "s1"
    assert [j.id for j in second.jobs([RUNNING])] == [job_id]
    assert job.to_dict()["next_step"] == "s1"
    second.close()


def test_concurrent_claims_from_threads_give_one_winner(box: Outbox) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def grab(name: str) -> None:
        barrier.wait()
        if box.claim(job_id, name) is not None:
            winners.append(name)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and box.get(job_id).lease_owner == winners[0]


class Runner:
    """A fake platform: every `run` is a remote side effect; `probe` looks them up."""

    def __init__(self, fail_on: Callable[[Step, int], BaseException | None] | None = None) -> None:
        self.effects: list[str] = []
        self.probes: list[str] = []
        self.fail_on = fail_on

    def run(
        self,
        job: Job,
        step: Step,
        recorded: Mapping[str, Mapping[str, str]],
        record: Callable[[Mapping[str, Any]], None],
    ) -> Mapping[str, Any]:
        exc = self.fail_on(step, len(self.effects)) if self.fail_on else None
        if exc is not None:
            raise exc
        self.effects.append(step.key)
        if step.key == "permalink":
            return {"permalink": f"https://example/{job.post_id}"}
        return {"id": f"{step.key}-{len(self.effects)}"}

    def probe(
        self, job: Job, step: Step, recorded: Mapping[str, Mapping[str, str]]
    ) -> Mapping[str, Any] | None:
        self.probes.append(step.key)
        return {"id": "found"} if step.key in self.effects else None


def test_run_job_drives_every_step_and_completes(box: Outbox) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    runner = Runner()
    job = run_job(box, job_id, runner, worker="w")
    assert job is not None and job.state == DONE and job.permalinks == ["https://example/post_1"]
    assert runner.effects == ["s0", "s1", "s2", "s3", "permalink"] and runner.probes == []
    assert box.history()[0].native_products == ("p1",)
    assert run_job(box, job_id, runner, worker="w") is None  # done jobs cannot be claimed


class Retryable(Exception):
    retry_after = 30.0


def test_run_job_retries_later_then_probes_the_uncertain_step(box: Outbox, clock: Clock) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())

    def timeout_after_sending(step: Step, n: int) -> BaseException | None:
        if step.key == "s2" and not timeout_after_sending.done:  # type: ignore[attr-defined]
            timeout_after_sending.done = True  # type: ignore[attr-defined]
            runner.effects.append("s2")  # the platform did it, but the answer was lost
            return Retryable("read timeout")
        return None

    timeout_after_sending.done = False  # type: ignore[attr-defined]
    runner = Runner(timeout_after_sending)
    job = run_job(box, job_id, runner, worker="w")
    assert job is not None and job.state == QUEUED and job.retry_at == clock.t + 30
    assert job.step("s2").state == FAILED and "read timeout" in (job.last_error or "")
    clock.t += 31
    job = run_job(box, job_id, runner, worker="w")
    assert job is not None and job.state == DONE
    assert runner.probes == ["s2"] and runner.effects.count("s2") == 1  # probed, not re-sent
    assert job.step("s2").remote_ids == {"id": "found"}


def test_run_job_permanent_failure(box: Outbox) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    runner = Runner(lambda step, n: ValueError("bad image") if step.key == "s1" else None)
    job = run_job(box, job_id, runner, worker="w")
    assert job is not None and job.state == FAILED and job.step("s0").state == DONE
    assert job.last_error == "step 1: bad image"


# --- SIGKILL mid-run ------------------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import os, sys, time
    from studio.publish.outbox import Outbox, run_job
    root, effects_path, trigger = sys.argv[1], sys.argv[2], sys.argv[3]

    class Runner:
        def run(self, job, step, recorded, record):
            # the remote side effect, durable before we return (the platform has it)
            fd = os.open(effects_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(fd, f"{job.id} {step.key}\\n".encode()); os.fsync(fd); os.close(fd)
            if f"{job.id} {step.key}" == trigger:  # the platform has it; the kill comes now
                print("landed", flush=True)
                time.sleep(60)
            time.sleep(0.004)  # the window where a kill loses the answer
            return {"id": f"{job.id}:{step.key}"}

        def probe(self, job, step, recorded):
            raise AssertionError("a fresh worker never probes")

    box = Outbox.open(root)
    print("ready", flush=True)
    while True:
        due = box.next_due()
        if not due:
            break
        for job in due:
            run_job(box, job.id, Runner(), worker=f"child-{os.getpid()}", lease_s=3600)
    print("finished", flush=True)
    """
)


class EffectsRunner:
    """Resume side: the probe reads the fake platform's durable effects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.found = 0

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines() if self.path.exists() else []

    def run(
        self,
        job: Job,
        step: Step,
        recorded: Mapping[str, Mapping[str, str]],
        record: Callable[[Mapping[str, Any]], None],
    ) -> Mapping[str, Any]:
        with self.path.open("a") as fh:
            fh.write(f"{job.id} {step.key}\n")
        return {"id": f"{job.id}:{step.key}"}

    def probe(
        self, job: Job, step: Step, recorded: Mapping[str, Mapping[str, str]]
    ) -> Mapping[str, Any] | None:
        if f"{job.id} {step.key}" not in self.lines():
            return None
        self.found += 1
        return {"id": f"{job.id}:{step.key}"}


def test_sigkill_mid_run_resumes_without_duplicating(tmp_path: Path) -> None:
    rng = random.Random(7)
    effects = tmp_path / "effects.txt"
    box = Outbox.open(tmp_path)
    ids = [
        box.enqueue(f"post_{i}", "instagram", "shop", make_plan(f"post_{i}", n=6, once=(1, 3, 5)))
        for i in range(12)
    ]
    non_idempotent = {"s1", "s3", "s5"}
    taken_over = 0
    resume = EffectsRunner(effects)
    # Round 1 is killed exactly between a publish-like step's effect and its record (deterministic);
    # the later rounds at random moments.
    for round_no in range(4):
        if all(box.state(j) == DONE for j in ids):
            break
        trigger = f"{ids[2]} s3" if round_no == 0 else "-"
        child = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), str(effects), trigger],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        if round_no == 0:
            assert child.stdout.readline().strip() == "landed"
        else:
            threading.Event().wait(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.communicate()
        # what the outbox says is done right after the kill must never be sent again
        done_now = {(j, s.key) for j in ids for s in box.get(j).steps if s.state == DONE}
        counts = {k: resume.lines().count(f"{k[0]} {k[1]}") for k in done_now}
        # the killed worker's leases are long: a restarted app takes them over once they expire
        later = Outbox.open(tmp_path, clock=lambda: time.time() + 7200)
        stuck = [j.id for j in later.next_due() if j.state == RUNNING]
        taken_over += len(stuck)
        for job_id in stuck:
            run_job(later, job_id, resume, worker="resume", lease_s=60)
        later.close()
        lines = resume.lines()
        assert all(lines.count(f"{j} {k}") == n for (j, k), n in counts.items())
    for job_id in ids:
        if box.state(job_id) != DONE:
            run_job(box, job_id, resume, worker="final")
    assert taken_over > 0  # the kill did land mid-job, and the lease takeover happened
    assert resume.found > 0  # …and at least once an effect had happened without being recorded
    lines = resume.lines()
    for job_id in ids:
        job = box.get(job_id)
        assert job.state == DONE, job.to_dict()
        for key in non_idempotent:
            assert lines.count(f"{job_id} {key}") == 1, (job_id, key)  # exactly once on the "platform"
        for s in job.steps:
            assert s.remote_ids == {"id": f"{job_id}:{s.key}"}
    assert len(box.history()) == len(ids)
    box.close()


def test_claim_without_a_worker_name_makes_one(box: Outbox) -> None:
    job_id = box.enqueue("post_1", "instagram", "shop", make_plan())
    job = box.claim(job_id)
    assert job is not None and job.lease_owner
    box.begin_step(job, "s0", worker=job.lease_owner)
    box.record_step(job, "s0", {"id": "A"}, worker=job.lease_owner)
    assert box.get(job_id).step("s0").state == DONE


def video_plan(post_id: str = "post_v") -> PublishPlan:
    """upload → container → poll → publish → cleanup, as plan.py builds it for one video item."""
    keys = [
        ("ig.upload.m1", "upload", True),
        ("ig.container.m1", "container", False),
        ("ig.poll.m1", "poll", True),
        ("ig.publish", "publish", False),
        ("ig.cleanup.m1", "cleanup", True),
    ]
    steps = [Step(k, a, k, idempotent=i, records=("id",)) for k, a, i in keys]
    return PublishPlan(
        post_id=post_id,
        platform="instagram",
        target="instagram.reel",
        account="shop",
        steps=steps,
        decision={"post_id": post_id, "platform": "instagram", "target": "instagram.reel", "tags": []},
    )


def test_stranded_uploads_follow_what_the_platform_still_needs(box: Outbox, clock: Clock) -> None:
    # uploaded, container not created, then the job failed: delete, and Retry uploads again
    a = box.enqueue("post_a", "instagram", "shop", video_plan("post_a"))
    box.claim(a, "w")
    box.record_step(
        a, "ig.upload.m1", {"object_key": "studio/post_a/m1.mp4", "url": "u"}, done=True, worker="w"
    )
    box.fail(a, "container refused", None, worker="w")
    # uploaded and container created, still processing (poll pending), then cancelled: keep for now
    b = box.enqueue("post_b", "instagram", "shop", video_plan("post_b"))
    box.claim(b, "w")
    box.record_step(
        b, "ig.upload.m1", {"object_key": "studio/post_b/m1.mp4", "url": "u"}, done=True, worker="w"
    )
    box.record_step(b, "ig.container.m1", {"container_id": "c1"}, done=True, worker="w")
    box.release(b, "w")
    assert box.cancel(b)
    # a queued job (will retry by itself) is never touched
    c = box.enqueue("post_c", "instagram", "shop", video_plan("post_c"))
    box.claim(c, "w")
    box.record_step(
        c, "ig.upload.m1", {"object_key": "studio/post_c/m1.mp4", "url": "u"}, done=True, worker="w"
    )
    box.fail(c, "429", clock.t + 60, worker="w")

    stranded = box.stranded_uploads()
    assert [(s.job_id, s.object_key, s.redo_upload) for s in stranded] == [(a, "studio/post_a/m1.mp4", True)]
    box.release_upload(stranded[0])
    assert box.get(a).step("ig.upload.m1").state == PENDING and not box.get(a).step("ig.upload.m1").remote_ids
    assert box.stranded_uploads() == []

    clock.t += 25 * 3600  # b's container expired: nothing will fetch the file any more
    [late] = box.stranded_uploads()
    assert (late.job_id, late.redo_upload) == (b, False)
    box.release_upload(late)
    assert box.get(b).step("ig.cleanup.m1").state == DONE
    assert box.stranded_uploads() == []
