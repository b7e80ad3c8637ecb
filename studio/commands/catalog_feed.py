"""`studio catalog feed` (feed files for Meta, Pinterest, Google) and `studio catalog stale`.

Feeds need no API approval, so they are the first way a shop gets its products onto the platforms;
`stale` is the price-integrity check to run after a catalog re-import.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.commands._common import EXIT_NOTHING, EXIT_OK, CommandRegistry, print_json, progress_bar
from studio.core.catalog_fields import PLATFORMS, spec_for
from studio.core.errors import UsageError, Where
from studio.core.feeds import write_feed
from studio.core.price_ledger import stale, summary
from studio.core.progress import no_progress
from studio.core.workspace import Workspace

SHOWN_PROBLEMS = 50


def cmd_feed(a: argparse.Namespace) -> int:
    if a.format not in PLATFORMS:
        raise UsageError(
            f"unknown format '{a.format}'",
            where=Where(field="--format"),
            hint="use meta, pinterest or google",
        )
    country = (a.country or "US").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise UsageError(
            f"'{a.country}' is not a country code", where=Where(field="--country"), hint="e.g. US, DE, JP"
        )
    with Workspace.open(a.workspace, write=False) as ws:
        store = ws.catalog
        report = write_feed(
            store.all(),
            a.format,
            Path(a.out),
            project=ws.project,
            country=country,
            language=a.language,
            include_invalid=a.include_invalid,
            total=store.count(),
            progress=no_progress if a.json else progress_bar(sys.stderr, "Writing feed"),
        )
    if a.json:
        print_json(report.to_dict())
    else:
        name = spec_for(a.format).name
        print(
            f"Wrote {report.written} item(s) to {report.path} ({name} {report.format.upper()}); "
            f"{report.left_out} left out with errors, {len(report.warnings)} warning(s)."
        )
        for p in report.problems[:SHOWN_PROBLEMS]:
            print(f"  {p.severity}: {p.describe()}")
        if len(report.problems) > SHOWN_PROBLEMS:
            print(f"  … {len(report.problems) - SHOWN_PROBLEMS} more (use --json for all)")
    return EXIT_OK if report.written else EXIT_NOTHING


def cmd_stale(a: argparse.Namespace) -> int:
    with Workspace.open(a.workspace, write=False) as ws:
        items = stale(ws)
    counts = summary(items)
    if a.json:
        print_json({"summary": counts, "stale": [i.to_dict() for i in items]})
        return EXIT_OK
    if not items:
        print("Nothing shows an old price or an unavailable product.")
        return EXIT_OK
    print(
        f"{counts['export']} export file(s), {counts['post']} published post(s) and {counts['media']} "
        "media show an old price or an unavailable product:"
    )
    for i in items[:SHOWN_PROBLEMS]:
        where = i.permalink or i.ref
        what = i.product_id + (f"/{i.variant_id}" if i.variant_id else "")
        print(f"  {i.kind:<6} {what}: {i.message}  ({where})")
    if len(items) > SHOWN_PROBLEMS:
        print(f"  … {len(items) - SHOWN_PROBLEMS} more (use --json for all)")
    print("Re-export the media (studio export …) and review the posts on each platform.")
    return EXIT_OK


def register(reg: CommandRegistry) -> None:
    feed = reg.command("catalog", "feed", "write a catalog feed file for Meta, Pinterest or Google", cmd_feed)
    feed.add_argument("--workspace", "-w", required=True)
    feed.add_argument("--format", required=True, choices=PLATFORMS, help="whose feed spec to follow")
    feed.add_argument(
        "--out", required=True, help="feed file (.csv, or .tsv/.txt for TSV; Google is always TSV)"
    )
    feed.add_argument(
        "--country", default="US", help="target country (checks the price currency); default US"
    )
    feed.add_argument("--language", default="en", help="content language; default en")
    feed.add_argument("--include-invalid", action="store_true", help="also write items that have errors")
    feed.add_argument("--json", action="store_true")
    st = reg.command("catalog", "stale", "list exports, posts and media that show an old price", cmd_stale)
    st.add_argument("--workspace", "-w", required=True)
    st.add_argument("--json", action="store_true")
