"""Benchmark: 100 carousel posts (3 images each) to Instagram through the outbox, against the fakes.

Run from the repo root: `.venv/bin/python benchmarks/publish.py [--posts 100] [--latency 0.05]`.
Prints the wall time of publishing (rendering and queueing are timed apart), the requests sent vs.
the minimum the APIs require per carousel (uploads + item containers + carousel container + one
status poll + publish), and the duplicate count on the fake (must be 0). Not a test: no asserts on time.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from studio.core.post_rules import new_post
from studio.core.workspace import Workspace
from studio.jobs.add_media import add_media
from studio.jobs.publish import (
    MediaHostSettings,
    PlatformClients,
    default_clients_factory,
    enqueue_post,
    run_outbox,
)
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.http import RateLimiter
from studio.publish.oauth import TokenSet
from studio.publish.secrets import EncryptedFileStore, SecretStore
from tests.fakes.graph import FakeGraph
from tests.fakes.s3 import FakeS3, MotoServer

ITEMS = 3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--posts", type=int, default=100)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--workers", type=int, default=8, help="jobs driven at once")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    os.environ["STUDIO_DATA_DIR"] = str(tmp / "app")
    moto = MotoServer().start()
    s3 = FakeS3(moto)
    os.environ.update(s3.env)
    s3.create_bucket()
    with FakeGraph(latency=args.latency) as g:
        os.environ.update(g.env)
        g.quota_total = 10_000
        store = SecretStore(EncryptedFileStore("bench", tmp / "app" / "secrets.enc", scrypt_n=2**10))
        reg = AccountRegistry(store, tmp / "app" / "accounts.json")
        account = reg.connect(
            platform="instagram",
            kind="ig_business",
            remote_id=g.ig_user_id,
            name="Bench IG",
            tokens=TokenSet(g.user_token, None, None),
            extra={"login": "facebook_login", "product_tag_eligible": True},
        )
        root = tmp / "ws"
        photos = root / "photos"
        photos.mkdir(parents=True)
        for n in range(args.posts * ITEMS):
            noise = Image.frombytes("RGB", (80, 100), os.urandom(80 * 100 * 3))  # unique content
            noise.save(photos / f"p{n:04}.jpg", quality=70)
        t0 = time.perf_counter()
        with Workspace.create(root, name="Bench") as ws:
            report = add_media([photos], ws.project, ws.root)
            assert len(ws.project.media) == args.posts * ITEMS, (len(report.added), report.problems[:3])
            media = sorted(ws.project.media, key=lambda m: m.name)
            for n in range(args.posts):
                post = new_post([m.id for m in media[n * ITEMS : (n + 1) * ITEMS]], ("instagram",))
                post.caption = f"Carousel {n:03}"
                ws.project.posts.append(post)
            ws.save()
            for post in ws.project.posts:
                enqueue_post(ws, post.id, ["instagram"], accounts={"instagram": account})
        t_prepare = time.perf_counter() - t0

        s3_calls: collections.Counter[str] = collections.Counter()
        base = default_clients_factory(
            reg,
            media_host=MediaHostSettings(bucket=s3.bucket, endpoint_url=s3.endpoint_url),
            session_kwargs={"limiter": RateLimiter(1000.0, 1000)},
        )

        def factory(acc: Account) -> PlatformClients:
            clients = base(acc)
            client = clients.media_host._client
            if not getattr(client, "_bench_counted", False):
                client.meta.events.register(
                    "before-send.s3", lambda request, **_: s3_calls.update([request.method])
                )
                client._bench_counted = True
            return clients

        g.clear_log()
        t1 = time.perf_counter()
        summary = run_outbox(
            root, registry=reg, clients_factory=factory, poll_s=1.0, wait_s=30.0, workers=args.workers
        )
        wall = time.perf_counter() - t1

        graph = collections.Counter(
            "poll"
            if r.method == "GET" and "fields" in r.query and "status_code" in r.query.get("fields", "")
            else (
                "publish"
                if r.path.endswith("/media_publish")
                else ("container" if r.path.endswith("/media") else "other")
            )
            for r in g.requests
        )
        captions = collections.Counter(p.caption for p in g.published_on("instagram"))
        duplicates = sum(n - 1 for n in captions.values() if n > 1)
        minimum = args.posts * (ITEMS + ITEMS + 1 + 1 + 1)
        sent_min_kinds = s3_calls["PUT"] + graph["container"] + graph["poll"] + graph["publish"]
        sent_total = sum(s3_calls.values()) + len(g.requests)
        other_s3 = sum(s3_calls.values()) - s3_calls["PUT"] - s3_calls["DELETE"]
        print(
            f"posts: {args.posts} carousels × {ITEMS} images, fake latency {args.latency * 1000:.0f} ms, "
            f"{args.workers} job worker(s)"
        )
        print(f"render + check + queue: {t_prepare:.1f} s (not part of the publish wall time)")
        print(f"publish wall time: {wall:.1f} s ({wall / max(1, args.posts) * 1000:.0f} ms per post)")
        print(
            f"published: {len(summary.published)}, pending: {summary.pending}, failed: {len(summary.failed)}"
        )
        print(
            f"requests of the required kinds: {sent_min_kinds} vs minimum {minimum} "
            f"(uploads {s3_calls['PUT']}, containers {graph['container']}, polls {graph['poll']}, "
            f"publish {graph['publish']})"
        )
        print(
            f"all requests: {sent_total} (extra: permalink/other GETs {graph['other']}, "
            f"S3 deletes {s3_calls['DELETE']}, other S3 {other_s3})"
        )
        print(f"duplicates on the fake: {duplicates}")
    s3.delete_bucket()
    moto.stop()
    return 0 if duplicates == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
