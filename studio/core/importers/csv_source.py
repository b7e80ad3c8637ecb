"""Streaming reader for delimited text files as users actually export them.

What it copes with, and why:

* **Encoding.** UTF-8 with or without BOM (Excel adds one), UTF-16 with BOM (Excel's "Unicode
  text" is UTF-16 TSV). Anything that is not valid UTF-8 is read as Windows-1252 with a warning:
  that is what Excel on Western Windows writes. A file whose first chunk is ASCII but which
  turns non-UTF-8 later switches to Windows-1252 from that point, also with a warning.
* **Line endings.** CRLF, LF and lone CR; only those end a line (`str.splitlines` would also
  split on form feeds or U+2028 inside a description, so lines are re-joined there).
* **Delimiter.** Chosen from `,` TAB `;` `|` by which one turns the header into the most known
  column names (the caller scores), so a semicolon CSV from a French Excel still imports.
* **Records.** Numbered the way a spreadsheet shows them: the header is record 1, the first data
  record 2, and a quoted multi-line description counts as one record. Blank lines count too
  (a spreadsheet shows them as empty rows) but are not yielded.
* **Damage.** NUL bytes are dropped with a warning; a record the csv module cannot parse (for
  example a field over the csv field limit after an unbalanced quote) is reported and skipped.

Memory stays flat: the file is read in fixed-size chunks and one record is alive at a time.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from studio.core.errors import CatalogFormatError, InputError, Where
from studio.core.importers.detect import EXPECTED
from studio.core.importers.report import ProblemLog

CHUNK_BYTES = 256 * 1024
MAX_HEADER_CHARS = 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Word document (.xls/.doc)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"RIFF", "a media file"),
)

# Windows-1252 with the five undefined bytes mapped to the same code points as Latin-1, which
# is what browsers do (WHATWG "windows-1252"), so decoding never fails.
_CP1252_TABLE = "".join(bytes([i]).decode("cp1252", errors="ignore") or chr(i) for i in range(256))


def _decode_cp1252(data: bytes) -> str:
    return codecs.charmap_decode(data, "strict", _CP1252_TABLE)[0]


def _binary_kind(head: bytes) -> str | None:
    """Name what the file is when it is clearly not text, else None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    sample = head[:8192]
    if not sample:
        return None
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if sample.count(0) > len(sample) // 100 or controls > len(sample) // 10:
        return "a binary file"
    return None


