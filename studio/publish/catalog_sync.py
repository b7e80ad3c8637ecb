"""The catalog sync engine: keep a Meta or Pinterest catalog equal to the studio's, sending only changes.

How a sync runs (state in `studio.core.sync_state`, `<workspace>/sync.sqlite`):

1. **Resume.** Batches left by an earlier run are settled first: one with a handle is *polled* (never
   resent) and applied; one without a handle (the process died or the answer was lost while it was
   being sent) is dropped — its items are compared again below and, if still different, sent again.
   That is safe because the engine only sends idempotent operations (Meta UPDATE with
   `allow_upsert`, Pinterest UPSERT, DELETE on both): see meta_catalog.py / pinterest_catalog.py.
2. **Compare, streaming.** Products are read a page at a time, mapped by
   `studio.core.catalog_fields.map_products` (the one field table per platform) and fingerprinted.
   Items with a blocking local problem are not sent (the problem is stored, mapped to product,
   variant and field); items whose fingerprint equals the confirmed one are skipped; the rest are
   encoded and appended to the current batch, which is sent as soon as it reaches the platform's
   item or byte limit. Memory holds one batch (≤ 5,000 Meta / 1,000 Pinterest items), never the
   catalog.
3. **Send.** A batch is recorded before its request leaves (state `sending`), its handle right after
   (`pending`). Pacing is `ApiSession`'s: the per-account token bucket, `Retry-After` on 429, and the
   usage headers (Meta `X-Business-Use-Case-Usage` / `X-App-Usage`, Pinterest `X-RateLimit-*`).
   At most `max_in_flight` batches are left processing before the engine waits for the oldest.
4. **Deletions** are the confirmed items no longer in the studio's catalog. They are only listed
   unless the caller confirms (`confirm_deletes=True`: CLI `--yes`, GUI confirmation dialog).
5. **Collect.** Pending batches are polled oldest first (backoff from `poll_interval` to
   `max_poll_interval`) and applied: confirmed fingerprints stored, per-item errors stored with
   their product and field.

A dry run does steps 2 and 4 without sending or changing any state, and reports what would be sent.
Cancelling stops between batches; what was sent stays pending and the next run resumes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.core.catalog_fields import api_attributes, fingerprint, map_products
from studio.core.errors import Cancelled
from studio.core.model import Product, Project
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.sync_state import (
    DELETE,
    LOCAL,
    PLATFORM,
    UPSERT,
    Batch,
    SyncItem,
    SyncProblem,
    SyncState,
)
from studio.publish.errors import InvalidRequest, PublishError

log = logging.getLogger(__name__)

CHUNK = 1000  # mapped items compared against the state per SQLite round trip
REPORT_LIMIT = 1000  # ids / problems listed in a report (counts are always complete)


# --- what a platform client gives the engine --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """A platform's verdict on one item: `field` when the platform names it (or it can be read from
    the message), `severity` "error" (the item was not applied) or "warning" (applied)."""

    item_id: str
    field: str | None
    message: str
    severity: str = "error"


@dataclass(slots=True)
class Submitted:
    """The platform took a batch: its handle (Meta) / batch id (Pinterest), errors it reported at
    once, and the request's body size."""

    handle: str
    failures: list[ItemFailure]
    bytes_sent: int


@dataclass(slots=True)
class BatchResult:
    """A poll: `done` once the platform finished; `batch_failed` if the whole batch failed (nothing
    applied); `lost` if the platform no longer knows the handle."""

    done: bool
    failures: list[ItemFailure]
    batch_failed: bool = False
    lost: bool = False
    message: str = ""


class CatalogClient(Protocol):
    """What `MetaCatalogClient` and `PinterestCatalogClient` have in common."""

    platform: str
    max_items: int
    max_bytes: int

    @property
    def scope(self) -> str: ...

    def encode(self, op: str, item_id: str, attributes: dict[str, Any] | None) -> bytes: ...

    def envelope_size(self) -> int: ...

    def submit(self, op: str, fragments: Sequence[bytes]) -> Submitted: ...

    def poll(self, handle: str) -> BatchResult: ...


