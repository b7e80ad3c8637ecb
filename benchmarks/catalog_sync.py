"""Benchmark: catalog sync of 100,000 items (25k products × 4 variants) to the fake Meta (or Pinterest)
catalog, then a re-sync after 1 % of the items' prices changed.

Run from the repo root: `.venv/bin/python benchmarks/catalog_sync.py [--to meta|pinterest]
[--products 25000] [--latency 0.0] [--no-pacing]`. The fake runs in this process, each sync in a
child process (`studio.jobs.catalog_sync.run_sync`, the code `studio catalog sync` runs) so its peak
RSS is the sync's own. Prints wall time, requests, bytes sent and peak RSS per sync, and checks
that the re-sync sent exactly the changed items. Targets: first sync < 60 s; the 1 % re-sync sends
only those items. Not a test: no asserts on time.

Pacing: the sessions keep the production rate limiter of catalog calls (Meta 5 calls/s after a
burst of 20, Pinterest 1.5/s — catalogs_write is 100/min) and the fake takes `--batch-seconds`
(default 2) to process each batch, so the engine really polls. `--no-pacing` lifts the client-side
limiter (to see the engine's own cost).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.core.model import Availability, Product, Variant  # noqa: E402
from studio.core.workspace import Workspace  # noqa: E402
from studio.publish.accounts import AccountRegistry  # noqa: E402
from studio.publish.oauth import TokenSet  # noqa: E402
from studio.publish.secrets import EncryptedFileStore, SecretStore  # noqa: E402

SIZES = ("S", "M", "L", "XL")
LOREM = (
    "<p>Soft washed linen, relaxed fit, mother-of-pearl buttons.</p><ul><li>100% linen</li>"
    "<li>Machine wash 30 °C</li></ul>"
)

CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from studio.jobs.catalog_sync import run_sync
from studio.publish.accounts import AccountRegistry
from studio.publish.http import RateLimiter
from studio.publish.secrets import EncryptedFileStore, SecretStore
app, ws, to, pacing = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1"
store = SecretStore(EncryptedFileStore("bench", app + "/secrets.enc", scrypt_n=2**10))
reg = AccountRegistry(store, app + "/accounts.json")
session = {} if pacing else {"limiter": RateLimiter(10_000, 1000)}
t, cpu = time.perf_counter(), time.process_time()
report = run_sync(ws, to, registry=reg, session_kwargs=session)
doc = report.counts()
doc["wall"], doc["cpu"] = time.perf_counter() - t, time.process_time() - cpu
# VmHWM (Linux) is this process's own peak; ru_maxrss would include the parent's size at fork time.
try:
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
    doc["maxrss_kb"] = int(hwm.split()[1])
except (OSError, IndexError):
    doc["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(doc))
"""


def products(n: int, rng: random.Random) -> list[Product]:
    out = []
    for i in range(n):
        pid = f"P{i:06d}"
        p = Product(
            id=pid,
            title=f"Linen shirt no. {i}",
            price=Decimal(rng.randrange(1500, 12000)) / 100,
            currency="USD",
            brand="Acme",
            description=LOREM,
            url=f"https://shop.example/products/{pid.lower()}",
            images=[f"https://cdn.shop.example/{pid}/{k}.jpg" for k in range(3)],
            availability=Availability.IN_STOCK,
            product_type="Apparel > Shirts",
        )
        for k, size in enumerate(SIZES):
            p.variants.append(
                Variant(id=f"{pid}-{size}", sku=f"{pid}-{size}", options={"Size": size}, position=k)
            )
        out.append(p)
    return out


def run_child(app: Path, ws: Path, to: str, pacing: bool) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), str(app), str(ws), to, "1" if pacing else "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def show(label: str, doc: dict, requests: int) -> None:
    print(
        f"{label:<22} {doc['wall']:7.2f} s (CPU {doc['cpu']:.1f} s)   items {doc['items']:,}  "
        f"sent {doc['sent']:,}  "
        f"unchanged {doc['unchanged']:,}  confirmed {doc['confirmed']:,}  errors {doc['errors']:,}  "
        f"batches {doc['batches']}  requests {requests}  bytes sent {doc['bytes_sent'] / 1e6:.1f} MB  "
        f"peak RSS {doc['maxrss_kb'] / 1024:.0f} MB"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--to", choices=["meta", "pinterest"], default="meta")
    ap.add_argument("--products", type=int, default=25_000)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every fake response")
    ap.add_argument("--no-pacing", action="store_true", help="lift the client-side rate limiter")
    ap.add_argument(
        "--batch-seconds", type=float, default=2.0, help="how long the fake takes to process a batch"
    )
    args = ap.parse_args()
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="bench-catalog-sync-"))
    app, ws = tmp / "app", tmp / "ws"
    os.environ["STUDIO_DATA_DIR"] = str(app)
    t = time.perf_counter()
    catalog = products(args.products, rng)
    with Workspace.create(ws, name="Bench") as w:
        w.catalog.upsert(catalog, "bench")
    print(f"workspace: {args.products:,} products × {len(SIZES)} variants in {time.perf_counter() - t:.1f} s")

    if args.to == "meta":
        from tests.fakes.graph import FakeGraph

        fake = FakeGraph(latency=args.latency)
    else:
        from tests.fakes.pinterest import FakePinterest

        fake = FakePinterest(latency=args.latency)
        fake.rate_limit = 100_000
    with fake:
        os.environ.update(fake.env)
        state = fake.catalog_state
        state.keep_payloads = False
        state.batch_polls, state.batch_seconds = 0, args.batch_seconds
        store = SecretStore(EncryptedFileStore("bench", app / "secrets.enc", scrypt_n=2**10))
        reg = AccountRegistry(store, app / "accounts.json")
        if args.to == "meta":
            reg.connect(
                platform="instagram",
                kind="ig_business",
                remote_id=fake.ig_user_id,
                name="Bench IG",
                tokens=TokenSet(fake.user_token, None, None),
                extra={"catalog_id": fake.catalog_id},
            )
        else:
            reg.connect(
                platform="pinterest",
                kind="pinterest",
                remote_id="u1",
                name="Bench Pins",
                tokens=TokenSet(fake.access_token, None, None),
            )

        first = run_child(app, ws, args.to, not args.no_pacing)
        show("first sync", first, len(fake.requests))
        fake.clear_log()
        state.received.clear()

        # 1 % of the items change price
        changed: set[str] = set()
        with Workspace.open(ws) as w:
            picks = rng.sample(catalog, k=max(1, len(catalog) * len(SIZES) // 100 // len(SIZES)))
            for p in picks:
                for v in p.variants:
                    v.price = p.price + Decimal("1.00")
                    changed.add(v.sku)
            w.catalog.upsert(picks, "bench")
        again = run_child(app, ws, args.to, not args.no_pacing)
        show("re-sync after 1 %", again, len(fake.requests))
        sent = state.sent_ids()
        exact = sorted(sent) == sorted(changed)
        print(
            f"re-sync sent {len(sent):,} items for {len(changed):,} changed: "
            + ("exactly the changed items" if exact else "MISMATCH")
        )
        target = "< 60 s: met" if first["wall"] < 60 else "< 60 s: NOT met"
        print(f"target first sync {target}")
        return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
