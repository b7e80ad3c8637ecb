"""Streaming catalog importers: Shopify product CSV and Meta/Pinterest/Google feeds (CSV/TSV).

`open_catalog(path)` reads only the header (and, for ambiguous feeds, the first record), decides
the format, and returns a `CatalogReader` whose `products()` yields one product at a time with
the record number of its first row. Nothing ever holds the whole file: memory stays flat however
large the catalog is. Problems with single rows go to a `ProblemLog`; only a file that is not a
catalog at all raises (`CatalogFormatError`; `InputError` when it cannot be read).

Modules: `csv_source` (bytes → numbered records), `detect` (header → format), `shopify`,
`feeds` (record → product), `fields` (shared field rules), `report` (problems and counts).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

from studio.core.errors import UsageError, Where
from studio.core.importers.csv_source import CsvSource
from studio.core.importers.detect import (
    FORMATS,
    check_columns,
    detect_format,
    feed_flavour,
    feed_key,
    score_header,
    shopify_key,
)
from studio.core.importers.feeds import FeedImporter
from studio.core.importers.report import ImportReport, ProblemLog
from studio.core.importers.shopify import ShopifyImporter
from studio.core.model import Product

__all__ = ["FORMATS", "CatalogReader", "ImportReport", "ProblemLog", "detect_format", "open_catalog"]

#: Called every few hundred records; may raise (e.g. `Cancelled`) to stop reading.
RecordHook = Callable[[], None]
HOOK_EVERY = 256


class CatalogReader:
    """An open catalog file: its detected format and a stream of products.

    Use as a context manager; `bytes_read`/`size` measure progress, `records_read` counts data
    records (header excluded).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        format: str = "auto",
        currency: str = "USD",
        store_url: str = "",
        problems: ProblemLog | None = None,
        on_records: RecordHook | None = None,
    ) -> None:
        if format not in ("auto", *FORMATS):
            raise UsageError(
                f"unknown catalog format '{format}'",
                where=Where(field="format"),
                hint=f"use auto, {', '.join(FORMATS)}",
            )
        self.path = str(path)
        self.problems = problems if problems is not None else ProblemLog()
        self._on_records = on_records
        self._source = CsvSource(path, self.problems, score_header)
        try:
            self._records = self._source.records()
            self.format = self._choose_format(format)
            check_columns(self.format, self.header, file=self.path)
            self._warn_duplicate_columns()
            if self.format == "shopify":
                self._importer: ShopifyImporter | FeedImporter = ShopifyImporter(
                    self.header, currency=currency, store_url=store_url, problems=self.problems
                )
            else:
                self._importer = FeedImporter(
                    self.format, self.header, currency=currency, problems=self.problems
                )
        except BaseException:
            self._source.close()
            raise

    @property
    def header(self) -> list[str]:
        return self._source.header

    @property
    def encoding(self) -> str:
        return self._source.encoding

    @property
    def delimiter(self) -> str:
        return self._source.delimiter_name

    @property
    def size(self) -> int:
        return self._source.size

    @property
    def bytes_read(self) -> int:
        return self._source.bytes_read

    @property
    def records_read(self) -> int:
        return self._source.records_read

    def _choose_format(self, requested: str) -> str:
        if requested != "auto":
            return requested
        fmt = detect_format(self.header, delimiter=self._source.delimiter, file=self.path)
        if fmt == "meta" and feed_flavour(self.header) is None:
            # Ambiguous CSV feed: the first record's availability style decides (see detect).
            first = next(self._records, None)
            if first is not None:
                self._records = itertools.chain([first], self._records)
                keys = [feed_key(h) for h in self.header]
                first_row = dict(zip(keys, (cell.strip() for cell in first[1])))
                fmt = detect_format(
                    self.header, delimiter=self._source.delimiter, first_row=first_row, file=self.path
                )
        return fmt

    def _warn_duplicate_columns(self) -> None:
        key = shopify_key if self.format == "shopify" else feed_key
        seen: set[str] = set()
        for name in self.header:
            k = key(name)
            if k and k in seen:
                self.problems.warning(
                    self._source.header_record,
                    name,
                    None,
                    f"column '{name}' appears more than once; only the first one is read",
                    hint="remove the duplicate column",
                )
            seen.add(k)

    def _counted(self) -> Iterator[tuple[int, list[str]]]:
        hook = self._on_records
        if hook is None:
            yield from self._records
            return
        for i, record in enumerate(self._records, 1):
            if i % HOOK_EVERY == 0:
                hook()
            yield record

    def products(self) -> Iterator[tuple[Product, int]]:
        """(product, record number of its first row), streamed in file order."""
        return self._importer.products(self._counted())

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> CatalogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_catalog(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    currency: str = "USD",
    store_url: str = "",
    problems: ProblemLog | None = None,
    on_records: RecordHook | None = None,
) -> CatalogReader:
    """Open a catalog file and detect its format (see `CatalogReader`)."""
    return CatalogReader(
        path, format=format, currency=currency, store_url=store_url, problems=problems, on_records=on_records
    )