# --- the report ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class SyncReport:
    """What a sync (or dry run) did; `to_dict()` is the `--json` document."""

    platform: str
    scope: str
    dry_run: bool
    items: int = 0  # items in the studio's catalog for this platform
    sent: int = 0  # items sent for create/update (a dry run: that would be sent)
    created: int = 0  # of those, not confirmed on the platform before
    updated: int = 0
    unchanged: int = 0
    confirmed: int = 0  # items the platform confirmed in this run (incl. resumed batches)
    errors: int = 0  # items the platform rejected in this run
    warnings: int = 0  # platform warnings (items applied)
    blocked: int = 0  # items not sent because of local problems
    local_warnings: int = 0
    deleted: int = 0
    deletions: list[str] = field(default_factory=list)  # ids still to delete (unconfirmed / dry run)
    deletions_total: int = 0
    batches: int = 0
    bytes_sent: int = 0
    resumed: int = 0  # batches of an earlier run polled to their end
    resent: int = 0  # batches of an earlier run whose answer was lost (their items compared again)
    lost: int = 0  # batches the platform forgot (items will be resent by the next sync)
    pending: int = 0  # batches still processing when the run stopped
    would_send: list[str] = field(default_factory=list)  # dry run: the first ids that would be sent
    problems: list[SyncProblem] = field(default_factory=list)
    problems_total: int = 0
    state: str = "done"  # done | cancelled | failed
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "scope": self.scope,
            "dry_run": self.dry_run,
            "state": self.state,
            "items": self.items,
            "sent": self.sent,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "confirmed": self.confirmed,
            "errors": self.errors,
            "warnings": self.warnings,
            "blocked": self.blocked,
            "local_warnings": self.local_warnings,
            "deleted": self.deleted,
            "deletions": list(self.deletions),
            "deletions_total": self.deletions_total,
            "batches": self.batches,
            "bytes_sent": self.bytes_sent,
            "resumed": self.resumed,
            "resent": self.resent,
            "lost": self.lost,
            "pending": self.pending,
            "would_send": list(self.would_send),
            "problems": [p.to_dict() for p in self.problems],
            "problems_total": self.problems_total,
            "seconds": round(self.seconds, 3),
        }

    def counts(self) -> dict[str, Any]:
        """The numbers kept in the run history (no lists)."""
        doc = self.to_dict()
        for key in ("deletions", "would_send", "problems"):
            doc.pop(key)
        return doc


# --- the engine ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Buffer:
    op: str
    items: list[SyncItem] = field(default_factory=list)
    fragments: list[bytes] = field(default_factory=list)
    size: int = 0


