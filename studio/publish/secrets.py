"""Where tokens and app secrets live: the OS keyring, or (opt-in) an encrypted file. Never the workspace.

Keys (service ``ShoppableStudio``):

- ``<platform>:<account-id>:access_token`` / ``:refresh_token`` — the account's tokens,
- ``<platform>:<account-id>:token_info`` — expiry times and scopes (JSON; not secret, but it belongs
  with the token it describes and keeps the account registry free of token lifecycle state),
- ``<platform>:app:client_id`` / ``<platform>:app:client_secret`` — the user's own app credentials
  (Instagram and Facebook share the Meta app, stored under ``facebook``).

Why a fallback at all: headless Linux boxes and some containers have no Secret Service. Rather than
silently writing plain text (what many tools do), `SecretStore.open()` raises `SecretsUnavailable`
explaining the options; the user may opt in to `EncryptedFileStore` — Fernet (AES-128-CBC + HMAC)
with a key derived by scrypt from a passphrase they type, in the app data folder, mode 0600,
written atomically. See docs/decisions/0004-tokens-and-keyring.md.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import keyring
import keyring.backend
import keyring.errors
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from studio.core.app_settings import data_dir
from studio.core.atomic import atomic_write_bytes
from studio.publish.errors import SecretsUnavailable
from studio.publish.redact import forget_secret, register_secret

if TYPE_CHECKING:
    from studio.publish.oauth import TokenSet

SERVICE = "ShoppableStudio"
TOKEN_KINDS = ("access_token", "refresh_token", "token_info")
#: Instagram (Facebook Login flavour) and Facebook Pages use one Meta app.
APP_PLATFORM = {"instagram": "facebook", "facebook": "facebook", "meta": "facebook", "pinterest": "pinterest"}
SECRETS_FILE_NAME = "secrets.enc"

_UNAVAILABLE_HINT = (
    "Install or unlock a keyring (GNOME Keyring / KWallet via Secret Service on Linux; Keychain on "
    "macOS and Credential Locker on Windows work out of the box), or opt in to the encrypted secrets "
    "file: Settings → Accounts → 'Store secrets in an encrypted file' (CLI: set "
    "STUDIO_SECRETS_PASSPHRASE or pass --secrets-file)."
)


def token_key(platform: str, account_id: str, kind: str = "access_token") -> str:
    """Keyring key for one of an account's tokens."""
    return f"{platform}:{account_id}:{kind}"


def app_key(platform: str, kind: str = "client_secret") -> str:
    """Keyring key for the user's app credentials (`client_id` / `client_secret`)."""
    return f"{APP_PLATFORM.get(platform, platform)}:app:{kind}"


class SecretBackend(Protocol):
    """The three operations a secret store needs; `name` is shown to the user."""

    name: str

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


def keyring_usable(backend: keyring.backend.KeyringBackend | None = None) -> bool:
    """False when keyring fell back to its fail/null backend or a chainer with nothing in it."""
    from keyring.backends import chainer, fail

    kr = backend if backend is not None else keyring.get_keyring()
    if isinstance(kr, fail.Keyring):
        return False
    if type(kr).__module__ == "keyring.backends.null":
        return False  # accepts writes and forgets them: worse than failing
    if isinstance(kr, chainer.ChainerBackend):
        return bool(kr.backends)
    return True


