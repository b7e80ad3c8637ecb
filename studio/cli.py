"""The command line: the contract scripts, tests and other work rely on.

Every subcommand is a thin shell over `studio.jobs`; `--json` prints exactly one JSON document
on stdout. Exit codes: 0 success (even with per-row problems), 1 nothing usable (no product
imported, no media added), 2 usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from studio import __version__
from studio.commands import MODULES as COMMAND_MODULES
from studio.commands._common import CommandRegistry, Parser, print_json, progress_bar
from studio.core.errors import StudioError, UsageError, Where
from studio.core.money import format_money
from studio.core.progress import no_progress
from studio.core.workspace import Workspace

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2  # same values as studio.commands._common


_Parser = Parser
_print_json = print_json
_progress_bar = progress_bar


def _box(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4:
        raise argparse.ArgumentTypeError("expected X0,Y0,X1,Y1 (four numbers between 0 and 1)")
    return parts[0], parts[1], parts[2], parts[3]


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="studio", description="Shoppable Studio: tag products on photos and videos.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument(
        "--self-test", action="store_true", help="check this installation headless and exit (0 = all ok)"
    )
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    o = sub.add_parser("open", help="open the studio on a workspace")
    o.add_argument("workspace")

    i = sub.add_parser("init", help="create a workspace folder")
    i.add_argument("workspace")
    i.add_argument("--name")
    i.add_argument("--currency", default="USD")
    i.add_argument("--locale", default="en_US")
    i.add_argument("--store-url", default="")
    i.add_argument("--json", action="store_true")

    cat = sub.add_parser("catalog", help="import and search the product catalog")
    cs = cat.add_subparsers(dest="catalog_command", parser_class=_Parser, required=True)
    ci = cs.add_parser("import", help="import a Shopify/Meta/Pinterest/Google catalog file")
    ci.add_argument("file")
    ci.add_argument("--workspace", "-w", required=True)
    ci.add_argument("--format", default="auto", choices=["auto", "shopify", "meta", "pinterest", "google"])
    ci.add_argument("--prune", action="store_true", help="delete products missing from this file")
    ci.add_argument("--json", action="store_true")
    cq = cs.add_parser("search", help="search products by title, SKU, GTIN…")
    cq.add_argument("query")
    cq.add_argument("--workspace", "-w", required=True)
    cq.add_argument("--limit", type=int, default=20)
    cq.add_argument("--json", action="store_true")

    med = sub.add_parser("media", help="add photos and videos")
    ms = med.add_subparsers(dest="media_command", parser_class=_Parser, required=True)
    ma = ms.add_parser("add", help="add files or folders (recursive)")
    ma.add_argument("paths", nargs="+")
    ma.add_argument("--workspace", "-w", required=True)
    ma.add_argument("--json", action="store_true")
    mr = ms.add_parser("relink", help="find moved/renamed media under a folder by content hash")
    mr.add_argument("folder")
    mr.add_argument("--workspace", "-w", required=True)
    mr.add_argument("--json", action="store_true")

    tag = sub.add_parser("tag", help="place and list product tags")
    ts = tag.add_subparsers(dest="tag_command", parser_class=_Parser, required=True)
    ta = ts.add_parser("add", help="tag a product on a photo or video")
    ta.add_argument("media")
    ta.add_argument("--product", required=True, help="product id or SKU")
    ta.add_argument("--x", type=float, required=True)
    ta.add_argument("--y", type=float, required=True)
    ta.add_argument("--box", type=_box)
    ta.add_argument("--from", dest="start", type=float)
    ta.add_argument("--to", dest="end", type=float)
    ta.add_argument("--workspace", "-w", required=True)
    ta.add_argument("--json", action="store_true")
    tl = ts.add_parser("list", help="list tags (coordinates normalized 0..1)")
    tl.add_argument("media", nargs="?")
    tl.add_argument("--workspace", "-w", required=True)
    tl.add_argument("--json", action="store_true")

    pr = sub.add_parser("presets", help="list the export presets (platform sizes)")
    pr.add_argument("--workspace", "-w", help="include this workspace's own presets")
    pr.add_argument("--json", action="store_true")

    ex = sub.add_parser("export", help="render tagged media for every platform size")
    ex.add_argument("--workspace", "-w", required=True)
    ex.add_argument("--preset", required=True, help="NAME[,NAME...] (see `studio presets`)")
    ex.add_argument("--out", required=True, help="output folder (DIR/<preset>/<media>.<kind>.<ext>)")
    ex.add_argument("--kind", default="clean,labeled", help="clean,labeled,html,video,dataset,kit")
    ex.add_argument("--only", help="tagged | untagged | post:ID (default: all media)")
    ex.add_argument("--workers", type=int, help="parallel processes (default: number of cores)")
    ex.add_argument("--json", action="store_true")

    inf = sub.add_parser("info", help="summary of a workspace")
    inf.add_argument("--workspace", "-w", required=True)
    inf.add_argument("--json", action="store_true")

    pst = sub.add_parser("post", help="create posts to publish")
    ps = pst.add_subparsers(dest="post_command", parser_class=_Parser, required=True)
    pc = ps.add_parser(
        "create", help="a post over MEDIA[,MEDIA...] (ids, paths or file names); prints its id"
    )
    pc.add_argument("media")
    pc.add_argument("--caption", default="")
    pc.add_argument("--workspace", "-w", required=True)
    pc.add_argument("--json", action="store_true")

    acc = sub.add_parser("accounts", help="connected Instagram, Facebook and Pinterest accounts")
    acs = acc.add_subparsers(dest="accounts_command", parser_class=_Parser, required=True)
    al = acs.add_parser("list", help="list connected accounts")
    al.add_argument("--json", action="store_true")
    ac = acs.add_parser("connect", help="sign in through the browser (OAuth, loopback redirect)")
    ac.add_argument("platform", choices=["instagram", "facebook", "pinterest"])
    ac.add_argument("--sandbox", action="store_true", help="Pinterest: publish to the API sandbox")
    ac.add_argument(
        "--instagram-login",
        action="store_true",
        help="Instagram: sign in with Instagram Login (no Facebook Page needed; no product tags)",
    )
    ac.add_argument("--json", action="store_true")
    ad = acs.add_parser("disconnect", help="remove an account and its secrets")
    ad.add_argument("name")
    ad.add_argument("--json", action="store_true")
    mh = acs.add_parser("media-host", help="the S3-compatible bucket that hosts Instagram images")
    mhs = mh.add_subparsers(dest="media_host_command", parser_class=_Parser, required=True)
    mset = mhs.add_parser(
        "set", help="save the bucket settings; the secret key is read from a prompt or STDIN, never argv"
    )
    mset.add_argument("--endpoint", default="", help="S3 endpoint URL (leave out for AWS S3 itself)")
    mset.add_argument("--bucket", required=True)
    mset.add_argument("--region", default="us-east-1", help="e.g. us-east-1; 'auto' for Cloudflare R2")
    mset.add_argument("--prefix", default="shoppable-studio/", help="key prefix of the temporary uploads")
    mset.add_argument("--access-key-id", default=None, help="asked for when not given and none is saved")
    mset.add_argument("--json", action="store_true")
    mshow = mhs.add_parser("show", help="the saved settings (never the secret)")
    mshow.add_argument("--json", action="store_true")
    mtest = mhs.add_parser("test", help="upload a 1x1 JPEG, fetch it by presigned URL, delete it")
    mtest.add_argument("--json", action="store_true")

    pub = sub.add_parser("publish", help="check and publish a post (exactly once, through the outbox)")
    pub.add_argument("post_id")
    pub.add_argument(
        "--to", required=True, help="instagram,facebook,pinterest (or a target: instagram.story)"
    )
    pub.add_argument("--account", action="append", default=[], help="account NAME (repeat per platform)")
    pub.add_argument("--at", help="ISO time to publish at (Facebook schedules natively)")
    pub.add_argument("--dry-run", action="store_true", help="print findings and the exact requests only")
    pub.add_argument("--workspace", "-w", required=True)
    pub.add_argument("--json", action="store_true")

    ob = sub.add_parser("outbox", help="the publishing queue and history")
    obs = ob.add_subparsers(dest="outbox_command", parser_class=_Parser, required=True)
    for name, text in (
        ("list", "queued, failed and published jobs"),
        ("retry", "queue a failed job again"),
        ("cancel", "cancel a job not yet published"),
    ):
        op = obs.add_parser(name, help=text)
        if name != "list":
            op.add_argument("id")
        op.add_argument("--workspace", "-w", required=True)
        op.add_argument("--json", action="store_true")

    registry = CommandRegistry(sub)
    registry.adopt_group("catalog", cs)
    registry.adopt_group("accounts", acs)
    registry.adopt_group("media", ms)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # a real missing dependency inside the module: say so
                raise
            continue  # a topic not built yet
        module.register(registry)
    return p


# --- commands -----------------------------------------------------------------------------------


def cmd_init(a: argparse.Namespace) -> int:
    with Workspace.create(
        a.workspace, name=a.name, currency=a.currency, locale=a.locale, store_url=a.store_url
    ) as ws:
        doc = {
            "workspace": str(ws.root),
            "name": ws.project.name,
            "currency": ws.project.currency,
            "locale": ws.project.locale,
            "store_url": ws.project.store_url,
        }
    if a.json:
        _print_json(doc)
    else:
        print(f"Created workspace {doc['workspace']} ({doc['currency']}, {doc['locale']})")
    return EXIT_OK


def cmd_catalog_import(a: argparse.Namespace) -> int:
    from studio.jobs.import_catalog import import_catalog

    with Workspace.open(a.workspace) as ws:
        report = import_catalog(
            Path(a.file),
            ws.catalog,
            format=a.format,
            prune=a.prune,
            store_url=ws.project.store_url,
            currency=ws.project.currency,
            progress=no_progress if a.json else _progress_bar(sys.stderr, "Importing"),
        )
    doc = report.to_dict()
    if a.json:
        _print_json(doc)
    else:
        prod = doc["products"]
        print(
            f"Imported {a.file} as {doc['format']}: {prod['created']} new, {prod['updated']} updated, "
            f"{prod['unchanged']} unchanged, {prod.get('pruned', 0)} removed; {doc['variants']} variants."
        )
        problems = doc["problems"]
        if problems:
            print(f"{len(problems)} problem(s):")
            for pr in problems[:50]:
                value = f" (value {pr['value']!r})" if pr.get("value") not in (None, "") else ""
                hint = f" — {pr['hint']}" if pr.get("hint") else ""
                field = f" {pr['field']}:" if pr.get("field") else ""
                print(f"  row {pr['row']}:{field} {pr['message']}{value}{hint}")
            if len(problems) > 50:
                print(f"  … {len(problems) - 50} more (use --json for all)")
    prod = doc["products"]
    usable = prod["created"] + prod["updated"] + prod["unchanged"]
    return EXIT_OK if usable else EXIT_NOTHING


def _product_doc(product: Any, locale: str) -> dict[str, Any]:
    return {
        "id": product.id,
        "title": product.title,
        "sku": product.sku,
        "price": format(product.price, "f"),
        "compare_at": format(product.compare_at, "f") if product.compare_at is not None else None,
        "currency": product.currency,
        "price_label": format_money(product.price, product.currency, locale),
        "url": product.url,
        "availability": str(product.availability),
        "variants": [
            {
                "id": v.id,
                "sku": v.sku,
                "title": v.title,
                "options": v.options,
                "price": format(v.price, "f") if v.price is not None else None,
            }
            for v in product.variants
        ],
    }


def cmd_catalog_search(a: argparse.Namespace) -> int:
    if a.limit < 1:
        raise UsageError("--limit must be at least 1", where=Where(field="--limit"))
    with Workspace.open(a.workspace, write=False) as ws:
        results = ws.catalog.search(a.query, limit=a.limit)
        docs = [_product_doc(p, ws.project.locale) for p in results]
    if a.json:
        _print_json(docs)
    else:
        if not docs:
            print("No products found.")
        for d in docs:
            nv = len(d["variants"])
            print(
                f"{d['id']:<28} {d['price_label']:>12}  {d['title']}"
                + (f"  ({nv} variants)" if nv > 1 else "")
            )
    return EXIT_OK


def cmd_media_add(a: argparse.Namespace) -> int:
    from studio.jobs.add_media import add_media

    for raw in a.paths:
        if not Path(raw).exists():
            raise UsageError(f"{raw}: no such file or folder", where=Where(file=raw))
    with Workspace.open(a.workspace) as ws:
        report = add_media(
            a.paths,
            ws.project,
            ws.root,
            progress=no_progress if a.json else _progress_bar(sys.stderr, "Adding"),
        )
        if report.added:
            ws.save()
    doc = report.to_dict()
    if a.json:
        _print_json(doc)
    else:
        print(f"Added {len(report.added)} file(s); {len(report.duplicates)} already in the workspace.")
        for path, message in report.problems:
            print(f"  skipped {path}: {message}")
    return EXIT_OK if report.added or report.duplicates else EXIT_NOTHING


def cmd_media_relink(a: argparse.Namespace) -> int:
    from studio.jobs.add_media import missing_media, relink_missing

    if not Path(a.folder).is_dir():
        raise UsageError(f"{a.folder}: no such folder", where=Where(file=a.folder))
    with Workspace.open(a.workspace) as ws:
        if not missing_media(ws.project, ws.root):
            report = None
        else:
            report = relink_missing(
                ws.project,
                ws.root,
                a.folder,
                progress=no_progress if a.json else _progress_bar(sys.stderr, "Searching"),
            )
            if report.relinked:
                ws.save()
    doc = report.to_dict() if report else {"relinked": [], "still_missing": [], "problems": []}
    if a.json:
        _print_json(doc)
    elif report is None:
        print("No media are missing.")
    else:
        print(f"Relinked {len(report.relinked)} file(s).")
        for item in doc["relinked"]:
            print(f"  {item['old_path']} → {item['new_path']}")
        for item in doc["still_missing"]:
            print(f"  still missing: {item['path']} (not found under {a.folder})")
    return EXIT_NOTHING if doc["still_missing"] and not doc["relinked"] else EXIT_OK


def cmd_tag_add(a: argparse.Namespace) -> int:
    from studio.jobs.tags import TagRow, add_tag

    with Workspace.open(a.workspace) as ws:
        media, tag, product = add_tag(ws, a.media, a.product, a.x, a.y, box=a.box, start=a.start, end=a.end)
        ws.save()
        doc = TagRow(media, tag, product).to_dict(ws.project.locale)
    if a.json:
        _print_json(doc)
    else:
        print(
            f"Tagged {product.title} ({doc['price_label']}) on {media.name} at x={tag.x:.3f}, y={tag.y:.3f}"
        )
    return EXIT_OK


def cmd_tag_list(a: argparse.Namespace) -> int:
    from studio.jobs.tags import list_tags

    with Workspace.open(a.workspace, write=False) as ws:
        rows = list_tags(ws, a.media)
        docs = [r.to_dict(ws.project.locale) for r in rows]
    if a.json:
        _print_json(docs)
    else:
        if not docs:
            print("No tags.")
        for d in docs:
            title = d.get("title", f"(missing product {d['product_id']})")
            print(f"{d['media']:<30} x={d['x']:.3f} y={d['y']:.3f}  {title}  {d.get('price_label', '')}")
    return EXIT_OK


def cmd_info(a: argparse.Namespace) -> int:
    from studio.jobs.add_media import missing_media

    with Workspace.open(a.workspace, write=False) as ws:
        p = ws.project
        doc = {
            "workspace": str(ws.root),
            "name": p.name,
            "currency": p.currency,
            "locale": p.locale,
            "store_url": p.store_url,
            "products": ws.catalog.count(),
            "variants": ws.catalog.variant_count(),
            "media": {
                "total": len(p.media),
                "images": sum(1 for m in p.media if m.kind == "image"),
                "videos": sum(1 for m in p.media if m.kind == "video"),
                "tagged": sum(1 for m in p.media if m.tags),
                "missing": [m.path for m in missing_media(p, ws.root)],
            },
            "tags": sum(len(m.tags) for m in p.media),
            "posts": len(p.posts),
        }
    if a.json:
        _print_json(doc)
    else:
        m = doc["media"]
        print(f"{doc['name']} — {doc['workspace']}")
        print(
            f"  {doc['products']} products ({doc['variants']} variants), {doc['currency']}, {doc['locale']}"
        )
        print(
            f"  {m['total']} media ({m['images']} photos, {m['videos']} videos), {m['tagged']} tagged, "
            f"{doc['tags']} tags"
        )
        for path in m["missing"]:
            print(f"  missing file: {path}")
    return EXIT_OK


def cmd_presets(a: argparse.Namespace) -> int:
    from studio.render.presets import all_presets

    if a.workspace:
        with Workspace.open(a.workspace, write=False) as ws:
            table = all_presets(ws.project)
    else:
        table = all_presets(None)
    docs = [p.to_dict() for p in table.values()]
    if a.json:
        _print_json(docs)
    else:
        for d in docs:
            limit = f"≤ {d['max_bytes'] / 1e6:g} MB" if d["max_bytes"] else "no size limit"
            origin = "" if d["builtin"] else "  (workspace)"
            print(
                f"{d['name']:<22} {d['width']:>4}×{d['height']:<4} {d['aspect']:>6}  {d['fit']:<9} "
                f"{d['format']} q{d['quality']} {limit}  {d['title']}{origin}"
            )
    return EXIT_OK


def cmd_export(a: argparse.Namespace) -> int:
    from studio.jobs.export_batch import export_batch, parse_kinds
    from studio.render.presets import get_presets

    if a.workers is not None and a.workers < 1:
        raise UsageError("--workers must be at least 1", where=Where(field="--workers"))
    kinds = parse_kinds(a.kind)
    with Workspace.open(a.workspace, write=False) as ws:
        presets = get_presets(a.preset, ws.project)
        manifest = export_batch(
            ws.root,
            ws.project,
            ws.catalog_path,
            presets,
            kinds,
            Path(a.out),
            only=a.only,
            workers=a.workers,
            progress=no_progress if a.json else _progress_bar(sys.stderr, "Exporting"),
        )
    summary = manifest.summary()
    problems = [
        {"media_id": i.media_id, "source": i.source, **p} for i in manifest.items for p in i.problems
    ] + manifest.problems
    outside = [{"media_id": i.media_id, **o} for i in manifest.items for o in i.outside]
    if a.json:
        _print_json(
            {
                "out": str(Path(a.out).resolve()),
                "manifest": str((Path(a.out) / "manifest.json").resolve()),
                "presets": manifest.presets,
                "kinds": manifest.kinds,
                "summary": summary,
                "tags_outside_crop": outside,
                "problems": problems,
            }
        )
    else:
        print(
            f"Exported {summary['exported']} item(s), {summary['unchanged']} unchanged, "
            f"{summary['partial'] + summary['failed']} with problems; {summary['outputs_written']} file(s) "
            f"written to {a.out}."
        )
        for o in outside[:50]:
            print(f"  outside the {o['preset']} crop: {o['title']} ({o['media_id']}) — move the crop focus")
        for pr in problems[:50]:
            print(f"  problem: {pr['message']}")
        if len(problems) > 50:
            print(f"  … {len(problems) - 50} more (see manifest.json)")
    usable = summary["exported"] + summary["unchanged"] + summary["partial"]
    return EXIT_OK if usable else EXIT_NOTHING


# --- publishing --------------------------------------------------------------------------------------


def _registry() -> Any:
    """The account registry over the OS keyring, or the opt-in encrypted file
    (`STUDIO_SECRETS_PASSPHRASE`) where no keyring exists."""
    from studio.publish.accounts import AccountRegistry
    from studio.publish.secrets import SecretStore

    return AccountRegistry(SecretStore.open(passphrase=os.environ.get("STUDIO_SECRETS_PASSPHRASE") or None))


def cmd_post_create(a: argparse.Namespace) -> int:
    from studio.core.post_rules import new_post

    with Workspace.open(a.workspace) as ws:
        ids = []
        for ref in [r.strip() for r in a.media.split(",") if r.strip()]:
            media = ws.find_media(ref)
            if media is None:
                raise UsageError(f"{ref}: no such media in the workspace", where=Where(field="MEDIA"))
            ids.append(media.id)
        if not ids:
            raise UsageError("give at least one media", where=Where(field="MEDIA"))
        post = new_post(ids, ("instagram", "facebook", "pinterest"))
        post.caption = a.caption
        post.platforms["pinterest"]["board_id"] = "Shoppable Studio"  # a name: found or created once
        ws.project.posts.append(post)
        ws.save()
    if a.json:
        _print_json({"id": post.id, "media_ids": post.media_ids, "caption": post.caption})
    else:
        print(post.id)
    return EXIT_OK


def cmd_accounts_list(a: argparse.Namespace) -> int:
    docs = [acc.to_dict() for acc in _registry().list()]
    if a.json:
        _print_json(docs)
    else:
        if not docs:
            print("No accounts connected. Connect one with `studio accounts connect PLATFORM`.")
        for d in docs:
            print(
                f"{d['name']:<30} {d['platform']:<10} {d['remote_id']}"
                + ("  (sandbox)" if d["sandbox"] else "")
            )
    return EXIT_OK


def cmd_accounts_connect(a: argparse.Namespace) -> int:
    import getpass

    from studio.jobs.publish import connect_accounts

    registry = _registry()
    if a.instagram_login and a.platform != "instagram":
        raise UsageError("--instagram-login is for `studio accounts connect instagram` only")
    platform = "instagram_login" if a.instagram_login else a.platform
    creds = registry.secrets.app_credentials(platform)
    if creds is None:  # asked once, then kept in the keyring
        apps = {"pinterest": "Pinterest", "instagram_login": "Instagram (Instagram Login)"}
        app = apps.get(platform, "Meta")
        print(f"Your {app} app is needed once (see the README: 'Publishing setup').", file=sys.stderr)
        client_id = input(f"{app} app id: ").strip()
        client_secret = getpass.getpass(f"{app} app secret: ").strip()
        if not client_id or not client_secret:
            raise UsageError("the app id and secret are both needed")
        creds = (client_id, client_secret)
    print("Opening the sign-in page in your browser…", file=sys.stderr)
    accounts = connect_accounts(
        platform, registry, client_id=creds[0], client_secret=creds[1], sandbox=a.sandbox
    )
    docs = [acc.to_dict() for acc in accounts]
    if a.json:
        _print_json(docs)
    else:
        for d in docs:
            print(f"Connected {d['name']} ({d['platform']})")
    return EXIT_OK if docs else EXIT_NOTHING


def cmd_accounts_disconnect(a: argparse.Namespace) -> int:
    removed = _registry().disconnect(a.name)
    if a.json:
        _print_json(removed.to_dict())
    else:
        print(f"Disconnected {removed.name}; its login was removed from this computer.")
    return EXIT_OK


def _read_secret(prompt: str) -> str:
    """A secret from the terminal (no echo) or, when STDIN is not a terminal, its first line — so
    scripts can pipe it in and it never appears in argv, the shell history or `ps`."""
    import getpass

    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt).strip()
    return (sys.stdin.readline() if sys.stdin is not None else "").strip()


def _media_host_doc(settings: Any, store: Any, source: str) -> dict[str, Any]:
    from studio.publish.media_host import credential_key

    access = store.get(credential_key("default", "access_key_id")) or ""
    saved = bool(access and store.get(credential_key("default", "secret_access_key")))
    return {
        **settings.to_dict(),
        "source": source,
        "credentials_saved": saved,
        # the key id is not the secret, but only its tail is needed to recognise it
        "access_key_id": f"…{access[-4:]}" if len(access) > 8 else ("…" if access else None),
    }


def cmd_accounts_media_host(a: argparse.Namespace) -> int:
    """`studio accounts media-host set|show|test`: where Instagram images are hosted while they publish."""
    from studio.jobs.publish import MediaHostSettings
    from studio.publish.media_host import S3MediaHost, check_bucket_settings, endpoint_is_private

    store = _registry().secrets
    if a.media_host_command == "set":
        prefix = a.prefix if not a.prefix or a.prefix.endswith("/") else a.prefix + "/"
        settings = MediaHostSettings(
            bucket=a.bucket.strip(),
            endpoint_url=a.endpoint.strip().rstrip("/") or None,
            region=a.region.strip(),
            prefix=prefix,
        )
        problems = check_bucket_settings(settings.endpoint_url, settings.bucket, settings.region, prefix)
        if problems:
            raise UsageError("; ".join(problems), where=Where(field="media-host"))
        access = (a.access_key_id or "").strip()
        doc = _media_host_doc(settings, store, "file")
        if access or not doc["credentials_saved"]:
            if not access:
                print("Access key id: ", end="", file=sys.stderr, flush=True)
                access = (sys.stdin.readline() if not sys.stdin.isatty() else input()).strip()
            secret = _read_secret("Secret access key: ")
            if not access or not secret:
                raise UsageError(
                    "the access key id and the secret access key are both needed "
                    "(the secret is read from the prompt or the first line of STDIN)",
                    where=Where(field="media-host"),
                )
            S3MediaHost.save_credentials(store, access, secret)
        path = settings.save()
        doc = _media_host_doc(settings, store, "file")
        if a.json:
            _print_json(doc)
        else:
            print(f"Saved the media bucket settings to {path}; the keys are in {store.name}.")
            print("Check them with `studio accounts media-host test`.")
        return EXIT_OK

    saved = MediaHostSettings.load_file()
    current = saved or MediaHostSettings.load()
    if current is None:
        raise UsageError(
            "no media bucket is set up: run `studio accounts media-host set --endpoint URL --bucket NAME`",
            where=Where(field="media-host"),
        )
    settings = current
    source = "file" if saved is not None else "environment (STUDIO_MEDIA_BUCKET)"
    if a.media_host_command == "show":
        doc = _media_host_doc(settings, store, source)
        if a.json:
            _print_json(doc)
        else:
            for label, key in (
                ("endpoint", "endpoint_url"),
                ("bucket", "bucket"),
                ("region", "region"),
                ("prefix", "prefix"),
                ("from", "source"),
            ):
                print(f"{label:<12} {doc[key] if doc[key] is not None else '(AWS S3)'}")
            keys = f"saved (access key {doc['access_key_id']})" if doc["credentials_saved"] else "not saved"
            print(f"{'keys':<12} {keys}")
        return EXIT_OK

    host = S3MediaHost.from_secrets(
        store, settings.endpoint_url, settings.bucket, settings.region, prefix=settings.prefix
    )
    result = host.self_test()
    if a.json:
        _print_json(result)
    else:
        print(f"OK: uploaded, fetched through a presigned URL and deleted a test image in {settings.bucket}.")
    if endpoint_is_private(settings.endpoint_url):
        print(
            f"Warning: {settings.endpoint_url} is a local/private address; Instagram cannot fetch from it.",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_publish(a: argparse.Namespace) -> int:
    from studio.jobs.publish import (
        PublishBlocked,
        default_clients_factory,
        dry_run,
        enqueue_post,
        parse_when,
        read_quota,
        refresh_catalog_links,
        resolve_accounts,
        run_outbox,
    )

    targets = [t.strip() for t in a.to.split(",") if t.strip()]
    at = parse_when(a.at) if a.at else None
    registry = _registry()
    accounts = resolve_accounts(registry, targets, a.account)
    factory = default_clients_factory(registry)
    quota = read_quota(accounts, factory)  # read live, never assumed (publishing.md §1.5)
    # Product tags name Meta's product ids, and only approved products show: look them up first.
    refresh_catalog_links(a.workspace, a.post_id, accounts, factory)
    for platform, q in quota.items():
        if q is not None and not a.json:
            print(
                f"{platform} publishing quota: {q.used} of {q.total} used in the last 24 h", file=sys.stderr
            )
    if a.dry_run:
        report = dry_run(a.workspace, a.post_id, targets, accounts, at=at, quota=quota)
        report["quota"] = {
            k: (None if v is None else {"used": v.used, "total": v.total}) for k, v in quota.items()
        }
        if a.json:
            _print_json(report)
        else:
            _print_findings(report["findings"])
            for t in report["targets"]:
                for reason in t["fallback"]:
                    print(f"  fallback: {reason}")
                for line in t["lines"]:
                    print(line)
        return EXIT_OK if report["ok"] else EXIT_NOTHING
    warnings: list[Any] = []
    try:
        jobs = enqueue_post(
            a.workspace, a.post_id, targets, accounts=accounts, at=at, quota=quota, warnings=warnings
        )
    except PublishBlocked as exc:
        if a.json:
            _print_json(exc.to_dict())
        else:
            _print_findings([f.to_dict() for f in exc.findings])
        return EXIT_NOTHING
    summary = run_outbox(
        a.workspace,
        registry=registry,
        clients_factory=factory,
        wait_s=300.0,
        progress=no_progress if a.json else _progress_bar(sys.stderr, "Publishing"),
    )
    doc = {"jobs": jobs, "warnings": [w.to_dict() for w in warnings], **summary.to_dict()}
    if a.json:
        _print_json(doc)
    else:
        _print_findings(doc["warnings"])
        for job in jobs:
            if job in summary.permalinks:
                print(f"Published {job}: {' '.join(summary.permalinks[job]) or '(no permalink)'}")
            elif job in summary.reconnect:
                print(f"Waiting {job}: {summary.reconnect[job]}")
            else:
                print(f"Queued {job}" + (" (scheduled)" if at else " — see `studio outbox list`"))
    return EXIT_OK if not summary.failed else EXIT_NOTHING


def _print_findings(findings: list[dict[str, Any]]) -> None:
    for f in findings:
        media = f" [{f['media_name'] or f['media_id']}]" if f.get("media_id") else ""
        print(f"{f['severity']:>7} {f['target']}{media}: {f['message']}")


def cmd_outbox(a: argparse.Namespace) -> int:
    from studio.publish.outbox import Outbox, UnknownJob

    with Workspace.open(a.workspace, write=False) as ws, Outbox.open(ws.root) as outbox:
        if a.outbox_command != "list":
            try:
                outbox.state(a.id)
            except UnknownJob:
                raise UsageError(f"No job '{a.id}' in the outbox.", hint="see `studio outbox list`") from None
        if a.outbox_command == "list":
            docs = [j.to_dict() for j in outbox.jobs()]
            if a.json:
                _print_json(docs)
            else:
                if not docs:
                    print("The outbox is empty.")
                for d in docs:
                    extra = " ".join(d["permalinks"]) or (d["last_error"] or d["next_step"] or "")
                    print(f"{d['id']}  {d['state']:<9} {d['target']:<24} {d['post_id']}  {extra}")
            return EXIT_OK
        ok = outbox.retry(a.id) if a.outbox_command == "retry" else outbox.cancel(a.id)
        state = outbox.state(a.id)
        swept = _sweep_after_cancel(outbox) if ok and a.outbox_command == "cancel" else 0
    if a.json:
        _print_json({"id": a.id, "changed": ok, "state": state, "deleted_uploads": swept})
    else:
        print(f"{a.id}: {state}" if ok else f"{a.id}: nothing to do (it is {state})")
        if swept:
            print(f"Deleted {swept} uploaded file(s) of cancelled jobs from the media bucket.")
    return EXIT_OK if ok else EXIT_NOTHING


def _sweep_after_cancel(outbox: Any) -> int:
    """A cancelled job's files leave the media bucket now, when the bucket can be reached; otherwise
    the next publishing run deletes them (nothing is lost either way)."""
    if not outbox.stranded_uploads():
        return 0
    from studio.jobs.publish import default_clients_factory, sweep_stranded_uploads

    try:
        factory = default_clients_factory(_registry())
    except StudioError:
        return 0
    return sweep_stranded_uploads(outbox, getattr(factory, "media_host", None), time.time())


def display_problem() -> str | None:
    """Why a window cannot be shown here, or None. Checked before Qt loads, because Qt's own
    answer to a missing display is an abort with a core dump."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        platform = os.environ.get("QT_QPA_PLATFORM", "")
        if platform.split(":")[0] in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb"):
            return None
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return (
                "no display available: run the studio from a desktop session (or under xvfb-run), "
                "or use the command line (`studio --help`)"
            )
    return None


