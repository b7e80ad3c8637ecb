"""Price integrity: what each export and each published post SHOWED, and what is now wrong.

A price label burnt into an exported image, an HTML page or a published post does not change
when the shop changes a price. The ledger (`<workspace>/ledger.sqlite`) remembers, per artifact
and per tag, the product (and variant), the price, currency and availability it showed; `stale()`
compares that with the current catalog after a re-import or an edit and lists what now shows a
wrong price or an unavailable (sold out / removed) product — plus media whose tags point at such
products — so the user can re-render and, for posts, decide what to do on the platform.

Rows (`shown` table):
- `what` = "export": `ref` is the absolute path of the output file. Re-exporting the same file
  replaces its rows; a file that no longer exists is not reported (nothing shows it any more).
- `what` = "post": `ref` is the outbox job id; `platform` and `permalink` say where it lives.

Separate file (not catalog.sqlite or outbox.sqlite) so neither owner's schema changes and a
damaged ledger can be deleted without losing anything but the stale warnings. SQLite in WAL mode,
short transactions; writers from the export job and the outbox runner may overlap.

What is compared: the price actually charged (variant price, else product price), its currency,
and availability. A compare-at ("was") price that changed alone is not flagged (UNCONFIRMED that
labels show it in every style; cheap to add with a column).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.model import Availability, Media, Product, Variant
from studio.core.sqlite_tx import immediate

if TYPE_CHECKING:
    from studio.core.workspace import Workspace

LEDGER_FILE = "ledger.sqlite"
EXPORT = "export"
POST = "post"
MEDIA = "media"

PRICE_CHANGED = "price_changed"
CURRENCY_CHANGED = "currency_changed"
UNAVAILABLE = "unavailable"
PRODUCT_REMOVED = "product_removed"

_UNSELLABLE = (Availability.OUT_OF_STOCK,)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS shown(
    id INTEGER PRIMARY KEY,
    what TEXT NOT NULL,
    ref TEXT NOT NULL,
    platform TEXT NOT NULL DEFAULT '',
    permalink TEXT NOT NULL DEFAULT '',
    post_id TEXT NOT NULL DEFAULT '',
    media_id TEXT NOT NULL,
    tag_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT,
    price TEXT,
    currency TEXT NOT NULL DEFAULT '',
    availability TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS shown_ref ON shown(what, ref);
CREATE INDEX IF NOT EXISTS shown_product ON shown(product_id);
"""


@dataclass(frozen=True, slots=True)
class Shown:
    """One tag's product facts as an artifact displayed them."""

    media_id: str
    tag_id: str
    product_id: str
    variant_id: str | None
    price: Decimal | None
    currency: str
    availability: str


def current_facts(product: Product, variant: Variant | None) -> tuple[Decimal, str, Availability]:
    """The price, currency and availability a label for (product, variant) shows today."""
    price = variant.price if variant is not None and variant.price is not None else product.price
    availability = product.availability
    if variant is not None and variant.availability != Availability.UNKNOWN:
        availability = variant.availability
    return price, product.currency, availability


def _variant(product: Product | None, variant_id: str | None) -> Variant | None:
    if product is None or not variant_id:
        return None
    return next((v for v in product.variants if v.id == variant_id), None)


def shown_for_media(media: Media, products: Mapping[str, Product | None]) -> list[Shown]:
    """What `media`'s tags show with `products` (id → product, None if missing)."""
    out: list[Shown] = []
    for tag in media.tags:
        product = products.get(tag.product_id)
        if product is None:
            out.append(Shown(media.id, tag.id, tag.product_id, tag.variant_id, None, "", PRODUCT_REMOVED))
            continue
        price, currency, availability = current_facts(product, _variant(product, tag.variant_id))
        out.append(Shown(media.id, tag.id, product.id, tag.variant_id, price, currency, str(availability)))
    return out