class KeyringSecrets:
    """`SecretBackend` over a `keyring` backend (the OS keyring by default)."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._kr = backend if backend is not None else keyring.get_keyring()
        self.service = service
        self.name = f"keyring ({getattr(self._kr, 'name', type(self._kr).__name__)})"

    def get(self, key: str) -> str | None:
        try:
            return self._kr.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(
                f"The keyring could not be read: {exc}", hint=_UNAVAILABLE_HINT
            ) from None

    def set(self, key: str, value: str) -> None:
        try:
            self._kr.set_password(self.service, key, value)
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(
                f"The keyring refused to save a secret: {exc}", hint=_UNAVAILABLE_HINT
            ) from None

    def delete(self, key: str) -> None:
        try:
            self._kr.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored under that key: already gone is what the caller wanted
        except keyring.errors.KeyringError as exc:
            raise SecretsUnavailable(f"The keyring refused to delete a secret: {exc}") from None


class EncryptedFileStore:
    """Opt-in secret file: Fernet with a scrypt-derived key; 0600; atomic writes; app data folder only.

    File format (JSON): ``{"version": 1, "kdf": "scrypt", "n": …, "r": …, "p": …, "salt": b64,
    "data": <Fernet token of the JSON dict of secrets>}``. A wrong passphrase raises `SecretsUnavailable`.
    """

    SCRYPT_N = 2**15
    SCRYPT_R = 8
    SCRYPT_P = 1

    def __init__(self, passphrase: str, path: Path | None = None, *, scrypt_n: int | None = None) -> None:
        if not passphrase:
            raise SecretsUnavailable("The encrypted secrets file needs a passphrase.")
        self.path = Path(path) if path is not None else data_dir() / SECRETS_FILE_NAME
        self.name = f"encrypted file ({self.path})"
        self._lock = threading.Lock()
        self._n = scrypt_n or self.SCRYPT_N
        self._salt: bytes
        self._data: dict[str, str]
        if self.path.exists():
            self._salt, self._data, self._n = self._load(passphrase)
        else:
            self._salt = os.urandom(16)
            self._data = {}
        self._fernet = Fernet(self._derive(passphrase, self._salt, self._n))
        del passphrase

    @staticmethod
    def _derive(passphrase: str, salt: bytes, n: int) -> bytes:
        kdf = Scrypt(salt=salt, length=32, n=n, r=EncryptedFileStore.SCRYPT_R, p=EncryptedFileStore.SCRYPT_P)
        return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))

    def _load(self, passphrase: str) -> tuple[bytes, dict[str, str], int]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            salt = base64.b64decode(doc["salt"])
            n = int(doc.get("n", self.SCRYPT_N))
            token = doc["data"].encode("ascii")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SecretsUnavailable(
                f"The encrypted secrets file {self.path} is damaged ({type(exc).__name__}).",
                hint="Move it aside and reconnect the accounts.",
            ) from None
        try:
            plain = Fernet(self._derive(passphrase, salt, n)).decrypt(token)
        except InvalidToken:
            raise SecretsUnavailable(
                "The passphrase does not open the encrypted secrets file.",
                hint="Type the passphrase chosen when the file was created, or move it aside and reconnect.",
            ) from None
        data = json.loads(plain.decode("utf-8"))
        return salt, {str(k): str(v) for k, v in data.items()}, n

    def _save(self) -> None:
        token = self._fernet.encrypt(json.dumps(self._data, sort_keys=True).encode("utf-8"))
        doc = {
            "version": 1,
            "kdf": "scrypt",
            "n": self._n,
            "r": self.SCRYPT_R,
            "p": self.SCRYPT_P,
            "salt": base64.b64encode(self._salt).decode("ascii"),
            "data": token.decode("ascii"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the temp file 0600 and os.replace keeps that mode; chmod again for old files.
        atomic_write_bytes(self.path, json.dumps(doc).encode("utf-8"), keep_backup=False)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value
            self._save()

    def delete(self, key: str) -> None:
        with self._lock:
            if self._data.pop(key, None) is not None:
                self._save()

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._data)


class SecretStore:
    """The app's one door to secrets. Everything read or written is registered for redaction."""

    def __init__(self, backend: SecretBackend) -> None:
        self.backend = backend

    @classmethod
    def open(
        cls,
        *,
        keyring_backend: keyring.backend.KeyringBackend | None = None,
        passphrase: str | None = None,
        file_path: Path | None = None,
        prefer_file: bool = False,
    ) -> SecretStore:
        """The OS keyring if usable; else the encrypted file if the user opted in (gave a passphrase).

        Raises `SecretsUnavailable` with the options when neither is possible.
        """
        if not prefer_file:
            kr = keyring_backend if keyring_backend is not None else keyring.get_keyring()
            if keyring_usable(kr):
                return cls(KeyringSecrets(kr))
        if passphrase:
            return cls(EncryptedFileStore(passphrase, file_path))
        raise SecretsUnavailable(
            "No usable keyring was found to keep account tokens safe.", hint=_UNAVAILABLE_HINT
        )

    @property
    def name(self) -> str:
        return self.backend.name

    def get(self, key: str) -> str | None:
        value = self.backend.get(key)
        register_secret(value)
        return value

    def set(self, key: str, value: str) -> None:
        register_secret(value)
        self.backend.set(key, value)

    def delete(self, key: str) -> None:
        forget = self.backend.get(key)
        self.backend.delete(key)
        forget_secret(forget)

    # -- app credentials -------------------------------------------------------------------------------

    def set_app_credentials(self, platform: str, client_id: str, client_secret: str) -> None:
        self.backend.set(app_key(platform, "client_id"), client_id)
        self.set(app_key(platform, "client_secret"), client_secret)

    def app_credentials(self, platform: str) -> tuple[str, str] | None:
        """(client_id, client_secret) for the platform's app, or None if not entered yet."""
        client_id = self.backend.get(app_key(platform, "client_id"))
        secret = self.get(app_key(platform, "client_secret"))
        return (client_id, secret) if client_id and secret else None

    # -- account tokens --------------------------------------------------------------------------------

    def save_tokens(self, platform: str, account_id: str, tokens: TokenSet) -> None:
        self.set(token_key(platform, account_id, "access_token"), tokens.access_token)
        if tokens.refresh_token:
            self.set(token_key(platform, account_id, "refresh_token"), tokens.refresh_token)
        else:
            self.backend.delete(token_key(platform, account_id, "refresh_token"))
        self.backend.set(token_key(platform, account_id, "token_info"), json.dumps(tokens.info()))

    def load_tokens(self, platform: str, account_id: str) -> TokenSet | None:
        from studio.publish.oauth import TokenSet

        access = self.get(token_key(platform, account_id, "access_token"))
        if not access:
            return None
        refresh = self.get(token_key(platform, account_id, "refresh_token"))
        raw_info = self.backend.get(token_key(platform, account_id, "token_info"))
        info: dict[str, Any] = {}
        if raw_info:
            with contextlib.suppress(ValueError):
                info = json.loads(raw_info)
        return TokenSet.from_info(access, refresh, info)

    def delete_tokens(self, platform: str, account_id: str) -> None:
        for kind in TOKEN_KINDS:
            self.delete(token_key(platform, account_id, kind))
