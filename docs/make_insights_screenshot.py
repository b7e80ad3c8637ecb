"""Render the Insights view and a sample client report over a realistic demo store (offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_insights_screenshot.py

Writes docs/screenshots/insights.png (the Posts tab), insights-platforms.png, insights-time.png
(the heatmap), insights-dark.png (a dark palette) and insights-report.png (the one-page report).
The demo store is seeded deterministically by `seed_demo`: a few months of Instagram, Facebook
and Pinterest posts with lifetime snapshots (Instagram/Facebook) and daily values (Pinterest), a
Story whose reach never became available, fresh posts still "not available yet", and orders
attributed by discount code, UTM and SKU.
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from studio.core.insights_store import InsightsStore, Order, OrderLine, PostRef  # noqa: E402

PRODUCTS: dict[str, tuple[str, Decimal]] = {
    "linen-shirt": ("Linen shirt Été", Decimal("89.00")),
    "ceramic-mug": ("Ceramic mug", Decimal("24.50")),
    "canvas-tote": ("Canvas tote", Decimal("39.00")),
    "straw-hat": ("Straw hat", Decimal("45.00")),
    "oak-tray": ("Oak serving tray", Decimal("58.00")),
    "wool-throw": ("Wool throw", Decimal("119.00")),
}
FORMATS = {
    "instagram": [("IMAGE", 5), ("CAROUSEL_ALBUM", 4), ("REELS", 5), ("STORY", 3)],
    "facebook": [("IMAGE", 3), ("VIDEO", 2)],
    "pinterest": [("PIN", 1)],
}
REACH_BASE = {"IMAGE": 1800, "CAROUSEL_ALBUM": 2300, "REELS": 5200, "STORY": 900, "VIDEO": 1500, "PIN": 0}
HOUR_BOOST = {8: 0.9, 12: 1.15, 13: 1.1, 18: 1.3, 19: 1.45, 20: 1.35, 21: 1.1}
IG_LIKE = ("reach", "views", "total_interactions", "saved", "likes", "comments", "shares")


def _growth(age_hours: float) -> float:
    """Share of a post's final numbers reached after `age_hours` (fast start, long tail)."""
    return 1 - math.exp(-age_hours / 30.0)


SCENES = (
    "on the terrace",
    "Sunday brunch",
    "studio flat lay",
    "market morning",
    "golden hour",
    "behind the scenes",
    "new in",
    "styled three ways",
)


