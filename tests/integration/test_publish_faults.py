"""100 posts through the outbox with 10 % injected faults (incl. answers lost after processing) and a
SIGKILL of the worker process mid-way: afterwards every post exists exactly once on the fakes and no
job is left pending. The worker is a real subprocess running `run_outbox`, killed with SIGKILL.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from PIL import Image

from studio.core.post_rules import new_post
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.jobs.publish import enqueue_post
from studio.publish.accounts import AccountRegistry
from studio.publish.oauth import TokenSet
from studio.publish.outbox import ACTIVE, DONE, Outbox
from studio.publish.secrets import EncryptedFileStore, SecretStore

POSTS = 100
PASSPHRASE = "fault-test-passphrase"

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from studio.jobs.publish import MediaHostSettings, default_clients_factory, run_outbox
    from studio.publish.accounts import AccountRegistry
    from studio.publish.http import RateLimiter, RetryPolicy
    from studio.publish.secrets import EncryptedFileStore, SecretStore

    root, app, bucket, endpoint, passphrase = sys.argv[1:6]
    store = SecretStore(EncryptedFileStore(passphrase, Path(app) / "secrets.enc", scrypt_n=2**10))
    registry = AccountRegistry(store, Path(app) / "accounts.json")
    policy = RetryPolicy(base_delay=0.01, max_delay=0.05, max_total=5.0, usage_pause=0.05)
    factory = default_clients_factory(
        registry,
        media_host=MediaHostSettings(bucket=bucket, endpoint_url=endpoint),
        session_kwargs={"policy": policy, "limiter": RateLimiter(1000.0, 1000)},
    )
    summary = run_outbox(
        root, registry=registry, clients_factory=factory,
        poll_s=0.0, retry_base_s=0.05, wait_s=15.0, lease_s=2.0, workers=4,
    )
    print("published", len(summary.published), "pending", summary.pending, flush=True)
    """
)


def build_workspace(root: Path, app: Path, fp: Any) -> tuple[list[str], AccountRegistry]:
    """A workspace of POSTS tiny 4:5 photos, one post each, and the IG + Page accounts."""
    media_dir = root / "photos"
    media_dir.mkdir(parents=True)
    for n in range(POSTS):
        noise = Image.frombytes("RGB", (64, 80), os.urandom(64 * 80 * 3))  # unique content per post
        noise.save(media_dir / f"p{n:03}.jpg", quality=70)
    store = SecretStore(EncryptedFileStore(PASSPHRASE, app / "secrets.enc", scrypt_n=2**10))
    reg = AccountRegistry(store, app / "accounts.json")
    g = fp.graph
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id=g.ig_user_id,
        name="Shop IG",
        tokens=TokenSet(g.user_token, None, None),
        extra={"login": "facebook_login", "product_tag_eligible": True},
    )
    reg.connect(
        platform="facebook",
        kind="fb_page",
        remote_id=g.page_id,
        name="Shop Page",
        tokens=TokenSet(g.page_token, None, None),
    )
    with Workspace.create(root, name="Faults") as ws:
        add_media([media_dir], ws.project, ws.root)
        posts = []
        for n, media in enumerate(sorted(ws.project.media, key=lambda m: m.name)):
            post = new_post([media.id], ("instagram", "facebook"))
            post.caption = f"Post number {n:03} of the fault run"
            posts.append(post)
        ws.project.posts += posts
        ws.save()
    return [p.id for p in posts], reg


def start_worker(root: Path, app: Path, fp: Any) -> subprocess.Popen[str]:
    env = dict(os.environ)
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(root), str(app), fp.s3.bucket, fp.s3.endpoint_url, PASSPHRASE],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_faults_and_a_kill_publish_every_post_exactly_once(fake_platforms: Any, tmp_path: Path) -> None:
    fp = fake_platforms
    g = fp.graph
    g.quota_total = 10_000
    root, app = tmp_path / "ws", tmp_path / "app"
    post_ids, reg = build_workspace(root, app, fp)
    accounts = {a.platform: a for a in reg.list()}
    with Workspace.open(root) as ws:
        for pid in post_ids:
            enqueue_post(ws, pid, ["instagram", "facebook"], accounts=accounts)

    g.fail_rate(0.10, seed=7, statuses=(429, 500, 503), lost_answers=0.3)
    worker = start_worker(root, app, fp)
    deadline = time.monotonic() + 60
    while len(g.published_on("instagram")) < POSTS // 3 and worker.poll() is None:
        assert time.monotonic() < deadline, (
            f"no progress: {len(g.published)} published, {len(g.requests)} requests"
        )
        time.sleep(0.02)
    assert worker.poll() is None, worker.communicate()[1][-3000:]
    os.kill(worker.pid, signal.SIGKILL)  # mid-way: some step is running, its lease is held
    worker.wait()
    killed_at = len(g.published)
    assert killed_at < 2 * POSTS

    restarted = start_worker(root, app, fp)
    _out, err = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, err[-1200:]
    g.fail_rate(0)
    faults = [r for r in g.requests if r.fault]
    assert faults, "no fault was injected"
    # answers lost *after* a post was made: only the probes keep these from posting twice
    assert any(r.fault == "drop" and r.path.endswith(("/media_publish", "/feed")) for r in faults)

    with Outbox.open(root) as outbox:
        left = [(j.state, j.last_error) for j in outbox.jobs() if j.state != DONE]
        seen = {p.caption for p in g.published_on("instagram")}
        left += [
            [(s.key, s.state, s.attempts, s.remote_ids) for s in j.steps]
            for j in outbox.jobs()
            if j.platform == "instagram" and j.plan.caption not in seen
        ]
    for platform in ("instagram", "facebook"):
        captions = collections.Counter(p.caption for p in g.published_on(platform))
        duplicates = {c: n for c, n in captions.items() if n > 1}
        assert not duplicates, f"{platform} duplicates: {duplicates}"
        assert len(post_ids) == POSTS
        assert len(captions) == POSTS, f"{platform}: {len(captions)} of {POSTS} published; {left[:5]}"
    with Outbox.open(root) as outbox:
        assert outbox.jobs(ACTIVE) == []
        assert len(outbox.jobs([DONE])) == 2 * POSTS
        assert all(h.permalinks for h in outbox.history())
