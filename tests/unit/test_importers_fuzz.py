"""Property tests: whatever bytes a user hands us, the import reports or raises a StudioError.

Two generators: arbitrary bytes, and real sample catalogs garbled the way exports get damaged
(columns dropped, duplicated or shuffled, another delimiter, truncated, stray quotes, NULs, CRs,
invalid UTF-8). The only acceptable outcomes are an `ImportReport` or a `CatalogFormatError` /
`InputError`; a store left consistent either way.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.catalog_store import CatalogStore
from studio.core.errors import CatalogFormatError, InputError
from studio.core.importers.report import ImportReport
from studio.jobs.import_catalog import import_catalog

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogs"
SAMPLES = sorted(p.name for p in DATA.iterdir() if p.suffix in (".csv", ".tsv"))
FORMATS = ["auto", "shopify", "meta", "pinterest", "google"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("fuzz")
    with CatalogStore(folder / "catalog.sqlite") as store:
        yield folder, store


def attempt(workdir: tuple[Path, CatalogStore], data: bytes, fmt: str = "auto") -> ImportReport | None:
    folder, store = workdir
    path = folder / "upload.csv"
    path.write_bytes(data)
    try:
        report = import_catalog(path, store, format=fmt, store_url="https://shop.example.com", currency="USD")
    except (CatalogFormatError, InputError) as exc:
        assert exc.message()  # one readable sentence
        return None
    doc = report.to_dict()
    assert doc["format"] in FORMATS[1:]
    assert set(doc["products"]) == {"created", "updated", "unchanged", "pruned"}
    for problem in doc["problems"]:
        assert problem["severity"] in ("error", "warning")
        assert problem["row"] is None or problem["row"] >= 1
    assert store.count() == len(store.ids())
    return report


def sample_rows(name: str) -> tuple[list[list[str]], str]:
    text = (DATA / name).read_text(encoding="utf-8-sig")
    delimiter = "\t" if name.endswith(".tsv") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), delimiter


@FUZZ
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(FORMATS))
def test_arbitrary_bytes(workdir: tuple[Path, CatalogStore], data: bytes, fmt: str) -> None:
    attempt(workdir, data, fmt)


@st.composite
def garbled_catalog(draw: st.DrawFn) -> bytes:
    rows, delimiter = sample_rows(draw(st.sampled_from(SAMPLES)))
    width = len(rows[0])
    order = list(draw(st.permutations(range(width))))
    dropped = draw(st.sets(st.integers(0, width - 1), max_size=width))
    duplicated = draw(st.lists(st.integers(0, width - 1), max_size=3))
    keep = [i for i in order if i not in dropped] + duplicated
    if draw(st.booleans()):
        keep = list(range(width))  # half the time keep the columns, to exercise the row paths
    delimiter = draw(st.sampled_from([delimiter, delimiter, ",", "\t", ";"]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    for row in rows:
        padded = row + [""] * (width - len(row))
        writer.writerow([padded[i] for i in keep])
    data = out.getvalue().encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    junk = st.sampled_from(
        [b'"', b'""', b"\x00", b"\r", b"\n", b",", b"\t", b"\xff", b"\xe9", b"\xc3", b"<p>"]
    )
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(junk) + data[at:]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@FUZZ
@given(data=garbled_catalog(), fmt=st.sampled_from(["auto", "auto", "auto", "meta", "shopify"]))
def test_garbled_catalogs(workdir: tuple[Path, CatalogStore], data: bytes, fmt: str) -> None:
    report = attempt(workdir, data, fmt)
    if report is not None:
        assert report.products <= report.rows


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_survive_every_truncation_point_sampled(
    workdir: tuple[Path, CatalogStore], name: str
) -> None:
    data = (DATA / name).read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 40)):
        attempt(workdir, data[:cut])