def seed_demo(
    store: InsightsStore,
    today: date,
    *,
    seed: int = 7,
    posts: int = 150,
    labels: dict[str, str] | None = None,
) -> dict[str, str]:
    """Fill `store` with demo posts, metrics and orders; returns product id -> title.

    `labels`, when given, receives post id -> a caption-like label (what the GUI shows).
    """
    rng = random.Random(seed)
    now = datetime(today.year, today.month, today.day, 17, 0, tzinfo=UTC)
    refs: list[PostRef] = []
    for n in range(posts):
        platform = rng.choices(["instagram", "facebook", "pinterest"], weights=[6, 2, 3])[0]
        kinds, weights = zip(*FORMATS[platform], strict=True)
        media_type = rng.choices(kinds, weights=weights)[0]
        age_days = rng.uniform(0.2, 118)
        published = now - timedelta(days=age_days)
        hour = rng.choices(
            [8, 9, 11, 12, 13, 16, 17, 18, 19, 20, 21], weights=[2, 1, 1, 3, 2, 1, 2, 4, 5, 4, 2]
        )[0]
        published = published.replace(
            hour=(hour - 2) % 24, minute=rng.choice([0, 15, 30, 45]), second=0, microsecond=0
        )
        if published > now - timedelta(hours=3):
            published = now - timedelta(hours=3)
        tagged = rng.sample(list(PRODUCTS), 1 if platform == "pinterest" else rng.choice([1, 1, 2, 3]))
        ref = PostRef(
            post_id=f"post-{n + 1:03d}",
            platform=platform,
            remote_id=f"{platform[:2]}{9000 + n}",
            media_type=media_type,
            published_at=published,
            permalink=f"https://example.com/{platform}/{n + 1}",
            product_ids=tagged,
            account="@maison.demo" if platform != "facebook" else "Maison Demo",
        )
        store.upsert_post(ref)
        refs.append(ref)
        if labels is not None:
            labels[ref.post_id] = f"{PRODUCTS[tagged[0]][0]} — {rng.choice(SCENES)}"
        local_hour = (published.hour + 2) % 24  # the demo shop is in Paris (UTC+1/+2)
        quality = rng.lognormvariate(0, 0.35) * HOUR_BOOST.get(local_hour, 1.0)
        age_h = (now - published).total_seconds() / 3600
        if platform == "pinterest":
            _seed_pin(store, ref, rng, now, quality)
            continue
        reach_final = REACH_BASE[media_type] * quality
        views_per_reach = rng.uniform(1.3, 1.9)  # lifetime counters only grow: one ratio per post
        snapshots = [h for h in (1, 6, *range(24, 24 * 29, 24), 1008, 1344) if h <= age_h] + [age_h]
        for h in snapshots:
            at = published + timedelta(hours=h)
            g = _growth(h)
            reach = reach_final * g
            if platform == "instagram":
                rate = {"REELS": 0.075, "STORY": 0.03, "CAROUSEL_ALBUM": 0.07}.get(
                    media_type, 0.055
                ) * quality
                values: list[tuple[str, float | None, date | None]] = [
                    ("reach", round(reach), None),
                    ("views", round(reach * views_per_reach), None),
                    ("total_interactions", round(reach * rate), None),
                ]
                if media_type != "STORY":
                    values.append(("saved", round(reach * rate * 0.22), None))
                if media_type == "STORY" and n % 4 == 0:
                    store.record_unavailable(
                        ref.post_id, "instagram", "reach", "(#10) Not enough viewers", at
                    )
                    values = [v for v in values if v[0] != "reach"]
                if age_h < 30 and h == age_h and media_type != "STORY":
                    # fresh posts: Instagram delays some numbers up to 48 h
                    store.record_unavailable(ref.post_id, "instagram", "saved", "data still processing", at)
                    values = [v for v in values if v[0] != "saved"]
            else:
                values = [
                    ("post_total_media_view_unique", round(reach * 0.8), None),
                    ("post_media_view", round(reach * 1.4), None),
                    ("post_clicks_by_type.link clicks", round(reach * 0.012 * quality), None),
                    ("total_interactions", round(reach * 0.04 * quality), None),
                ]
            store.record_many(ref.post_id, platform, values, at=at)
    _seed_orders(store, refs, rng, now)
    return {pid: title for pid, (title, _price) in PRODUCTS.items()}


def _seed_pin(store: InsightsStore, ref: PostRef, rng: random.Random, now: datetime, quality: float) -> None:
    start = ref.published_at.date()
    days = (now.date() - start).days
    first = max(0, days - 89)  # Pinterest looks back 90 days
    for d in range(first, days + 1):
        day = start + timedelta(days=d)
        level = 420 * quality * math.exp(-d / 25) + 25 * quality
        imp = max(0, round(level * rng.uniform(0.7, 1.3)))
        store.record_many(
            ref.post_id,
            "pinterest",
            [
                ("IMPRESSION", imp, day),
                ("SAVE", round(imp * 0.02 * rng.uniform(0.5, 1.5)), day),
                ("PIN_CLICK", round(imp * 0.015 * rng.uniform(0.5, 1.5)), day),
                ("OUTBOUND_CLICK", round(imp * 0.012 * rng.uniform(0.5, 1.5)), day),
            ],
            at=now,
        )


