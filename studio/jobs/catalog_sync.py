"""The catalog sync as a job: pick the account and catalog, build the client, run the engine.

Shared by `studio catalog sync` and the GUI's sync panel (which runs `run_sync` in a worker with a
progress callback and a cancel token). The engine itself is `studio.publish.catalog_sync`; this
module only resolves *which* catalog:

- **Meta**: `--catalog ID`, else the account's remembered `extra["catalog_id"]`, else the first
  catalog the Instagram account can tag from (`GET /{ig-user}/available_catalogs`, §1.6). The token is
  the account's (an Instagram account's Facebook-Login user token, or a Page token); it needs
  `catalog_management` on the catalog's business (UNCONFIRMED which token kinds Meta accepts for
  `items_batch`; a refusal surfaces as "a permission is missing").
- **Pinterest**: the token user's retail catalog (or `--catalog ID`: the vertical batch form), per
  country and language (`--country`, `--language`; default the workspace's locale).

The workspace is opened read-only: a sync writes only `sync.sqlite`, so it may run while the GUI
holds the workspace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import UsageError, Where
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.sync_state import SyncState
from studio.core.workspace import Workspace
from studio.publish.accounts import Account, AccountRegistry
from studio.publish.catalog_sync import CatalogClient, CatalogSync, SyncReport

log = logging.getLogger(__name__)

SYNC_PLATFORMS = ("meta", "pinterest")
#: Client-side spacing (calls/s, burst) of catalog calls. Meta: the publishing default (2/s) is for
#: posts; catalog batches are few and large and governed by the catalog BUC budget, which ApiSession
#: reads from X-Business-Use-Case-Usage and honours (pause at ≥ 90 %, `estimated_time_to_regain_access`),
#: so the spacing is looser. Pinterest: catalogs_write is 100/min on Standard access (UNCONFIRMED,
#: publishing.md §4.6) — 1.5/s stays under it.
CATALOG_RATES: dict[str, tuple[float, int]] = {"meta": (5.0, 20), "pinterest": (1.5, 10)}
META_ACCOUNT_PLATFORMS = ("instagram", "facebook")


@dataclass(slots=True)
class SyncTarget:
    """Where a sync goes: the platform, the account used, the catalog (and locale for Pinterest)."""

    platform: str
    account: Account
    catalog_id: str | None
    country: str = "US"
    language: str = "en"

    def describe(self) -> str:
        where = f"catalog {self.catalog_id}" if self.catalog_id else "the default catalog"
        extra = f" ({self.country}, {self.language})" if self.platform == "pinterest" else ""
        return f"{self.account.name} → {where}{extra}"


def default_locale(ws: Workspace) -> tuple[str, str]:
    """(country, language) from the workspace locale `en_US` → ("US", "en")."""
    lang, _, country = (ws.project.locale or "en_US").replace("-", "_").partition("_")
    return (country or "US").upper(), (lang or "en").lower()


def pick_account(registry: AccountRegistry, platform: str, name: str | None) -> Account:
    """The named account (it must belong to `platform`), else the first connected one."""
    if platform not in SYNC_PLATFORMS:
        raise UsageError(f"cannot sync to '{platform}'", hint="use --to meta or --to pinterest")
    wanted = META_ACCOUNT_PLATFORMS if platform == "meta" else ("pinterest",)
    if name:
        account = registry.get(name)
        if account.platform not in wanted:
            raise UsageError(
                f"account '{account.name}' is a {account.platform} account, not a {platform} one",
                where=Where(field="--account"),
                hint=f"pick a {'/'.join(wanted)} account (see `studio accounts list`)",
            )
        return account
    for plat in wanted:
        found = registry.list(plat)
        if found:
            return found[0]
    raise UsageError(
        f"no {platform} account is connected",
        hint=f"connect one with `studio accounts connect {wanted[0]}`",
    )


def build_client(
    platform: str,
    registry: AccountRegistry,
    *,
    account: str | None = None,
    catalog_id: str | None = None,
    country: str = "US",
    language: str = "en",
    session_kwargs: Mapping[str, Any] | None = None,
) -> tuple[CatalogClient, SyncTarget]:
    """A ready client (fresh token, resolved catalog) and the target it points at."""
    from studio.publish.http import RateLimiter, make_session
    from studio.publish.oauth import TokenRefresher

    acc = pick_account(registry, platform, account)
    extra = dict(session_kwargs or {})
    if "limiter" not in extra:
        rate, burst = CATALOG_RATES[platform]
        extra["limiter"] = RateLimiter(rate, burst, sleep=extra.get("sleep", time.sleep))
    session = make_session(
        "meta" if platform == "meta" else "pinterest", sandbox=acc.sandbox, account=acc.name, **extra
    )
    app = registry.secrets.app_credentials(acc.platform)
    refresher = None
    if app is not None and acc.platform != "facebook":  # Page tokens do not expire
        refresher = TokenRefresher(acc.platform, session, client_id=app[0], client_secret=app[1])
    token = registry.fresh_tokens(acc, refresher).access_token
    if platform == "meta":
        from studio.publish.meta_catalog import MetaCatalogClient

        chosen = catalog_id or str(acc.extra.get("catalog_id") or "") or None
        if chosen is None and acc.platform == "instagram":
            from studio.publish.instagram import InstagramClient

            catalogs = InstagramClient(session, acc.remote_id, token).available_catalogs()
            if catalogs:
                chosen = str(catalogs[0].get("catalog_id") or "") or None
        if not chosen:
            raise UsageError(
                f"no Commerce catalog is known for {acc.name}",
                where=Where(field="--catalog"),
                hint="give the catalog id with --catalog ID (Commerce Manager → Settings → Catalog)",
            )
        client: CatalogClient = MetaCatalogClient(session, chosen, token)
        return client, SyncTarget("meta", acc, chosen)
    from studio.publish.pinterest_catalog import PinterestCatalogClient

    reads = dict(extra)
    if "limiter" not in (session_kwargs or {}):  # catalogs_read has its own budget (§4.6)
        rate, burst = CATALOG_RATES[platform]
        reads["limiter"] = RateLimiter(rate, burst, sleep=extra.get("sleep", time.sleep))
    read_session = make_session("pinterest", sandbox=acc.sandbox, account=acc.name, **reads)
    pin = PinterestCatalogClient(
        session,
        token,
        country=country,
        language=language,
        catalog_id=catalog_id,
        read_session=read_session,
    )
    return pin, SyncTarget("pinterest", acc, catalog_id, pin.country, pin.language)


def run_sync(
    workspace: Path | str,
    platform: str,
    *,
    registry: AccountRegistry,
    account: str | None = None,
    catalog_id: str | None = None,
    country: str | None = None,
    language: str | None = None,
    dry_run: bool = False,
    confirm_deletes: bool = False,
    session_kwargs: Mapping[str, Any] | None = None,
    engine_kwargs: Mapping[str, Any] | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> SyncReport:
    """Sync the workspace's catalog to `platform` ("meta" | "pinterest"); see the module docstring.

    `engine_kwargs` go to `CatalogSync` (poll intervals, batch size, sleep — tests and benchmarks).
    Raises `UsageError` (no account / catalog), `PublishError` (the platform), `Cancelled`.
    """
    with Workspace.open(workspace, write=False) as ws:
        ws_country, ws_language = default_locale(ws)
        client, target = build_client(
            platform,
            registry,
            account=account,
            catalog_id=catalog_id,
            country=country or ws_country,
            language=language or ws_language,
            session_kwargs=session_kwargs,
        )
        catalog = ws.catalog
        total = max(catalog.count(), catalog.variant_count())
        log.info("catalog sync to %s (%s)%s", platform, target.describe(), " — dry run" if dry_run else "")
        with SyncState.for_workspace(ws.root) as state:
            engine = CatalogSync(
                client,
                state,
                project=ws.project,
                country=target.country,
                language=language or ws_language,
                **dict(engine_kwargs or {}),
            )
            try:
                return engine.run(
                    catalog.all(),
                    total=total,
                    dry_run=dry_run,
                    confirm_deletes=confirm_deletes,
                    progress=progress,
                    cancel=cancel,
                )
            finally:
                catalog.close_thread()
