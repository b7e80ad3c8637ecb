"""The connected accounts: a small JSON registry in the app data folder; their secrets in the SecretStore.

Why split: the registry (names, kinds, remote ids, sandbox flag) is shown in lists, exported in
diagnostics and read by the checker without unlocking anything; tokens are fetched from the keyring
only when a call is made. `connect()` writes the secrets first and the registry second, `disconnect()`
removes the registry entry first and the secrets second, so a crash in between never leaves an
account listed without being able to say "Reconnect <name>" — at worst an orphan secret remains,
which the next connect of the same account overwrites.

The registry refuses to store anything that looks like a secret (keys named like tokens, or any
value the redactor knows as a secret).
"""

from __future__ import annotations

import builtins
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from studio.core.app_settings import data_dir
from studio.core.atomic import atomic_write_text
from studio.core.errors import UsageError
from studio.publish.errors import ReconnectNeeded
from studio.publish.oauth import REFRESH_MARGIN, TokenSet, ensure_fresh
from studio.publish.redact import redact
from studio.publish.secrets import SecretStore

AccountKind = Literal["ig_business", "fb_page", "pinterest"]
KIND_PLATFORM: dict[str, str] = {
    "ig_business": "instagram",  # Instagram API with Facebook Login (through a Page; product tags)
    "ig_login": "instagram",  # Instagram API with Instagram Login (no Page; no product tags)
    "fb_page": "facebook",
    "pinterest": "pinterest",
}
ACCOUNTS_FILE_NAME = "accounts.json"
_SECRETISH_KEY = re.compile(r"token|secret|password|passphrase|verifier", re.IGNORECASE)


@dataclass(slots=True)
class Account:
    """One connected destination: an Instagram business account, a Facebook Page or a Pinterest user."""

    id: str  # stable local id: "<platform>-<remote_id>[-sandbox]"; also the keyring key part
    platform: str  # instagram | facebook | pinterest
    name: str  # unique (case-insensitive), what the user types in `--account NAME`
    kind: str  # AccountKind
    remote_id: str  # IG user id / Page id / Pinterest user id
    sandbox: bool = False  # Pinterest: publish to api-sandbox.pinterest.com (Trial-access apps)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. username, page_id linked to an IG account

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "name": self.name,
            "kind": self.kind,
            "remote_id": self.remote_id,
            "sandbox": self.sandbox,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Account:
        return cls(
            id=str(doc["id"]),
            platform=str(doc["platform"]),
            name=str(doc["name"]),
            kind=str(doc["kind"]),
            remote_id=str(doc["remote_id"]),
            sandbox=bool(doc.get("sandbox", False)),
            extra=dict(doc.get("extra") or {}),
        )


def account_id_for(platform: str, remote_id: str, *, sandbox: bool = False) -> str:
    return f"{platform}-{remote_id}" + ("-sandbox" if sandbox else "")


