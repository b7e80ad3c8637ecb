"""`studio insights pull|report` and `studio orders import` through `studio.cli.main`, against the fakes,
with the accounts in an encrypted-file secret store (STUDIO_SECRETS_PASSPHRASE) in a temp data folder."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from studio import cli
from studio.core.insights_store import InsightsStore
from studio.core.model import Product
from studio.core.orders import discount_code_for
from studio.core.workspace import Workspace
from studio.publish.accounts import AccountRegistry
from studio.publish.secrets import EncryptedFileStore, SecretStore
from tests.integration.insights_helpers import Published, make_registry, make_workspace, seed_history

PASS = "cli-test-passphrase"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def ws(fake_graph: Any, fake_pinterest: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data = tmp_path / "appdata"
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data))
    monkeypatch.setenv("STUDIO_SECRETS_PASSPHRASE", PASS)
    for fake in (fake_graph, fake_pinterest):
        for key, value in fake.env.items():
            monkeypatch.setenv(key, value)
    # the CLI opens the default registry: accounts.json + secrets.enc in STUDIO_DATA_DIR
    reg = make_registry(fake_graph, fake_pinterest, data, passphrase=PASS)
    assert isinstance(reg, AccountRegistry) and isinstance(reg.secrets, SecretStore)
    assert isinstance(reg.secrets.backend, EncryptedFileStore)
    root = make_workspace(tmp_path / "ws")
    now = datetime.now(UTC)
    feed = fake_graph.add_media("instagram", "IMAGE", now - timedelta(days=2))
    pin = fake_pinterest.add_pin(now - timedelta(days=3))
    seed_history(
        root,
        [
            Published(
                "p_feed", "instagram", "instagram.feed_image", feed, now - timedelta(days=2), ["prod-red"]
            ),
            Published(
                "p_pin", "pinterest", "pinterest.image_pin", pin, now - timedelta(days=3), ["prod-green"]
            ),
        ],
    )
    with Workspace.open(root) as w:
        w.catalog.upsert(
            [
                Product("prod-red", "Red mug", Decimal("15.00"), "EUR", sku="SKU-RED"),
                Product("prod-green", "Green vase", Decimal("30.00"), "EUR", sku="SKU-GREEN"),
            ],
            "test",
        )
    return root


def test_pull_report_and_orders(
    ws: Path, fake_graph: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # pull (session pacing is real here: 3 calls only)
    code, out, err = run(["insights", "pull", "-w", str(ws), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] == 2 and doc["failed"] == 0
    assert fake_graph.user_token not in out + err
    code, out, _ = run(["insights", "pull", "--post", "p_feed", "-w", str(ws)], capsys)
    assert code == 0 and "Pulled 1 post(s)" in out and "views" in out

    # orders: one by discount code, one by SKU (catalog lookup), one unattributed, one bad row
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    header = [
        "Name",
        "Created at",
        "Currency",
        "Total",
        "Discount Code",
        "Lineitem quantity",
        "Lineitem name",
    ]
    header += ["Lineitem price", "Lineitem sku"]
    rows = [
        ["#1", today, "EUR", "15.00", discount_code_for("p_feed"), "1", "Red mug", "15.00", "SKU-RED"],
        ["#2", today, "EUR", "60.00", "", "2", "Green vase", "30.00", "SKU-GREEN"],
        ["#3", today, "EUR", "9.00", "", "1", "Thing", "9.00", "SKU-NONE"],
        ["#4", "not a date", "EUR", "9.00", "", "1", "Thing", "9.00", "SKU-RED"],
    ]
    path = tmp_path / "orders_export.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    code, out, err = run(["orders", "import", str(path), "-w", str(ws), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["attribution"] == {"discount_code": 1, "utm": 0, "sku": 1, "none": 1}
    assert [u["order_id"] for u in doc["unattributed"]] == ["#3"]
    assert [(p["row"], p["field"]) for p in doc["problems"] if p["row"]] == [(5, "Created at")]
    code, out, _ = run(["orders", "import", str(path), "-w", str(ws)], capsys)  # again: no duplicates
    assert "1 by discount code" in out and "row 5, Created at" in out
    with InsightsStore.open(ws) as store:
        orders = store.orders(datetime.now(UTC).date(), datetime.now(UTC).date())
        assert len(orders) == 3
        by_id = {o.order_id: o for o in orders}
        assert by_id["#2"].attributed_post_id == "p_pin" and by_id["#2"].lines[0].product_id == "prod-green"

    # report: JSON, text and CSV
    start = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    end = datetime.now(UTC).date().isoformat()
    code, out, err = run(
        ["insights", "report", "--from", start, "--to", end, "--json", "-w", str(ws)], capsys
    )
    assert code == 0, err
    report = json.loads(out)
    assert {r["post_id"] for r in report["rows"]} == {"p_feed", "p_pin"}
    feed_row = next(r for r in report["rows"] if r["post_id"] == "p_feed")
    assert feed_row["orders"] == 1
    out_csv = tmp_path / "by_product.csv"
    code, out, err = run(
        [
            "insights",
            "report",
            "--from",
            start,
            "--to",
            end,
            "--by",
            "product",
            "--csv",
            str(out_csv),
            "-w",
            str(ws),
        ],
        capsys,
    )
    assert code == 0, err
    assert "Green vase" in out and out_csv.read_text(encoding="utf-8").startswith("product_id")


def test_cli_usage_errors(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["insights", "report", "--from", "2026-13-01", "--to", "2026-12-01", "-w", str(ws)], capsys
    )
    assert code == 2 and "--from" in err
    code, _, err = run(["insights", "pull", "--post", "nope", "-w", str(ws)], capsys)
    assert code == 2 and "nope" in err
    code, _, err = run(["orders", "import", str(ws / "missing.csv"), "-w", str(ws)], capsys)
    assert code == 2 and "cannot read" in err
    code, _, err = run(["orders", "import", str(ws / "x.csv"), "--map", "oops", "-w", str(ws)], capsys)
    assert code == 2 and "FIELD=COLUMN" in err