class CsvSource:
    """One open delimited text file: its header, delimiter, encoding and a stream of records.

    `score_header(fields)` rates a candidate header (number of known column names); the
    delimiter giving the best score wins. The caller decides whether the header is acceptable.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        problems: ProblemLog,
        score_header: Callable[[list[str]], int],
        delimiter: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.problems = problems
        self.bytes_read = 0
        self.records_read = 0  # data records, blank ones included
        self.encoding = "utf-8"
        self.header_record = 0  # 1 unless blank lines precede the header
        self._fallback = False
        self._nul_warned = False
        self._file = self._open()
        try:
            self.size = os.fstat(self._file.fileno()).st_size
            self._first = self._read_chunk()
            self._check_content(self._first)
            self._decoder = self._choose_decoder(self._first)
            self._lines_iter = self._lines()
            first_line = self._peek_first_line()
            self.delimiter = delimiter or self._sniff_delimiter(first_line, score_header)
            self._reader = csv.reader(self._lines_iter, delimiter=self.delimiter, strict=False)
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    # --- opening --------------------------------------------------------------------------

    def _where(self) -> Where:
        return Where(file=str(self.path))

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")
        except FileNotFoundError:
            raise InputError("file not found", where=self._where(), hint="check the path") from None
        except IsADirectoryError:
            raise InputError(
                "is a folder, not a file", where=self._where(), hint="choose the CSV file"
            ) from None
        except PermissionError:
            raise InputError(
                "permission denied", where=self._where(), hint="check that you may read this file"
            ) from None
        except OSError as exc:
            raise InputError(f"cannot open the file ({exc.strerror or exc})", where=self._where()) from None

    def _read_chunk(self) -> bytes:
        try:
            data = self._file.read(CHUNK_BYTES)
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror or exc})", where=self._where()) from None
        self.bytes_read += len(data)
        return data

    def _check_content(self, head: bytes) -> None:
        if not head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise CatalogFormatError(
                f"the file is empty; {EXPECTED}",
                where=self._where(),
                hint="export the catalog again (CSV or TSV with a header row)",
            )
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return
        kind = _binary_kind(head)
        if kind:
            raise CatalogFormatError(
                f"this is {kind}, not a catalog text file; {EXPECTED}",
                where=self._where(),
                hint="export the catalog as CSV (Shopify) or as a CSV/TSV feed (Meta, Pinterest, Google)",
            )

    def _choose_decoder(self, head: bytes) -> codecs.IncrementalDecoder:
        if head.startswith(codecs.BOM_UTF8):
            self.encoding = "utf-8-sig"
            return codecs.getincrementaldecoder("utf-8-sig")()
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.encoding = "utf-16"
            return codecs.getincrementaldecoder("utf-16")(errors="replace")
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < CHUNK_BYTES)
        except UnicodeDecodeError:
            self._switch_to_fallback(None)
        return codecs.getincrementaldecoder("utf-8")()

    def _switch_to_fallback(self, at_byte: int | None) -> None:
        self._fallback = True
        self.encoding = "windows-1252"
        where = "" if at_byte is None else f" from byte {at_byte}"
        self.problems.warning(
            None,
            None,
            None,
            f"the file is not valid UTF-8{where}; it was read as Windows-1252 (Western European)",
            hint="check accented characters; save the file as 'CSV UTF-8' to avoid this",
        )

    # --- text -----------------------------------------------------------------------------

    def _texts(self) -> Iterator[str]:
        """Decoded text chunks, NUL-free, switching to Windows-1252 on the first bad byte."""
        chunk = self._first
        self._first = b""
        while chunk:
            yield self._decode(chunk, final=False)
            chunk = self._read_chunk()
        if not self._fallback:
            try:
                tail = self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                pending = self._decoder.getstate()[0]
                self._switch_to_fallback(self.bytes_read - len(pending))
                tail = _decode_cp1252(pending)
            if tail:
                yield tail

    def _decode(self, chunk: bytes, *, final: bool) -> str:
        if self._fallback:
            text = _decode_cp1252(chunk)
        else:
            try:
                text = self._decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                pending = self._decoder.getstate()[0]
                self._switch_to_fallback(self.bytes_read - len(chunk) - len(pending))
                text = _decode_cp1252(pending + chunk)
        if "\x00" in text:
            text = text.replace("\x00", "")
            if not self._nul_warned:
                self._nul_warned = True
                self.problems.warning(
                    None,
                    None,
                    None,
                    "the file contains NUL bytes; they were removed",
                    hint="check the export",
                )
        return text

    def _lines(self) -> Iterator[str]:
        """Physical lines with their terminators; only CR, LF and CRLF end a line."""
        carry = ""
        for text in self._texts():
            if carry.endswith("\r"):
                if text.startswith("\n"):
                    text = text[1:]
                    carry += "\n"
                yield carry
                carry = ""
            parts = text.splitlines(keepends=True)
            last = len(parts) - 1
            for i, part in enumerate(parts):
                line = carry + part if carry else part
                end = part[-1]
                if end == "\n" or (end == "\r" and i != last):
                    yield line
                    carry = ""
                else:  # no terminator yet, a CR that may precede LF, or \f/\v/U+2028 inside a field
                    carry = line
        if carry:
            yield carry

    def _peek_first_line(self) -> str:
        """The first non-blank physical line, for delimiter sniffing; replayed to the csv reader."""
        seen: list[str] = []
        for line in self._lines_iter:
            seen.append(line)
            if line.strip() or sum(map(len, seen)) > MAX_HEADER_CHARS:
                break
        first = seen[-1] if seen else ""
        if len(first) > MAX_HEADER_CHARS:
            raise CatalogFormatError(
                "the first line is too long to be a header row",
                where=self._where(),
                hint="is this a catalog?",
            )
        lines = self._lines_iter

        def replay() -> Iterator[str]:
            yield from seen
            yield from lines

        self._lines_iter = replay()
        return first

    def _sniff_delimiter(self, first_line: str, score_header: Callable[[list[str]], int]) -> str:
        best, best_key = ",", (-1, -1)
        for candidate in DELIMITERS:
            try:
                fields = next(csv.reader([first_line.strip("\r\n")], delimiter=candidate), [])
            except csv.Error:
                continue
            key = (score_header(fields), len(fields))
            if key > best_key:
                best, best_key = candidate, key
        return best

    def _read_header(self) -> list[str]:
        while True:
            self.header_record += 1
            try:
                row = next(self._reader)
            except StopIteration:
                raise CatalogFormatError(
                    f"the file has no header row; {EXPECTED}",
                    where=self._where(),
                    hint="export the catalog again",
                ) from None
            except csv.Error as exc:
                raise CatalogFormatError(
                    f"the header row cannot be read ({exc}); {EXPECTED}",
                    where=self._where(),
                    hint="is this a catalog?",
                ) from None
            if row and any(cell.strip() for cell in row):
                return [cell.strip().lstrip("\ufeff") for cell in row]

    # --- records --------------------------------------------------------------------------

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, self.delimiter)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(record number, fields) for each non-blank data record; header is record 1."""
        reader = self._reader
        number = self.header_record
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                self.records_read += 1
                self.problems.error(
                    number,
                    None,
                    None,
                    f"this record cannot be read ({exc}); it was skipped",
                    hint="look for an unbalanced double quote on this or the previous lines",
                )
                continue
            number += 1
            self.records_read += 1
            if row and (len(row) > 1 or row[0].strip()):
                yield number, row

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
