"""Reading the file itself: what is not a catalog, encodings, line endings, record numbering."""

from __future__ import annotations

import codecs
import csv
import io
import time
from pathlib import Path

import pytest

from studio.core.errors import CatalogFormatError, InputError, UsageError
from studio.core.importers import ProblemLog, csv_source, open_catalog
from studio.core.importers.detect import detect_format

FEED = "id,title,price,link\n"


def products(path: Path, **kw: object) -> tuple[list[tuple[str, int]], ProblemLog]:
    problems = ProblemLog()
    with open_catalog(path, problems=problems, **kw) as reader:  # type: ignore[arg-type]
        return [(p.id, row) for p, row in reader.products()], problems


def write(tmp_path: Path, data: bytes | str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (PNG, "PNG image"),
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n  \n", "empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "Excel"),
        (bytes(range(256)) * 4, "binary"),
        (b"foo;bar;baz\n1;2;3\n", "expected a Shopify product CSV"),
        (b"name,colour,cost\nx,red,3\n", "found columns: name, colour, cost"),
        (b"just one line of prose, nothing else\n", "expected a Shopify product CSV"),
        (b'id,title,link\n1,"x",https://e.com\n', r"missing: price"),
        (b"Title,URL handle,Vendor\nX,x,V\n", r"Shopify.*Price"),
    ],
)
def test_not_a_catalog_raises_one_clear_format_error(tmp_path: Path, data: bytes, match: str) -> None:
    with pytest.raises(CatalogFormatError, match=match) as info:
        products(write(tmp_path, data))
    assert str(tmp_path) in info.value.message()
    assert "expected a Shopify product CSV (Title, URL handle" in info.value.message()


def test_unreadable_inputs_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        products(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="folder"):
        products(tmp_path)


def test_unknown_format_option_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        products(write(tmp_path, FEED), format="amazon")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_and_multiline_records_count_as_one_record(tmp_path: Path, newline: str) -> None:
    rows = [
        "id,title,description,price",
        'A,First,"two' + newline + 'lines",1.00 USD',
        "",  # a blank line is a record (a spreadsheet shows an empty row) but yields nothing
        "B,Second,x,2.00 USD",
        'C,,"no title",3.00 USD',
    ]
    found, problems = products(write(tmp_path, newline.join(rows) + newline))
    assert found == [("A", 2), ("B", 4)]
    assert [(pr.row, pr.field) for pr in problems if pr.severity == "error"] == [(5, "title")]


def test_utf16_excel_unicode_text(tmp_path: Path) -> None:
    text = "id\ttitle\tprice\r\nM1\tマグ\t1.00 JPY\r\n"
    path = write(tmp_path, codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "feed.txt")
    found, problems = products(path, currency="JPY")
    assert found == [("M1", 2)]
    assert [pr.field for pr in problems] == ["link"]  # no link column: a warning, nothing else


def test_non_utf8_later_in_the_file_switches_to_windows_1252(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(csv_source, "CHUNK_BYTES", 64)
    head = (FEED + "".join(f"P{i},Plain {i},1.00 USD,https://e.com/{i}\n" for i in range(10))).encode()
    tail = "X,Caf\xe9 cr\xe8me,2.00 USD,https://e.com/x\n".encode("cp1252")
    problems = ProblemLog()
    with open_catalog(write(tmp_path, head + tail), problems=problems) as reader:
        titles = [p.title for p, _row in reader.products()]
        assert reader.encoding == "windows-1252"
    assert titles[-1] == "Café crème" and len(titles) == 11
    assert [pr.severity for pr in problems] == ["warning"]


def test_crlf_split_across_chunks_does_not_add_records(tmp_path: Path, monkeypatch) -> None:
    body = FEED.replace("\n", "\r\n") + "".join(
        f"P{i},T{i},1.00 USD,https://e.com/{i}\r\n" for i in range(50)
    )
    for chunk in (7, 8, 9, 16, 31):
        monkeypatch.setattr(csv_source, "CHUNK_BYTES", chunk)
        found, problems = products(write(tmp_path, body))
        assert found == [(f"P{i}", i + 2) for i in range(50)], chunk
        assert list(problems) == []


def test_nul_bytes_are_dropped_with_a_warning(tmp_path: Path) -> None:
    data = (FEED + "A,Ti\x00tle,1.00 USD,https://e.com/a\n" + "x" * 5000 + "\n").encode()
    problems = ProblemLog()
    with open_catalog(write(tmp_path, data), problems=problems) as reader:
        assert [p.title for p, _row in reader.products()] == ["Title"]
    assert any("NUL" in pr.message for pr in problems)


def test_form_feed_and_line_separator_inside_fields_do_not_split_records(tmp_path: Path) -> None:
    data = FEED + "A,Tab\x0cle\u2028lamp,1.00 USD,https://e.com/a\nB,Bowl,2.00 USD,https://e.com/b\n"
    found, _problems = products(write(tmp_path, data))
    assert found == [("A", 2), ("B", 3)]


def test_unbalanced_quote_swallows_at_most_a_bounded_field(tmp_path: Path) -> None:
    data = (
        FEED
        + 'A,"broken,1.00 USD,https://e.com/a\n'
        + "".join(f"P{i},T{i},1.00 USD,https://e.com/{i}\n" for i in range(3))
    )
    found, problems = products(write(tmp_path, data))
    assert found == []  # everything after the quote became one field of record 2
    assert [pr.row for pr in problems] == [2]


def test_duplicate_columns_warn_and_first_wins(tmp_path: Path) -> None:
    found, problems = products(write(tmp_path, "id,title,price,title\nA,First,1.00 USD,Second\n"))
    assert found == [("A", 2)]
    assert [(pr.row, pr.field, pr.severity) for pr in problems][:1] == [(1, "title", "warning")]


def test_detect_format_names_shopify_and_feeds() -> None:
    assert detect_format(["Handle", "Title", "Variant Price"]) == "shopify"
    assert detect_format(["Title", "URL handle", "Price", "Option1 name"]) == "shopify"
    assert detect_format(["id", "title", "price", "variant_values"]) == "pinterest"
    with pytest.raises(CatalogFormatError, match="id, title, price"):
        detect_format(["a", "b"])


PATHOLOGICAL = [
    " " * 120_000,
    "<script" * 15_000,
    "<!--" * 25_000,
    "<" * 120_000,
    "<p" * 50_000,
    "1" + " " * 60_000 + "x" + " " * 60_000,
    "\n \n" * 30_000,
]


@pytest.mark.parametrize("value", PATHOLOGICAL, ids=range(len(PATHOLOGICAL)))
def test_pathological_fields_do_not_hang(tmp_path: Path, value: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "title", "description", "price", "sale_price", "availability", "link"])
    writer.writerow(["A", value[:5000], value, value, value, value, value])
    writer.writerow(["B", "Fine", "ok", "1.00 USD", "", "in stock", "https://e.com/b"])
    shopify = io.StringIO()
    writer = csv.writer(shopify)
    writer.writerow(
        ["Handle", "Title", "Body (HTML)", "Variant Price", "Variant Inventory Qty", "Image Position"]
    )
    writer.writerow(["h", "T", value, value[:100], value[:1000], value[:100]])
    start = time.perf_counter()
    found, _problems = products(write(tmp_path, out.getvalue()))
    _shop, _problems = products(write(tmp_path, shopify.getvalue(), "shopify.csv"))
    assert time.perf_counter() - start < 5
    assert ("B", 3) in found
