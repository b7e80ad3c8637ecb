"""Temporary public hosting of media in the user's own S3-compatible bucket.

Instagram (and Facebook's `url=` uploads) never accept file bytes for images: Meta downloads the
image from a public `image_url` when the container is created. Rather than run a server, the studio
uploads each image to the user's bucket (AWS S3, Cloudflare R2, MinIO, …), hands Meta a *presigned*
GET URL that stops working shortly after publishing, and deletes the object afterwards, so nothing
stays public and the bucket itself can stay private.

Credentials come from the `SecretStore` (the caller reads them and passes them in); this module never
persists them. botocore's own retry (standard mode, 3 attempts) is kept on purpose: S3 PUT/DELETE of a
fixed key are idempotent, so a retry can never duplicate anything.
"""

from __future__ import annotations

import io
import ipaddress
import mimetypes
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

import boto3
import requests
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError
from PIL import Image

from studio.publish.errors import PublishError, ReconnectNeeded
from studio.publish.redact import register_secret

#: SigV4 presigned URLs cannot live longer than 7 days.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
#: Long enough for Meta to fetch the media and process a container, short enough not to linger.
DEFAULT_PRESIGN_SECONDS = 3600

_AUTH_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken"}
)


class SecretGetter(Protocol):
    """What this module needs of `studio.publish.secrets.SecretStore` (kept structural: no keyring here)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


def credential_key(name: str, kind: str) -> str:
    """Keyring key of a media bucket credential (`kind`: "access_key_id" or "secret_access_key")."""
    return f"media_host:{name}:{kind}"


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def check_bucket_settings(endpoint_url: str | None, bucket: str, region: str, prefix: str) -> list[str]:
    """Plain mistakes in the settings, each named (empty when fine); checked before anything is saved."""
    problems: list[str] = []
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                f"endpoint {endpoint_url!r} is not an http(s) URL (e.g. https://<id>.r2.cloudflarestorage.com)"
            )
        elif parts.path not in ("", "/") or parts.query:
            problems.append(f"endpoint {endpoint_url!r} must not contain a path (give the bucket on its own)")
    if not _BUCKET_NAME.match(bucket or "") or ".." in bucket:
        problems.append(
            f"bucket {bucket!r} is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)"
        )
    if not re.match(r"^[a-z0-9\-]{2,32}$", region or ""):
        problems.append(f"region {region!r} does not look like an S3 region (e.g. us-east-1, auto)")
    if prefix.startswith("/") or ".." in prefix.split("/"):
        problems.append(f"prefix {prefix!r} must be a relative key prefix (e.g. shoppable-studio/)")
    return problems


def endpoint_is_private(endpoint_url: str | None) -> bool:
    """True for localhost/private-network endpoints: they work for a test here, but Meta cannot reach them."""
    host = urlsplit(endpoint_url or "").hostname or ""
    if not host:
        return False
    if host == "localhost" or host.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local


def _tiny_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 255, 255)).save(buf, "JPEG")
    return buf.getvalue()


class MediaHostError(PublishError):
    """The bucket refused or could not be reached. `retryable` is True for throttling/5xx/network."""

    default_hint = "Check the media bucket settings (Settings → Accounts → Media hosting)."


def _wrap(exc: Exception, what: str) -> PublishError:
    """Translate botocore's many exception types into the app's `PublishError` family."""
    if isinstance(exc, NoCredentialsError):
        return ReconnectNeeded(f"{what}: no credentials for the media bucket", platform="s3")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = str(err.get("Message") or code or "error")
        if code in _AUTH_CODES or status in (401, 403):
            return ReconnectNeeded(
                f"{what}: the media bucket refused the credentials ({code}: {message})",
                platform="s3",
                status=status,
                hint="Check the access key, secret and bucket permissions in Settings → Accounts.",
            )
        retryable = bool(status and (status >= 500 or status == 429)) or code in {
            "SlowDown",
            "RequestTimeout",
        }
        return MediaHostError(f"{what}: {code}: {message}", platform="s3", status=status, retryable=retryable)
    if isinstance(exc, EndpointConnectionError | BotoCoreError):
        return MediaHostError(f"{what}: {exc}", platform="s3", retryable=True)
    return MediaHostError(f"{what}: {exc}", platform="s3")


class S3MediaHost:
    """Upload, presign and delete objects under `prefix` in one bucket.

    `endpoint_url` is None for AWS itself; any S3-compatible endpoint (R2, MinIO, a moto server in
    tests) otherwise, in which case path-style addressing is used because such endpoints rarely have
    wildcard DNS for virtual-host buckets.
    """

    def __init__(
        self,
        endpoint_url: str | None,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        *,
        prefix: str = "shoppable-studio/",
        client: Any = None,
    ) -> None:
        if not bucket:
            raise ValueError("bucket is required")
        register_secret(secret_key)  # never let the secret reach a log line or an exception text
        self.endpoint_url = endpoint_url or None
        self.bucket = bucket
        self.region = region or "us-east-1"
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if self.endpoint_url else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=120,
        )
        self._client: Any = client or boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=self.region,
            config=config,
        )

    @classmethod
    def from_secrets(
        cls,
        secrets: SecretGetter,
        endpoint_url: str | None,
        bucket: str,
        region: str = "us-east-1",
        *,
        name: str = "default",
        prefix: str = "shoppable-studio/",
    ) -> S3MediaHost:
        """A host whose keys come from the `SecretStore` (endpoint, bucket and region are plain settings)."""
        access = secrets.get(credential_key(name, "access_key_id"))
        secret = secrets.get(credential_key(name, "secret_access_key"))
        if not access or not secret:
            raise MediaHostError(
                f"No credentials are saved for the media bucket {name!r}",
                platform="s3",
                hint="Enter the bucket's access key and secret in Settings → Accounts → Media hosting.",
            )
        return cls(endpoint_url, bucket, access, secret, region, prefix=prefix)

    @staticmethod
    def save_credentials(
        secrets: SecretGetter, access_key: str, secret_key: str, *, name: str = "default"
    ) -> None:
        """Store the bucket keys in the `SecretStore` (never in settings or the workspace)."""
        secrets.set(credential_key(name, "access_key_id"), access_key)
        secrets.set(credential_key(name, "secret_access_key"), secret_key)

    # --- single operations -------------------------------------------------------------------------

    def new_key(self, path: str | Path) -> str:
        """A fresh, unguessable key that keeps the file's extension (Meta sniffs it for the type)."""
        suffix = Path(path).suffix.lower()
        return f"{self.prefix}{uuid.uuid4().hex}{suffix}"

    def upload(self, path: str | Path, content_type: str | None = None, *, key: str | None = None) -> str:
        """Upload the file at `path` and return its key.

        Pass `key` to make a resumed upload overwrite the same object (the outbox records the key
        before uploading) instead of leaving an orphan behind. Large files go up as multipart.
        """
        source = Path(path)
        if not source.is_file():
            raise MediaHostError(f"Cannot upload {source}: no such file", platform="s3")
        ctype = content_type or mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        target = key or self.new_key(source)
        what = f"Uploading {source.name} to bucket {self.bucket}"
        try:
            self._client.upload_file(str(source), self.bucket, target, ExtraArgs={"ContentType": ctype})
        except S3UploadFailedError as exc:  # the transfer manager hides the ClientError in the context
            cause = exc.__context__ if isinstance(exc.__context__, ClientError | BotoCoreError) else exc
            raise _wrap(cause, what) from None
        except (ClientError, BotoCoreError) as exc:
            raise _wrap(exc, what) from None
        return target

    def presigned_url(self, key: str, expires_in: int = DEFAULT_PRESIGN_SECONDS) -> str:
        """A GET URL anyone (Meta's fetcher) can use for `expires_in` seconds; no network call."""
        if not 1 <= int(expires_in) <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_in must be 1..{MAX_PRESIGN_SECONDS} seconds, got {expires_in}")
        try:
            url: str = self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=int(expires_in)
            )
        except (ClientError, BotoCoreError) as exc:
            raise _wrap(exc, f"Signing a URL for {key}") from None
        return url

    def exists(self, key: str) -> bool:
        """True if the object is still there (lets a resumed publish skip a re-upload)."""
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise _wrap(exc, f"Checking {key}") from None
        except BotoCoreError as exc:
            raise _wrap(exc, f"Checking {key}") from None
        return True

    def delete(self, key: str) -> None:
        """Delete the object; deleting a missing key is not an error (S3 semantics, safe to repeat)."""
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _wrap(exc, f"Deleting {key}") from None

    # --- scoped hosting ----------------------------------------------------------------------------

    @contextmanager
    def temporary(self, *, keep_on_error: bool = False) -> Iterator[TemporaryUploads]:
        """Uploads made through the yielded object are deleted when the block ends.

        `keep_on_error=True` keeps them when the block raises, for a caller (the outbox) that will
        retry the remaining steps with the same URLs; by default everything is cleaned up.
        """
        uploads = TemporaryUploads(self)
        try:
            yield uploads
        except BaseException:
            if not keep_on_error:
                uploads.cleanup()
            raise
        uploads.cleanup()

    # --- checking the settings --------------------------------------------------------------------

    def self_test(self, *, timeout: float = 20.0) -> dict[str, Any]:
        """Upload a 1x1 JPEG, fetch it through its presigned URL, delete it, check it is gone.

        The same three things publishing needs, in that order, so a wrong key, bucket, region or
        endpoint shows up here (with the failing step named) instead of halfway through a publish.
        The test object is deleted even when the fetch fails. Returns what was checked.
        """
        data = _tiny_jpeg()
        with tempfile.TemporaryDirectory(prefix="studio-s3-test-") as tmp:
            sample = Path(tmp) / "studio-test.jpg"
            sample.write_bytes(data)
            key = self.upload(sample, "image/jpeg")
        try:
            url = self.presigned_url(key, 300)
            try:
                got = requests.get(url, timeout=timeout)
            except requests.RequestException as exc:
                raise MediaHostError(
                    f"The test image was uploaded to bucket {self.bucket}, but its presigned URL could "
                    f"not be fetched ({type(exc).__name__})",
                    platform="s3",
                    hint="Check the endpoint URL: it must be reachable over the internet for Instagram.",
                ) from None
            if got.status_code != 200 or got.content != data:
                raise MediaHostError(
                    f"The test image was uploaded to bucket {self.bucket}, but fetching it through a "
                    f"presigned URL gave HTTP {got.status_code}"
                    + ("" if got.status_code != 200 else " with different bytes"),
                    platform="s3",
                    status=got.status_code,
                    hint="Check the region (R2 uses 'auto') and that the endpoint serves presigned GETs.",
                )
        finally:
            self.delete(key)
        try:
            still_there = self.exists(key)
        except ReconnectNeeded:  # a key allowed to put/get/delete but not to HEAD: nothing to conclude
            still_there = False
        if still_there:
            raise MediaHostError(
                f"The test image {key} could not be deleted from bucket {self.bucket}",
                platform="s3",
                hint="The key needs s3:DeleteObject permission (images are removed after publishing).",
            )
        return {
            "bucket": self.bucket,
            "endpoint_url": self.endpoint_url,
            "uploaded": True,
            "fetched": True,
            "deleted": True,
            "bytes": len(data),
            "private_endpoint": endpoint_is_private(self.endpoint_url),
        }

    def __repr__(self) -> str:  # never show credentials
        return (
            f"S3MediaHost(endpoint_url={self.endpoint_url!r}, bucket={self.bucket!r}, prefix={self.prefix!r})"
        )


class TemporaryUploads:
    """The uploads of one publish; `cleanup()` deletes them all (also usable as a context manager)."""

    def __init__(self, host: S3MediaHost) -> None:
        self.host = host
        self.keys: list[str] = []
        self.cleanup_errors: list[PublishError] = []

    def upload(
        self,
        path: str | Path,
        content_type: str | None = None,
        *,
        key: str | None = None,
        expires_in: int = DEFAULT_PRESIGN_SECONDS,
    ) -> str:
        """Upload `path` and return its presigned URL (the key is remembered for cleanup)."""
        stored = self.host.upload(path, content_type, key=key)
        self.keys.append(stored)
        return self.host.presigned_url(stored, expires_in)

    def cleanup(self) -> None:
        """Delete every upload; failures are collected, not raised, so one bad delete loses nothing."""
        while self.keys:
            key = self.keys.pop()
            try:
                self.host.delete(key)
            except PublishError as exc:
                self.cleanup_errors.append(exc)

    def __enter__(self) -> TemporaryUploads:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()