def _run_gui(workspace: str | None) -> int:
    problem = display_problem()
    if problem:
        print(f"studio: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from studio.ui.app import run_app

    return run_app(workspace)


COMMANDS: dict[tuple[str, str | None], Callable[[argparse.Namespace], int]] = {
    ("init", None): cmd_init,
    ("catalog", "import"): cmd_catalog_import,
    ("catalog", "search"): cmd_catalog_search,
    ("media", "add"): cmd_media_add,
    ("media", "relink"): cmd_media_relink,
    ("tag", "add"): cmd_tag_add,
    ("tag", "list"): cmd_tag_list,
    ("info", None): cmd_info,
    ("presets", None): cmd_presets,
    ("export", None): cmd_export,
    ("post", "create"): cmd_post_create,
    ("accounts", "list"): cmd_accounts_list,
    ("accounts", "connect"): cmd_accounts_connect,
    ("accounts", "disconnect"): cmd_accounts_disconnect,
    ("accounts", "media-host"): cmd_accounts_media_host,
    ("publish", None): cmd_publish,
    ("outbox", "list"): cmd_outbox,
    ("outbox", "retry"): cmd_outbox,
    ("outbox", "cancel"): cmd_outbox,
}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    wants_json = "--json" in args_list
    try:
        args = build_parser().parse_args(args_list)
        if args.self_test:
            from studio.commands.self_test import run_self_test

            return run_self_test()
        if args.command is None:
            return _run_gui(None)
        if args.command == "open":
            return _run_gui(args.workspace)
        func = getattr(args, "_func", None)
        if func is not None:
            return int(func(args))
        sub = getattr(args, f"{args.command}_command", None)
        return COMMANDS[(args.command, sub)](args)
    except StudioError as exc:
        return _report_error(exc, wants_json)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def _report_error(exc: StudioError, wants_json: bool) -> int:
    from studio.core.errors import InputError, WorkspaceError

    if wants_json:
        _print_json(exc.to_dict())
    print(f"studio: {exc.message()}", file=sys.stderr)
    return EXIT_USAGE if isinstance(exc, UsageError | InputError | WorkspaceError) else EXIT_NOTHING
