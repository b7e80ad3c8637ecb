"""Catalog feed files (Meta CSV, Pinterest CSV/TSV, Google TSV) and their validation report.

Feeds work without any API approval: the user uploads the file by hand or hosts it for a scheduled
fetch. The rows come from `catalog_fields.map_products`, so a feed and an API sync describe a
product identically and report the same problems.

Format choices (and why):
- Header = the platform's documented attribute names, all columns of the mapping table, in its
  order; empty cells for what a product does not have (a stable header eases hosted feeds).
- UTF-8 without BOM, the encoding all three document.
- CSV: RFC 4180 quoting (`"` around cells with a comma, quote or line break; `""` inside), CRLF
  rows — what Meta documents for CSV feeds (publishing.md §3.5); Pinterest CSV the same.
- TSV (Google always; Pinterest/Meta when the file name ends in .tsv/.txt): one line per item —
  tabs and line breaks inside a value become spaces (Google: "each product … on a single line
  without extra tabs or line breaks"), so quoting is only needed for a value that starts with a
  quote (Google's "quoted fields", on by default for new data sources; Meta: "see guidelines for
  CSV"). Pinterest's TSV quoting rules are UNCONFIRMED; the same rule is used.
- Items with an error are left out of the file (the platform would reject them) and listed in the
  report; `include_invalid=True` writes them anyway.
- Written to a temp file next to the target, fsynced, then renamed: a hosted feed that a platform
  fetches mid-export is the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from studio.core.catalog_fields import PLATFORMS, FieldProblem, map_products, spec_for
from studio.core.errors import Cancelled, UsageError, Where
from studio.core.model import Product, Project
from studio.core.progress import CancelToken, ProgressFn, no_progress

TSV_SUFFIXES = (".tsv", ".txt")


def feed_format(platform: str, path: str | os.PathLike[str]) -> str:
    """ "csv" or "tsv": Google feeds are TSV; Meta/Pinterest follow the file name (default CSV)."""
    if platform not in PLATFORMS:
        raise UsageError(
            f"unknown feed format '{platform}'",
            where=Where(field="--format"),
            hint="use meta, pinterest or google",
        )
    if platform == "google":
        return "tsv"
    return "tsv" if Path(path).suffix.lower() in TSV_SUFFIXES else "csv"


@dataclass(slots=True)
class FeedReport:
    """What a feed export wrote and what is wrong, per product and field."""

    path: str
    platform: str
    format: str
    columns: list[str]
    items: int = 0  # items mapped
    written: int = 0  # rows in the file
    left_out: int = 0  # items with errors not written
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[FieldProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[FieldProblem]:
        return [p for p in self.problems if p.severity != "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "platform": self.platform,
            "format": self.format,
            "columns": list(self.columns),
            "items": self.items,
            "written": self.written,
            "left_out": self.left_out,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }


def _tsv_cell(value: str) -> str:
    """One TSV cell on one line. Tabs and line breaks become spaces; a value that *starts* with a
    quote is quoted (inner quotes doubled) so a reader with "quoted fields" on (Google's default for
    new data sources) does not take it for a quoted attribute. Inner quotes elsewhere stay as they
    are, which reads the same with quoted fields on or off."""
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\r\n", " ").replace("\t", " ").replace("\r", " ").replace("\n", " ")
    value = value.strip()
    if value.startswith('"'):
        return '"' + value.replace('"', '""') + '"'
    return value


class _RowWriter:
    def __init__(self, handle: IO[str], fmt: str) -> None:
        self.handle = handle
        self.fmt = fmt
        self.csv = (
            csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL) if fmt == "csv" else None
        )

    def row(self, cells: list[str]) -> None:
        if self.csv is not None:
            self.csv.writerow(cells)
        else:
            self.handle.write("\t".join(_tsv_cell(c) for c in cells) + "\n")


@contextlib.contextmanager
def atomic_text_stream(path: Path) -> Iterator[IO[str]]:
    """A UTF-8 text handle on a temp file that replaces `path` only when the block succeeds.

    Streaming twin of `studio.core.atomic.atomic_write_bytes` (which needs the whole content in
    memory): a 100k-item feed is written row by row. No `.bak` — a feed is regenerated, not edited.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        if os.name == "posix":
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_feed(
    products: Iterable[Product],
    platform: str,
    out: str | os.PathLike[str],
    *,
    project: Project,
    country: str = "US",
    language: str = "en",
    include_invalid: bool = False,
    total: int = 0,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> FeedReport:
    """Write `platform`'s feed of `products` to `out` (atomically) and return the report.

    Raises `UsageError` when the folder cannot be written, `Cancelled` (leaving the old file
    untouched) when cancelled. `total` (the product count, if known) only feeds `progress`.
    """
    fmt = feed_format(platform, out)  # validates the platform name
    spec = spec_for(platform)
    path = Path(out)
    columns = list(spec.columns)
    report = FeedReport(str(path.resolve()), platform, fmt, columns)
    if not path.parent.is_dir():
        raise UsageError(
            "the output folder does not exist", where=Where(file=str(path.parent)), hint="create it first"
        )
    seen_products = 0
    last_pid = None
    try:
        with atomic_text_stream(path) as handle:
            writer = _RowWriter(handle, fmt)
            writer.row(columns)
            for item in map_products(products, platform, project=project, country=country, language=language):
                if item.product_id != last_pid:
                    last_pid = item.product_id
                    seen_products += 1
                    if seen_products % 200 == 0:
                        if cancel is not None:
                            cancel.raise_if_cancelled()
                        progress(seen_products, total, item.product_id)
                report.items += 1
                report.problems.extend(item.problems)
                if not item.ok and not include_invalid:
                    report.left_out += 1
                    continue
                writer.row([item.fields.get(c, "") for c in columns])
                report.written += 1
            if cancel is not None:
                cancel.raise_if_cancelled()
    except Cancelled:
        raise
    except OSError as exc:
        raise UsageError(
            f"cannot write the feed ({exc.strerror or exc})",
            where=Where(file=str(path)),
            hint="choose another file",
        ) from None
    progress(seen_products, total or seen_products, "Done")
    return report


def read_feed(path: str | os.PathLike[str], fmt: str | None = None) -> list[dict[str, str]]:
    """Read a feed written by `write_feed` back into dicts (tests and a future "check feed").

    `fmt` "csv" | "tsv"; by default guessed from the file name like `feed_format`."""
    text = Path(path).read_text(encoding="utf-8")
    fmt = fmt or ("tsv" if Path(path).suffix.lower() in TSV_SUFFIXES else "csv")
    if fmt == "tsv":
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    if not rows:
        return []
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]