def _check_no_secrets(value: Any, path: str = "extra") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if _SECRETISH_KEY.search(str(key)):
                raise ValueError(f"{path}.{key}: secrets belong in the SecretStore, not the account registry")
            _check_no_secrets(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_no_secrets(item, f"{path}[{i}]")


class AccountRegistry:
    """`accounts.json` in the app data folder + the account secrets in a `SecretStore`."""

    def __init__(self, secrets: SecretStore, path: Path | None = None) -> None:
        self.secrets = secrets
        self.path = Path(path) if path is not None else data_dir() / ACCOUNTS_FILE_NAME
        self._lock = threading.RLock()

    # -- storage -----------------------------------------------------------------------------------

    def _load(self) -> list[Account]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise UsageError(
                f"The accounts list {self.path} cannot be read ({type(exc).__name__}).",
                hint="Restore accounts.json.bak next to it, or delete it and reconnect the accounts.",
            ) from None
        items = doc.get("accounts", []) if isinstance(doc, dict) else []
        return [Account.from_dict(item) for item in items if isinstance(item, dict)]

    @staticmethod
    def _serialize(accounts: list[Account]) -> str:
        doc = {"version": 1, "accounts": [a.to_dict() for a in accounts]}
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if redact(text) != text:  # a known secret (or a token-shaped value) slipped into a field
            raise ValueError("refusing to write a secret into the account registry")
        return text

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, text)

    def _save(self, accounts: list[Account]) -> None:
        self._write(self._serialize(accounts))

    # -- queries -------------------------------------------------------------------------------------

    def list(self, platform: str | None = None) -> list[Account]:
        """Every connected account (optionally of one platform), in connection order."""
        with self._lock:
            accounts = self._load()
        return [a for a in accounts if platform is None or a.platform == platform]

    def __iter__(self) -> Iterator[Account]:
        return iter(self.list())

    def find(self, name_or_id: str) -> Account | None:
        wanted = name_or_id.strip().casefold()
        for account in self.list():
            if account.id.casefold() == wanted or account.name.casefold() == wanted:
                return account
        return None

    def get(self, name_or_id: str) -> Account:
        """The account named (or with id) `name_or_id`, case-insensitive; else `UsageError` listing names."""
        account = self.find(name_or_id)
        if account is None:
            names = ", ".join(a.name for a in self.list()) or "none connected yet"
            raise UsageError(
                f"No connected account named '{name_or_id}'.",
                hint=f"Known accounts: {names}. Connect one with `studio accounts connect PLATFORM`.",
            )
        return account

    # -- changes -------------------------------------------------------------------------------------

    def connect(
        self,
        *,
        platform: str,
        kind: str,
        remote_id: str,
        name: str,
        tokens: TokenSet,
        sandbox: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Account:
        """Add (or reconnect) an account: secrets to the SecretStore first, then the registry entry.

        Reconnecting the same remote account keeps its entry (and name) and replaces its tokens.
        A new account whose name is taken gets " (2)", " (3)", … appended.
        """
        if kind not in KIND_PLATFORM or KIND_PLATFORM[kind] != platform:
            raise ValueError(f"kind {kind!r} does not belong to platform {platform!r}")
        extra = dict(extra or {})
        _check_no_secrets(extra)
        account_id = account_id_for(platform, remote_id, sandbox=sandbox)
        with self._lock:
            accounts = self._load()
            existing = next((a for a in accounts if a.id == account_id), None)
            if existing is not None:
                existing.extra.update(extra)
                account = existing
            else:
                account = Account(
                    id=account_id,
                    platform=platform,
                    name=self._unique_name(name.strip() or account_id, accounts),
                    kind=kind,
                    remote_id=str(remote_id),
                    sandbox=sandbox,
                    extra=extra,
                )
                accounts.append(account)
            text = self._serialize(accounts)  # validate before touching the keyring
            self.secrets.save_tokens(platform, account_id, tokens)
            self._write(text)
        return account

    @staticmethod
    def _unique_name(name: str, accounts: builtins.list[Account]) -> str:
        taken = {a.name.casefold() for a in accounts}
        candidate, n = name, 2
        while candidate.casefold() in taken:
            candidate = f"{name} ({n})"
            n += 1
        return candidate

    def rename(self, name_or_id: str, new_name: str) -> Account:
        with self._lock:
            accounts = self._load()
            target = self.get(name_or_id)
            others = [a for a in accounts if a.id != target.id]
            if any(a.name.casefold() == new_name.strip().casefold() for a in others):
                raise UsageError(f"An account named '{new_name}' already exists.")
            for a in accounts:
                if a.id == target.id:
                    a.name = new_name.strip()
                    target = a
            self._save(accounts)
        return target

    def disconnect(self, name_or_id: str) -> Account:
        """Remove the account from the registry, then delete its secrets. Returns what was removed."""
        with self._lock:
            account = self.get(name_or_id)
            self._save([a for a in self._load() if a.id != account.id])
            self.secrets.delete_tokens(account.platform, account.id)
        return account

    # -- tokens --------------------------------------------------------------------------------------

    def tokens(self, account: Account | str) -> TokenSet:
        """The account's tokens; `ReconnectNeeded` if they are missing (keyring wiped, new machine)."""
        acc = account if isinstance(account, Account) else self.get(account)
        tokens = self.secrets.load_tokens(acc.platform, acc.id)
        if tokens is None:
            raise ReconnectNeeded(
                f"Reconnect {acc.name}: its login is not stored on this computer.",
                platform=acc.platform,
                account=acc.name,
            )
        return tokens

    def save_tokens(self, account: Account, tokens: TokenSet) -> None:
        self.secrets.save_tokens(account.platform, account.id, tokens)

    def fresh_tokens(
        self,
        account: Account | str,
        refresher: Callable[[TokenSet], TokenSet] | None,
        *,
        now: float | None = None,
    ) -> TokenSet:
        """The account's tokens, renewed (and stored) first if they expire soon."""
        acc = account if isinstance(account, Account) else self.get(account)
        current = self.tokens(acc)
        fresh = ensure_fresh(
            current,
            time.time() if now is None else now,
            refresher,
            margin=REFRESH_MARGIN.get(acc.platform, 3 * 86400.0),
            account=acc.name,
            platform=acc.platform,
        )
        if fresh is not current:
            self.save_tokens(acc, fresh)
        return fresh
