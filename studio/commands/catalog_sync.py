"""`studio catalog sync --to meta|pinterest`: push the workspace catalog to a platform catalog.

Only changed items are sent; deletions (products gone from the studio's catalog) are listed and only
sent with `--yes`. `--dry-run` sends nothing and changes nothing. Accounts come from the registry
(`studio accounts connect …`); base URLs follow the same test-only environment overrides as
publishing (`STUDIO_GRAPH_BASE_URL`, `STUDIO_PINTEREST_BASE_URL`, …, see studio/publish/http.py).

Exit codes: 0 synced (per-item problems are reported, not fatal), 1 nothing could be synced
(the platform refused, or the sync was cancelled / could not finish), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from studio.commands._common import EXIT_NOTHING, EXIT_OK, CommandRegistry, print_json, progress_bar
from studio.core.progress import no_progress

SHOWN_PROBLEMS = 20


def _registry() -> Any:
    from studio.publish.accounts import AccountRegistry
    from studio.publish.secrets import SecretStore

    return AccountRegistry(SecretStore.open(passphrase=os.environ.get("STUDIO_SECRETS_PASSPHRASE") or None))


def cmd_catalog_sync(a: argparse.Namespace) -> int:
    from studio.jobs.catalog_sync import run_sync

    report = run_sync(
        a.workspace,
        a.to,
        registry=_registry(),
        account=a.account,
        catalog_id=a.catalog,
        country=a.country,
        language=a.language,
        dry_run=a.dry_run,
        confirm_deletes=a.yes,
        progress=no_progress if a.json else progress_bar(sys.stderr, "Syncing"),
    )
    doc = report.to_dict()
    if a.json:
        print_json(doc)
    else:
        _print_report(doc)
    return EXIT_OK if report.state == "done" else EXIT_NOTHING


def _print_report(doc: dict[str, Any]) -> None:
    verb = "Would send" if doc["dry_run"] else "Sent"
    print(
        f"{verb} {doc['sent']:,} item(s) ({doc['created']:,} new, {doc['updated']:,} changed); "
        f"{doc['unchanged']:,} unchanged; {doc['blocked']:,} blocked by problems."
    )
    if not doc["dry_run"]:
        print(
            f"The platform confirmed {doc['confirmed']:,} and rejected {doc['errors']:,} "
            f"in {doc['batches']} batch(es), {doc['bytes_sent']:,} bytes."
        )
        if doc["resumed"] or doc["resent"]:
            print(f"Resumed {doc['resumed']} batch(es) of the last sync; {doc['resent']} compared again.")
        if doc["pending"]:
            print(f"{doc['pending']} batch(es) still processing: run the sync again to collect them.")
    if doc["deleted"]:
        print(f"Deleted {doc['deleted']:,} item(s) from the platform.")
    if doc["deletions_total"]:
        print(
            f"{doc['deletions_total']:,} item(s) are no longer in the studio's catalog and would be deleted"
            + (":" if doc["deletions"] else ".")
        )
        for item_id in doc["deletions"][:SHOWN_PROBLEMS]:
            print(f"  - {item_id}")
        if not doc["dry_run"]:
            print("Run again with --yes to delete them.")
    problems = [p for p in doc["problems"] if p["severity"] == "error"]
    if problems:
        print(f"{doc['problems_total']:,} problem(s); the first:")
    for p in problems[:SHOWN_PROBLEMS]:
        who = p["product_id"] + (f" / {p['variant_id']}" if p["variant_id"] else "")
        where = f" {p['field']}:" if p["field"] else ""
        fix = f" — {p['fix']}" if p["fix"] else ""
        print(f"  {who} [{p['source']}]{where} {p['message']}{fix}")


def register(reg: CommandRegistry) -> None:
    p = reg.command(
        "catalog", "sync", "send the catalog to a Meta or Pinterest catalog (changes only)", cmd_catalog_sync
    )
    p.add_argument("--to", required=True, choices=["meta", "pinterest"])
    p.add_argument("--account", help="account NAME (default: the first connected one of the platform)")
    p.add_argument("--catalog", help="Meta Commerce catalog id (Pinterest: a catalog id, else the default)")
    p.add_argument("--country", help="Pinterest: ISO country (default: from the workspace locale)")
    p.add_argument("--language", help="Pinterest: language (default: from the workspace locale)")
    p.add_argument("--dry-run", action="store_true", help="list what would be sent or deleted; send nothing")
    p.add_argument("--yes", action="store_true", help="also delete items that left the studio's catalog")
    p.add_argument("--workspace", "-w", required=True)
    p.add_argument("--json", action="store_true")