class CatalogSync:
    """Sync one platform catalog (`client.scope`) from the studio's products. See the module doc."""

    def __init__(
        self,
        client: CatalogClient,
        state: SyncState,
        *,
        project: Project,
        country: str = "US",
        language: str = "en",
        batch_items: int | None = None,
        max_in_flight: int = 20,
        poll_interval: float = 1.0,
        max_poll_interval: float = 30.0,
        poll_timeout: float = 1800.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.state = state
        self.project = project
        self.country = country
        self.language = language
        self.batch_items = min(batch_items or client.max_items, client.max_items)
        self.max_in_flight = max(1, max_in_flight)
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.poll_timeout = poll_timeout
        self._sleep = sleep
        self._clock = clock
        self.scope = client.scope
        self._early: dict[int, list[ItemFailure]] = {}  # batch id -> failures reported at submission
        #: Halvings allowed per run to isolate the item(s) behind a whole-batch HTTP 400 (about
        #: 2·log2(batch) per bad item; a refusal that is not about items stops after this many).
        self._split_budget = 64
        self._in_flight: list[Batch] = []

    # -- public -----------------------------------------------------------------------------------

    def run(
        self,
        products: Iterable[Product],
        *,
        total: int = 0,
        dry_run: bool = False,
        confirm_deletes: bool = False,
        progress: ProgressFn = no_progress,
        cancel: CancelToken | None = None,
    ) -> SyncReport:
        """Sync `products` (an iterable read lazily, e.g. `CatalogStore.all()`); `total` = expected item
        count for progress (0 if unknown). Raises `Cancelled` (state kept, resumable) or `PublishError`."""
        started = self._clock()
        report = SyncReport(self.client.platform, self.scope, dry_run)
        run_id = self.state.start_run(self.scope, dry_run=dry_run)
        try:
            if dry_run:
                report.pending = len(self.state.batches(self.scope))
            else:
                self._resume(report, progress, cancel)
            self._compare_and_send(products, report, total, dry_run, progress, cancel)
            self._deletions(report, dry_run, confirm_deletes, cancel)
            if not dry_run:
                self._wait_all(report, progress, cancel)
        except Cancelled:
            report.state = "cancelled"
            raise
        except BaseException:
            report.state = "failed"
            raise
        finally:
            report.pending = len(self.state.batches(self.scope)) if not dry_run else report.pending
            report.seconds = self._clock() - started
            if not dry_run:
                report.problems_total = self.state.problem_count(self.scope)
                report.problems = self.state.problems(self.scope, limit=REPORT_LIMIT)
            self.state.finish_run(run_id, report.state, report.counts())
        return report

    # -- 1. resume -------------------------------------------------------------------------------------

    def _resume(self, report: SyncReport, progress: ProgressFn, cancel: CancelToken | None) -> None:
        leftovers = self.state.batches(self.scope)
        if not leftovers:
            return
        for batch in leftovers:
            if batch.handle is None:
                log.info("batch %s of an earlier sync has no handle: its items are compared again", batch.id)
                self.state.drop_batch(batch.id)
                report.resent += 1
            else:
                self._in_flight.append(batch)
        if self._in_flight:
            progress(0, 0, f"Checking {len(self._in_flight)} batch(es) left by the last sync")
            report.resumed += len(self._in_flight)
            self._wait_all(report, progress, cancel)

    # -- 2./3. compare and send -------------------------------------------------------------------------

    def _compare_and_send(
        self,
        products: Iterable[Product],
        report: SyncReport,
        total: int,
        dry_run: bool,
        progress: ProgressFn,
        cancel: CancelToken | None,
    ) -> None:
        platform = self.client.platform
        if not dry_run:
            self.state.clear_local_problems(self.scope)
        self.state.reset_seen()
        buffer = _Buffer(UPSERT, size=self.client.envelope_size())
        chunk: list[Any] = []
        mapped = map_products(
            products, platform, project=self.project, country=self.country, language=self.language
        )

        def flush_chunk() -> None:
            nonlocal buffer
            if cancel is not None:
                cancel.raise_if_cancelled()
            ids = [m.item_id for m in chunk]
            self.state.add_seen(ids)
            known = self.state.fingerprints(self.scope, ids)
            local: list[SyncProblem] = []
            for item in chunk:
                for p in item.problems:
                    local.append(
                        SyncProblem(
                            item.item_id,
                            p.product_id,
                            p.variant_id,
                            p.field,
                            p.message,
                            p.fix,
                            LOCAL,
                            p.severity,
                        )
                    )
                    if p.severity != "error":
                        report.local_warnings += 1
                if not item.ok:
                    report.blocked += 1
                    continue
                fp = fingerprint(item)
                previous = known.get(item.item_id)
                if previous == fp:
                    report.unchanged += 1
                    continue
                report.sent += 1
                if previous is None:
                    report.created += 1
                else:
                    report.updated += 1
                if dry_run:
                    if len(report.would_send) < REPORT_LIMIT:
                        report.would_send.append(item.item_id)
                    continue
                fragment = self.client.encode(UPSERT, item.item_id, api_attributes(item, platform))
                if buffer.items and (
                    len(buffer.items) >= self.batch_items
                    or buffer.size + len(fragment) + 1 > self.client.max_bytes
                ):
                    self._send(buffer, report, cancel)
                    buffer = _Buffer(UPSERT, size=self.client.envelope_size())
                buffer.items.append(SyncItem(item.item_id, item.product_id, item.variant_id, fp))
                buffer.fragments.append(fragment)
                buffer.size += len(fragment) + 1
            if local and not dry_run:
                self.state.add_local_problems(self.scope, local)
            elif local:  # a dry run changes no state: its problems live in the report only
                report.problems_total += len(local)
                report.problems.extend(local[: max(0, REPORT_LIMIT - len(report.problems))])
            chunk.clear()
            progress(report.items, total, f"Compared {report.items:,} items, {report.sent:,} to send")

        for item in mapped:
            report.items += 1
            chunk.append(item)
            if len(chunk) >= CHUNK:
                flush_chunk()
        if chunk:
            flush_chunk()
        if not dry_run:
            self.state.prune_problems(self.scope)
        if buffer.items and not dry_run:
            self._send(buffer, report, cancel)

    def _send(self, buffer: _Buffer, report: SyncReport, cancel: CancelToken | None) -> None:
        """Record, submit and remember one batch; a batch the platform refuses as a whole (HTTP 400) is
        split in halves until the offending item is alone and can be reported with its message."""
        if cancel is not None:
            cancel.raise_if_cancelled()
        while len(self._in_flight) >= self.max_in_flight:
            self._wait_one(self._in_flight[0], report, cancel)
        batch_id = self.state.new_batch(self.scope, buffer.op, buffer.items, size=buffer.size)
        try:
            submitted = self.client.submit(buffer.op, buffer.fragments)
        except InvalidRequest as exc:
            if exc.retryable or exc.status != 400:
                raise  # not about the items (a permission, a feed-fed Pinterest catalog, …): say so
            self.state.drop_batch(batch_id)
            if len(buffer.items) > 1 and self._split_budget > 0:
                self._split_budget -= 1
                half = len(buffer.items) // 2
                for part in ((0, half), (half, len(buffer.items))):
                    piece = _Buffer(
                        buffer.op, buffer.items[part[0] : part[1]], buffer.fragments[part[0] : part[1]]
                    )
                    piece.size = self.client.envelope_size() + sum(len(f) + 1 for f in piece.fragments)
                    self._send(piece, report, cancel)
                return
            # One item (or the split budget is spent: the refusal is not about single items): every
            # item of the piece gets the platform's message; none is confirmed.
            batch_id = self.state.new_batch(self.scope, buffer.op, buffer.items)
            failures = [
                SyncProblem(i.item_id, i.product_id, i.variant_id, exc.field, exc.what, exc.hint, PLATFORM)
                for i in buffer.items
            ]
            self.state.complete_batch(batch_id, failures)
            report.errors += len(failures)
            return
        self.state.batch_sent(batch_id, submitted.handle)
        report.batches += 1
        report.bytes_sent += submitted.bytes_sent
        if submitted.failures:
            self._early[batch_id] = submitted.failures
        self._in_flight.append(
            Batch(batch_id, self.scope, buffer.op, submitted.handle, "pending", self._clock(), buffer.size)
        )

    # -- 4. deletions -------------------------------------------------------------------------------------

    def _deletions(
        self, report: SyncReport, dry_run: bool, confirm: bool, cancel: CancelToken | None
    ) -> None:
        gone = self.state.unseen(self.scope)
        pending_ids = {i.item_id for b in self._in_flight for i in self.state.batch_items(b.id)}
        gone = [g for g in gone if g.item_id not in pending_ids]
        report.deletions_total = len(gone)
        if dry_run or not confirm:
            report.deletions = [g.item_id for g in gone[:REPORT_LIMIT]]
            return
        buffer = _Buffer(DELETE, size=self.client.envelope_size())
        for item in gone:
            fragment = self.client.encode(DELETE, item.item_id, None)
            if buffer.items and (
                len(buffer.items) >= self.batch_items
                or buffer.size + len(fragment) + 1 > self.client.max_bytes
            ):
                self._send(buffer, report, cancel)
                buffer = _Buffer(DELETE, size=self.client.envelope_size())
            buffer.items.append(item)
            buffer.fragments.append(fragment)
            buffer.size += len(fragment) + 1
        if buffer.items:
            self._send(buffer, report, cancel)

    # -- 5. collect ----------------------------------------------------------------------------------------

    def _wait_all(self, report: SyncReport, progress: ProgressFn, cancel: CancelToken | None) -> None:
        delay = self.poll_interval
        deadline = self._clock() + self.poll_timeout
        total = len(self._in_flight)
        while self._in_flight:
            # Oldest first, and a round stops at the first batch still processing: platforms work
            # through a catalog's batches in order, so polling the younger ones would only spend
            # rate-limit budget (they are collected, finished, right after).
            collected = 0
            while self._in_flight and self._poll(self._in_flight[0], report):
                collected += 1
            if not self._in_flight:
                break
            progress(total - len(self._in_flight), total, f"Waiting for {len(self._in_flight)} batch(es)")
            # back off only while nothing moves; a batch that just finished means the next is close
            delay = self.poll_interval if collected else min(delay * 2, self.max_poll_interval)
            self._pause(delay, deadline, cancel)

    def _wait_one(self, batch: Batch, report: SyncReport, cancel: CancelToken | None) -> None:
        delay = self.poll_interval
        deadline = self._clock() + self.poll_timeout
        while not self._poll(batch, report):
            self._pause(delay, deadline, cancel)
            delay = min(delay * 2, self.max_poll_interval)

    def _pause(self, delay: float, deadline: float, cancel: CancelToken | None) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if self._clock() + delay > deadline:
            raise PublishError(
                f"the platform is still processing {len(self._in_flight)} batch(es)",
                platform=self.client.platform,
                retryable=True,
                hint="run the sync again later: it collects these results without sending them again",
            )
        self._sleep(delay)

    def _poll(self, batch: Batch, report: SyncReport) -> bool:
        """Poll one batch; apply it when done. True when it left the in-flight list."""
        assert batch.handle is not None
        result = self.client.poll(batch.handle)
        if not result.done:
            return False
        self._in_flight = [b for b in self._in_flight if b.id != batch.id]
        early = self._early.pop(batch.id, [])
        if result.lost:
            log.warning(
                "batch %s is unknown to the platform (%s): its items are resent next sync",
                batch.id,
                result.message,
            )
            self.state.drop_batch(batch.id)
            report.lost += 1
            return True
        items = {i.item_id: i for i in self.state.batch_items(batch.id)}
        failures: list[SyncProblem] = []
        seen: set[tuple[str, str]] = set()
        if result.batch_failed:
            message = result.message or "the platform failed the whole batch"
            failures = [
                SyncProblem(
                    i.item_id, i.product_id, i.variant_id, None, message, "run the sync again", PLATFORM
                )
                for i in items.values()
            ]
        for f in [*early, *result.failures]:
            item = items.get(f.item_id)
            if item is None or (f.item_id, f.message) in seen:
                if item is None and f.item_id:
                    log.info("platform reported an item not in batch %s: %s", batch.id, f.item_id)
                continue
            seen.add((f.item_id, f.message))
            failures.append(
                SyncProblem(
                    f.item_id,
                    item.product_id,
                    item.variant_id,
                    f.field,
                    f.message,
                    None,
                    PLATFORM,
                    f.severity,
                )
            )
        ok, failed = self.state.complete_batch(batch.id, failures)
        report.warnings += sum(1 for f in failures if f.severity != "error")
        if batch.op == DELETE:
            report.deleted += ok
        else:
            report.confirmed += ok
        report.errors += failed
        return True