@dataclass(slots=True)
class StaleItem:
    """Something that shows a wrong price or an unavailable product, and why."""

    kind: str  # "export" | "post" | "media"
    ref: str  # export file path, outbox job id, or the media id
    media_id: str
    tag_id: str
    product_id: str
    variant_id: str | None
    reason: str  # price_changed | currency_changed | unavailable | product_removed
    message: str
    shown_price: str | None
    shown_currency: str
    shown_availability: str
    current_price: str | None
    current_currency: str
    current_availability: str
    platform: str = ""
    permalink: str = ""
    post_id: str = ""
    at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PriceLedger:
    """`<workspace>/ledger.sqlite`; one connection per instance — open one per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with contextlib.suppress(sqlite3.OperationalError):
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def for_workspace(cls, root: str | Path) -> PriceLedger:
        return cls(Path(root) / LEDGER_FILE)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PriceLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db)

    def _insert(
        self,
        db: sqlite3.Connection,
        what: str,
        ref: str,
        rows: Iterable[Shown],
        at: float,
        *,
        platform: str = "",
        permalink: str = "",
        post_id: str = "",
    ) -> int:
        values = [
            (
                what,
                ref,
                platform,
                permalink,
                post_id,
                s.media_id,
                s.tag_id,
                s.product_id,
                s.variant_id,
                None if s.price is None else str(s.price),
                s.currency,
                s.availability,
                at,
            )
            for s in rows
        ]
        db.executemany(
            "INSERT INTO shown(what, ref, platform, permalink, post_id, media_id, tag_id, product_id,"
            " variant_id, price, currency, availability, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            values,
        )
        return len(values)

    def record_export(self, files: Mapping[str, Iterable[Shown]], *, at: float | None = None) -> int:
        """Remember what each exported file (absolute path → its tags' facts) shows; replaces the
        previous rows of those files. One transaction for the whole export."""
        now = time.time() if at is None else at
        count = 0
        with self._tx() as db:
            for ref, rows in files.items():
                db.execute("DELETE FROM shown WHERE what=? AND ref=?", (EXPORT, ref))
                count += self._insert(db, EXPORT, ref, rows, now)
        return count

    def record_post(
        self,
        job_id: str,
        rows: Iterable[Shown],
        *,
        platform: str,
        permalink: str = "",
        post_id: str = "",
        at: float | None = None,
    ) -> int:
        """Remember what a published post (outbox job) shows; recording the same job again replaces it."""
        now = time.time() if at is None else at
        with self._tx() as db:
            db.execute("DELETE FROM shown WHERE what=? AND ref=?", (POST, job_id))
            return self._insert(
                db, POST, job_id, rows, now, platform=platform, permalink=permalink, post_id=post_id
            )

    def forget(self, what: str, ref: str) -> int:
        """Drop an artifact (e.g. a post the user deleted on the platform, a re-published job)."""
        with self._tx() as db:
            return db.execute("DELETE FROM shown WHERE what=? AND ref=?", (what, ref)).rowcount

    def rows(self) -> list[sqlite3.Row]:
        return self._db.execute("SELECT * FROM shown ORDER BY at DESC, id").fetchall()

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM shown").fetchone()[0])


def _dec(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def compare(
    shown_price: Decimal | None,
    shown_currency: str,
    shown_availability: str,
    product: Product | None,
    variant_id: str | None,
) -> tuple[str, str, tuple[Decimal | None, str, str]] | None:
    """(reason, message, current facts) when what was shown is now wrong, else None."""
    if product is None or (product.status or "active").lower() in ("archived", "draft"):
        why = "is no longer in the catalog" if product is None else f"is {product.status} in the catalog"
        return PRODUCT_REMOVED, f"the product {why}", (None, "", PRODUCT_REMOVED)
    variant = _variant(product, variant_id)
    if variant_id and variant is None:
        return PRODUCT_REMOVED, "the variant is no longer in the catalog", (None, "", PRODUCT_REMOVED)
    price, currency, availability = current_facts(product, variant)
    now = (price, currency, str(availability))
    if availability in _UNSELLABLE and shown_availability not in [str(a) for a in _UNSELLABLE]:
        return UNAVAILABLE, "the product is now out of stock", now
    if shown_currency and currency and shown_currency != currency:
        return CURRENCY_CHANGED, f"shows {shown_price} {shown_currency}; now {price} {currency}", now
    if shown_price is not None and price is not None and shown_price != price:
        return PRICE_CHANGED, f"shows {shown_price} {shown_currency}; now {price} {currency}", now
    return None


def stale(workspace: Workspace, *, include_media: bool = True) -> list[StaleItem]:
    """Exports, live posts and (with `include_media`) media that now show a wrong price or an
    unavailable product, compared with `workspace.catalog`. Newest artifacts first."""
    path = Path(workspace.root) / LEDGER_FILE
    products: dict[str, Product | None] = {}

    def product(pid: str) -> Product | None:
        if pid not in products:
            products[pid] = workspace.catalog.get(pid)
        return products[pid]

    out: list[StaleItem] = []
    if path.exists():
        with PriceLedger(path) as ledger:
            rows = ledger.rows()
        exists: dict[str, bool] = {}
        for r in rows:
            if r["what"] == EXPORT:
                if r["ref"] not in exists:
                    exists[r["ref"]] = Path(r["ref"]).exists()
                if not exists[r["ref"]]:
                    continue  # the file is gone: nothing shows the old price any more
            shown_price = _dec(r["price"])
            verdict = compare(
                shown_price, r["currency"], r["availability"], product(r["product_id"]), r["variant_id"]
            )
            if verdict is None:
                continue
            reason, message, (cur_price, cur_currency, cur_avail) = verdict
            out.append(
                StaleItem(
                    kind=r["what"],
                    ref=r["ref"],
                    media_id=r["media_id"],
                    tag_id=r["tag_id"],
                    product_id=r["product_id"],
                    variant_id=r["variant_id"],
                    reason=reason,
                    message=message,
                    shown_price=r["price"],
                    shown_currency=r["currency"],
                    shown_availability=r["availability"],
                    current_price=None if cur_price is None else str(cur_price),
                    current_currency=cur_currency,
                    current_availability=cur_avail,
                    platform=r["platform"],
                    permalink=r["permalink"],
                    post_id=r["post_id"],
                    at=float(r["at"]),
                )
            )
    if include_media:
        for media in workspace.project.media:
            for tag in media.tags:
                p = product(tag.product_id)
                # Media are rendered from the live catalog, so only unsellable products matter here.
                verdict = compare(None, "", "", p, tag.variant_id)
                if verdict is None or verdict[0] not in (UNAVAILABLE, PRODUCT_REMOVED):
                    continue
                reason, message, (cur_price, cur_currency, cur_avail) = verdict
                out.append(
                    StaleItem(
                        kind=MEDIA,
                        ref=media.id,
                        media_id=media.id,
                        tag_id=tag.id,
                        product_id=tag.product_id,
                        variant_id=tag.variant_id,
                        reason=reason,
                        message=f"tagged product: {message}",
                        shown_price=None,
                        shown_currency="",
                        shown_availability="",
                        current_price=None if cur_price is None else str(cur_price),
                        current_currency=cur_currency,
                        current_availability=cur_avail,
                    )
                )
    return out


def record_export_for_media(
    ws_root: str | Path,
    outputs: Mapping[str, Media],
    products: Mapping[str, Product | None],
    *,
    at: float | None = None,
) -> int:
    """Hook for the export job: `outputs` maps each written file (absolute path) to its media.

    Does nothing outside a workspace folder (no `project.json`), so exports to a bare folder in
    tests or scripts do not leave a ledger behind.
    """
    root = Path(ws_root)
    if not (root / "project.json").exists():
        return 0
    files = {path: shown_for_media(media, products) for path, media in outputs.items() if media.tags}
    if not files:
        return 0
    with PriceLedger.for_workspace(root) as ledger:
        return ledger.record_export(files, at=at)


def summary(items: Iterable[StaleItem]) -> dict[str, int]:
    """Counts per kind, for a status line ("3 items show an old price")."""
    counts = {EXPORT: 0, POST: 0, MEDIA: 0}
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item.kind, item.ref)
        if key not in seen:
            seen.add(key)
            counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts


@dataclass(slots=True)
class RerenderTarget:
    """One `export_batch` call that re-makes stale export files: an output folder, one preset, the
    kinds that were stale there, and the media whose files they are."""

    out_dir: str
    preset: str
    kinds: list[str]
    media_ids: list[str]


def rerender_targets(
    items: Iterable[StaleItem], media_ids: Iterable[str] | None = None
) -> list[RerenderTarget]:
    """Group stale export files by output folder and preset (`<out>/<preset>/<stem>.<kind>.<ext>`,
    the export layout) so each group is one export run. `media_ids` limits it to a selection.

    A stale `tags.json` sidecar alone (a clean-only export) is re-made by exporting `clean`.
    """
    wanted = set(media_ids) if media_ids is not None else None
    groups: dict[tuple[str, str], tuple[set[str], list[str]]] = {}
    for item in items:
        if item.kind != EXPORT or (wanted is not None and item.media_id not in wanted):
            continue
        path = Path(item.ref)
        parts = path.name.split(".")
        kind = parts[-2] if len(parts) >= 3 else ""
        key = (str(path.parent.parent), path.parent.name)
        kinds, mids = groups.setdefault(key, (set(), []))
        if kind:
            kinds.add(kind)
        if item.media_id not in mids:
            mids.append(item.media_id)
    out: list[RerenderTarget] = []
    for (folder, preset), (kinds, mids) in groups.items():
        real = sorted(k for k in kinds if k in ("labeled", "html", "video"))
        out.append(RerenderTarget(folder, preset, real or ["clean"], mids))
    return out


def status_text(items: Iterable[StaleItem]) -> str:
    """Status-bar text after a catalog change, e.g. "3 items show an old price — Review…"; "" if none."""
    counts = summary(items)
    total = counts[EXPORT] + counts[POST] + counts[MEDIA]
    if not total:
        return ""
    noun = "item shows" if total == 1 else "items show"
    return f"{total} {noun} an old price or a sold-out product — Review…"
