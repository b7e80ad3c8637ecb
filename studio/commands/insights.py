"""`studio insights pull|report` and `studio orders import`: measure published posts, attribute sales.

- `insights pull [--post ID] [--since DATE]`: metrics of the published history (outbox) into the
  workspace's `insights.sqlite`, via the connected accounts. Exit 0 when at least one post was
  pulled (per-post failures are listed), 1 when none could be, 2 on usage errors.
- `insights report --from DATE --to DATE [--by post|product|platform] [--csv FILE]`: the
  aggregation of `studio.core.insights_report.build_report`; "—" marks values not available yet.
- `orders import FILE [--map FIELD=COLUMN …]`: a Shopify orders export (or any CSV with UTM columns)
  attributed to posts by discount code, UTM, then SKU; unattributed orders and bad rows are listed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from studio.commands._common import EXIT_NOTHING, EXIT_OK, CommandRegistry, print_json, progress_bar
from studio.core.errors import UsageError, Where
from studio.core.progress import no_progress

SHOWN = 20
METRIC_COLUMNS = ("reach", "impressions", "engagement", "clicks")
COLUMNS: dict[str, tuple[str, ...]] = {
    "post": ("post_id", "platform", "format", *METRIC_COLUMNS, "orders", "revenue", "currency"),
    "product": ("product_id", "title", "posts", *METRIC_COLUMNS, "orders", "units", "revenue", "currency"),
    "platform": ("platform", "format", "posts", *METRIC_COLUMNS, "orders"),
}


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"'{text}' is not a date", where=Where(field=option), hint="use YYYY-MM-DD"
        ) from None


def cmd_pull(a: argparse.Namespace) -> int:
    from studio.jobs.insights import pull

    since = _date(a.since, "--since") if a.since else None
    report = pull(
        a.workspace,
        post_id=a.post,
        since=since,
        progress=no_progress if a.json else progress_bar(sys.stderr, "Pulling"),
    )
    doc = report.to_dict()
    if a.json:
        print_json(doc)
    else:
        print(f"Pulled {doc['ok']} post(s), {doc['failed']} failed, {doc['requests']} request(s).")
        for p in doc["posts"]:
            if p["ok"]:
                known = {k: v for k, v in p["metrics"].items() if v is not None and "." not in k}
                shown = ", ".join(f"{k} {v:g}" for k, v in list(known.items())[:6])
                waiting = p["not_available"]
                reasons = sorted({r for r in waiting.values() if r})
                why = f" ({reasons[0]})" if len(reasons) == 1 else ""
                extra = f"; {len(waiting)} not available{why}" if waiting else ""
                print(f"  {p['platform']:<9} {p['post_id']}: {shown or 'no values yet'}{extra}")
            else:
                print(f"  {p['platform']:<9} {p['post_id']}: FAILED — {p['error']}")
        for w in doc["warnings"][:SHOWN]:
            print(f"warning: {w}")
    if not report.posts:
        if not a.json:
            print("No published posts to measure (publish first, or check --post/--since).")
        return EXIT_OK
    return EXIT_OK if report.ok else EXIT_NOTHING


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 and value != int(value) else f"{value:,.0f}"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def cmd_report(a: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.core.insights_report import build_report, rows_csv
    from studio.core.insights_store import InsightsStore
    from studio.core.workspace import Workspace

    start, end = _date(a.start, "--from"), _date(a.end, "--to")
    if end < start:
        raise UsageError("--to is before --from", where=Where(field="--to"))
    with Workspace.open(a.workspace, write=False) as ws:
        store = InsightsStore.open(ws.root)
        try:
            titles: dict[str, str] = {}
            rows = build_report(store, start, end, a.by)
            if a.by == "product":
                for row in rows:
                    product = ws.catalog.get(str(row.get("product_id")))
                    if product is not None:
                        titles[product.id] = product.title
                if titles:
                    rows = build_report(store, start, end, a.by, titles=titles)
        finally:
            store.close()
    if a.csv:
        rows_csv(rows, Path(a.csv))
    if a.json:
        print_json({"from": start, "to": end, "by": a.by, "rows": rows})
        return EXIT_OK
    columns = {
        "post": (
            "post_id",
            "platform",
            "format",
            "reach",
            "impressions",
            "engagement",
            "clicks",
            "orders",
            "revenue",
        ),
        "product": (
            "product_id",
            "title",
            "posts",
            "reach",
            "impressions",
            "clicks",
            "orders",
            "units",
            "revenue",
        ),
        "platform": ("platform", "format", "posts", "reach", "impressions", "engagement", "clicks", "orders"),
    }[a.by]
    print(f"{len(rows)} row(s), posts published {start} … {end} (— = not available yet)")
    if rows:
        table = [[_cell(r.get(c)) for c in columns] for r in rows]
        widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(columns)]
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for t in table:
            print("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)))
    if a.csv:
        print(f"Wrote {a.csv}")
    return EXIT_OK


def _mapping(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise UsageError(
                f"'{item}' is not FIELD=COLUMN",
                where=Where(field="--map"),
                hint="e.g. --map utm_content=Content",
            )
        out[field.strip()] = column.strip()
    return out


def cmd_orders_import(a: argparse.Namespace) -> int:
    from studio.jobs.insights import import_orders

    result = import_orders(a.workspace, a.file, columns=_mapping(a.map or []))
    doc = result.to_dict()
    if a.json:
        print_json(doc)
    else:
        counts = doc["attribution"]
        print(
            f"Imported {doc['orders']} order(s) from {doc['rows']} row(s) ({doc['format']}): "
            f"{counts['discount_code']} by discount code, {counts['utm']} by UTM, {counts['sku']} by SKU, "
            f"{counts['none']} not attributed."
        )
        for cur, amount in doc["attributed_revenue"].items():
            print(f"  attributed revenue: {amount} {cur}")
        if doc["unattributed"]:
            print("Not attributed (nothing was guessed):")
            for u in doc["unattributed"][:SHOWN]:
                print(f"  {u['order_id']}: {u['reason']}")
        errors = [p for p in doc["problems"] if p["row"] is not None]
        if errors:
            print(f"{len(errors)} row problem(s):")
            for p in errors[:SHOWN]:
                hint = f" — {p['hint']}" if p["hint"] else ""
                print(f"  row {p['row']}, {p['field']}: {p['message']}{hint}")
    return EXIT_OK if result.orders else EXIT_NOTHING


def register(reg: CommandRegistry) -> None:
    p = reg.command("insights", "pull", "pull post metrics from the platforms into the workspace", cmd_pull)
    p.add_argument("--post", help="only this studio post id")
    p.add_argument("--since", help="only posts published on/after this day (YYYY-MM-DD)")
    p.add_argument("--workspace", "-w", required=True)
    p.add_argument("--json", action="store_true")

    r = reg.command(
        "insights", "report", "metrics, orders and revenue per post, product or platform", cmd_report
    )
    r.add_argument("--from", dest="start", required=True, help="first day (YYYY-MM-DD, UTC)")
    r.add_argument("--to", dest="end", required=True, help="last day (YYYY-MM-DD, UTC, inclusive)")
    r.add_argument("--by", choices=["post", "product", "platform"], default="post")
    r.add_argument("--csv", help="also write the rows to this CSV file")
    r.add_argument("--workspace", "-w", required=True)
    r.add_argument("--json", action="store_true")

    o = reg.command(
        "orders", "import", "import a Shopify orders CSV (or a UTM CSV) and attribute it", cmd_orders_import
    )
    o.add_argument("file")
    o.add_argument(
        "--map",
        action="append",
        metavar="FIELD=COLUMN",
        help="use COLUMN for FIELD (order_id, created_at, total, currency, discount_code, sku, quantity, "
        "price, utm_source, utm_medium, utm_campaign, utm_content, utm_term); repeatable",
    )
    o.add_argument("--workspace", "-w", required=True)
    o.add_argument("--json", action="store_true")
