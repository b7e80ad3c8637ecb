"""Shared set-up for the insights tests: a workspace, connected accounts and a seeded outbox history.

Seeding the history (instead of publishing through the fakes) keeps these tests to a second: the
publishing path has its own end-to-end tests; what matters here is that the pull reads the same
records publishing writes — one job per post × platform whose publish step recorded the remote id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from studio.core.workspace import Workspace
from studio.publish.accounts import AccountRegistry
from studio.publish.oauth import TokenSet
from studio.publish.outbox import Outbox
from studio.publish.plan import PublishPlan, Step
from studio.publish.secrets import EncryptedFileStore, SecretStore

STEP = {
    "instagram": ("ig.publish", "media_id"),
    "facebook": ("fb.publish", "post_id"),
    "pinterest": ("pin.publish", "pin_id"),
}
ACCOUNT = {"instagram": "Shop IG", "facebook": "Shop Page", "pinterest": "Shop Pins"}


@dataclass
class Published:
    post_id: str
    platform: str
    target: str
    remote_id: str
    at: datetime
    products: list[str] = field(default_factory=list)


def make_workspace(root: Path) -> Path:
    Workspace.create(root, name="Oda et Lune", currency="EUR").close()
    return root


def make_registry(
    graph: Any, pinterest: Any, folder: Path, *, passphrase: str = "test-passphrase"
) -> AccountRegistry:
    store = SecretStore(EncryptedFileStore(passphrase, folder / "secrets.enc", scrypt_n=2**10))
    reg = AccountRegistry(store, folder / "accounts.json")
    reg.connect(
        platform="instagram",
        kind="ig_business",
        remote_id=graph.ig_user_id,
        name=ACCOUNT["instagram"],
        tokens=TokenSet(graph.user_token, None, None),
        extra={"login": "facebook_login", "page_id": graph.page_id},
    )
    reg.connect(
        platform="facebook",
        kind="fb_page",
        remote_id=graph.page_id,
        name=ACCOUNT["facebook"],
        tokens=TokenSet(graph.page_token, None, None),
    )
    reg.connect(
        platform="pinterest",
        kind="pinterest",
        remote_id="u1",
        name=ACCOUNT["pinterest"],
        tokens=TokenSet(pinterest.access_token, None, None),
    )
    return reg


def seed_history(root: Path, items: list[Published]) -> None:
    """One DONE outbox job per item, completed at `item.at`, with the remote id recorded."""
    for item in items:
        key, id_name = STEP[item.platform]
        plan = PublishPlan(
            post_id=item.post_id,
            platform=item.platform,
            target=item.target,
            account=ACCOUNT[item.platform],
            steps=[Step(key, "publish", "Publish", idempotent=False)],
        )
        ts = item.at.timestamp()
        with Outbox.open(root, clock=lambda ts=ts: ts) as outbox:
            job_id = outbox.enqueue(item.post_id, item.platform, ACCOUNT[item.platform], plan)
            job = outbox.claim(job_id)
            assert job is not None
            outbox.record_step(job_id, key, {id_name: item.remote_id}, worker=job.lease_owner)
            outbox.complete(
                job_id,
                [f"https://example.test/{item.remote_id}"],
                native_products=item.products,
                worker=job.lease_owner,
            )
