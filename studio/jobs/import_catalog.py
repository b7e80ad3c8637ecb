"""Import a catalog file (Shopify CSV, Meta/Pinterest/Google feed) into the workspace's store.

Shared by `studio catalog import` and the GUI's import dialog. The file is streamed: products are
written in batches (one transaction each) while the file is read, so memory stays flat and a
large catalog shows progress from the first second.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from studio.core.catalog_store import DEFAULT_BATCH, CatalogStore, ImportSession
from studio.core.errors import Cancelled, UsageError, Where
from studio.core.importers import CatalogReader, ImportReport, ProblemLog, open_catalog
from studio.core.importers.fields import clean_url
from studio.core.model import Product
from studio.core.money import normalize_currency
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import normalize_store_url

PROGRESS_INTERVAL = 0.1  # seconds between progress callbacks (the GUI coalesces to ~20/s anyway)


class _Progress:
    """Reports bytes read, at most every PROGRESS_INTERVAL, and polls the cancel token."""

    def __init__(self, progress: ProgressFn, cancel: CancelToken | None, name: str) -> None:
        self.progress = progress
        self.cancel = cancel
        self.name = name
        self.reader: CatalogReader | None = None
        self.products = 0
        self._last = 0.0

    def tick(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        now = time.monotonic()
        if self.reader is not None and now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.progress(
                min(self.reader.bytes_read, self.reader.size),
                self.reader.size,
                f"Importing {self.name}: {self.products} products",
            )


def _check_store_url(url: str) -> str:
    """The workspace store URL, normalized; refused unless it is a plain http(s) address."""
    url = normalize_store_url(url)
    if url:
        try:
            clean_url(url)
        except ValueError as exc:
            raise UsageError(
                f"the store URL '{url}' {exc}",
                where=Where(field="store_url"),
                hint="use e.g. https://shop.example.com",
            ) from None
    return url


def import_catalog(
    path: str | os.PathLike[str],
    store: CatalogStore,
    *,
    format: str = "auto",
    prune: bool = False,
    store_url: str = "",
    currency: str = "USD",
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> ImportReport:
    """Read `path` and upsert its products into `store`; return what happened.

    * `format`: "auto" (detected from the header row) or shopify / meta / pinterest / google.
    * `currency`: the workspace currency; Shopify prices are in it, feed prices in another
      currency are kept but warned about. `store_url` builds Shopify product links.
    * `prune`: delete products of the store that this file does not contain (counted "pruned").
      Only done after the whole file was read without being cancelled.
    * Bad rows never abort: they are listed in the report with their record number.
      A file that is not a catalog raises `CatalogFormatError`; an unreadable one `InputError`.
    * Progress is reported in bytes read (total = file size), about ten times a second.

    Cancelling: the token is polled every few hundred records and before each batch is written.
    The import then raises `Cancelled`. **Kept:** every batch committed before the cancel (batches
    are `batch_size` products, one transaction each). **Discarded:** the products read since the
    last commit. **Not done:** pruning. Running the import again completes it; products already
    imported count as unchanged. Any other error rolls back only the batch being written.

    Runs in the calling thread (any thread: the store opens one connection per thread). Writing
    is not moved to a second thread: the sqlite3 module releases the GIL around every row it
    inserts, and a parser thread competing for the GIL made the benchmark slower, not faster.
    """
    currency = normalize_currency(currency)
    store_url = _check_store_url(store_url)
    problems = ProblemLog()
    ticker = _Progress(progress, cancel, Path(path).name)
    with open_catalog(
        path, format=format, currency=currency, store_url=store_url, problems=problems, on_records=ticker.tick
    ) as reader:
        ticker.reader = reader
        report = ImportReport(
            format=reader.format,
            file=str(path),
            encoding=reader.encoding,
            delimiter=reader.delimiter,
            problems=problems,
        )
        progress(0, reader.size, f"Importing {ticker.name} ({reader.format})")
        session = store.begin_import()
        try:
            _run(reader, store, session, report, ticker, batch_size)
            if prune:
                ticker.tick()
                report.pruned = store.prune(session)
        except Cancelled:
            saved = session.stats.created + session.stats.updated + session.stats.unchanged
            raise Cancelled(
                f"Import cancelled: the {saved} products saved before the cancel were kept; "
                "import the file again to finish"
            ) from None
        finally:
            store.end_import(session)
        stats = session.stats
        report.rows = reader.records_read
        report.created, report.updated, report.unchanged = stats.created, stats.updated, stats.unchanged
        progress(reader.size, reader.size, f"Imported {report.products} products")
    return report


def _run(
    reader: CatalogReader,
    store: CatalogStore,
    session: ImportSession,
    report: ImportReport,
    ticker: _Progress,
    batch_size: int,
) -> None:
    batch: list[Product] = []
    rows: dict[str, int] = {}  # product id → record number of its (latest) first row, this batch only
    for product, row in reader.products():
        report.variants += len(product.variants)
        batch.append(product)
        rows[product.id] = row
        if len(batch) >= batch_size:
            _commit(store, session, batch, rows, reader.format, report.problems, ticker)
            batch, rows = [], {}
    if batch:
        _commit(store, session, batch, rows, reader.format, report.problems, ticker)


def _commit(
    store: CatalogStore,
    session: ImportSession,
    batch: list[Product],
    rows: dict[str, int],
    source: str,
    problems: ProblemLog,
    ticker: _Progress,
) -> None:
    if ticker.cancel is not None:
        ticker.cancel.raise_if_cancelled()
    stats = store.upsert(batch, source, session=session, batch_size=len(batch))
    ticker.products += len(batch)
    for product_id in dict.fromkeys(stats.repeated):
        problems.warning(
            rows.get(product_id),
            None,
            product_id,
            f"product '{product_id}' appears again, apart from its earlier rows; the rows were merged",
            hint="keep all rows of one product (same handle or item_group_id) next to each other",
        )
    ticker.tick()