def _seed_orders(store: InsightsStore, refs: list[PostRef], rng: random.Random, now: datetime) -> None:
    orders: list[Order] = []
    for n in range(170):
        created = now - timedelta(days=rng.uniform(0, 120), hours=rng.uniform(0, 12))
        candidates = [r for r in refs if r.published_at < created < r.published_at + timedelta(days=21)]
        how = rng.choices(["discount_code", "utm", "sku", "none"], weights=[4, 3, 1, 3])[0]
        if not candidates:
            how = "none"
        post = rng.choice(candidates) if candidates else None
        product_ids = list(post.product_ids) if post and how != "none" else rng.sample(list(PRODUCTS), 1)
        lines = [
            OrderLine(f"SKU-{pid.upper()}", pid, rng.choice([1, 1, 1, 2]), PRODUCTS[pid][1])
            for pid in product_ids[: rng.choice([1, 1, 2])]
        ]
        total = sum((ln.price * ln.quantity for ln in lines), Decimal(0))
        orders.append(
            Order(
                order_id=f"#{1001 + n}",
                created_at=created,
                currency="EUR",
                total=total,
                discount_codes=[f"SHOP-{post.post_id[-3:]}"] if post and how == "discount_code" else [],
                lines=lines,
                utm={"utm_content": post.post_id, "utm_source": post.platform}
                if post and how == "utm"
                else {},
                attributed_post_id=post.post_id if post and how != "none" else None,
                attributed_platform=post.platform if post and how != "none" else None,
                attribution=how,
            )
        )
    store.add_orders(orders)


def main() -> int:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from studio.render.insights_charts import write_report
    from studio.ui.insights_view import InsightsView
    from studio.ui.workers import WorkerBridge

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    today = date(2026, 11, 20)
    folder = Path(tempfile.mkdtemp(prefix="studio-insights-"))
    store = InsightsStore.open(folder)
    labels: dict[str, str] = {}
    titles = seed_demo(store, today, labels=labels)
    OUT.mkdir(parents=True, exist_ok=True)

    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    write_report(
        store,
        today - timedelta(days=27),
        today,
        OUT / "insights-report.png",
        title="Maison — November",
        titles=titles,
        post_labels=labels,
        locale="fr_FR",
        tz=paris,
        now=datetime(2026, 11, 20, 17, 0, tzinfo=UTC),
    )

    view = InsightsView(WorkerBridge(immediate=True), today=lambda: today, tz=paris)
    view.resize(1400, 900)
    view.set_store(store, titles=titles, post_labels=labels, locale="fr_FR", report_title="Maison — November")
    view.set_range_days(28)
    view.compare_box.setChecked(True)
    view.show()

    def settle(seconds: float = 0.5) -> None:
        """Let layout, the debounced chart re-renders and their paints happen."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    for name, tab in (("insights", 0), ("insights-platforms", 2), ("insights-time", 3)):
        view.tabs.setCurrentIndex(tab)
        rows = view.data.posts if view.data else []
        cutoff = datetime(2026, 11, 10, tzinfo=UTC)  # a Reel old enough to have a curve
        reels = [i for i, r in enumerate(rows) if r["format"] == "Reel" and r["published_at"] < cutoff]
        view.select_post_row(reels[0] if reels else 0)
        settle()
        view.grab().save(str(OUT / f"{name}.png"))
    dark = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#1e1f22"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Base, "#2b2d31"),
        (QPalette.ColorRole.AlternateBase, "#26282c"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#2b2d31"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
        (QPalette.ColorRole.Highlight, "#3574f0"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.Mid, "#3d4147"),
        (QPalette.ColorRole.PlaceholderText, "#a0a7b0"),
        (QPalette.ColorRole.Link, "#58a6ff"),
    ):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    view.tabs.setCurrentIndex(0)
    settle()
    view.grab().save(str(OUT / "insights-dark.png"))
    store.close()
    print(f"wrote {OUT / 'insights.png'}, insights-dark.png and insights-report.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
