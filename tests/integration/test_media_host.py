"""S3MediaHost against a real S3 protocol server (moto on 127.0.0.1): upload, presign, fetch, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from studio.publish.errors import PublishError, ReconnectNeeded
from studio.publish.media_host import S3MediaHost
from studio.publish.redact import redact
from tests.fakes.s3 import make_jpeg


@pytest.fixture
def host(fake_s3) -> S3MediaHost:  # type: ignore[no-untyped-def]
    return S3MediaHost(
        fake_s3.endpoint_url,
        fake_s3.bucket,
        fake_s3.access_key,
        fake_s3.secret_key,
        fake_s3.region,
        prefix="studio-tests",
    )


@pytest.fixture
def jpeg(tmp_path: Path) -> Path:
    path = tmp_path / "Photo 1.JPG"
    path.write_bytes(make_jpeg((1080, 1350)))
    return path


def test_upload_presign_fetch_delete(host: S3MediaHost, fake_s3, jpeg: Path) -> None:  # type: ignore[no-untyped-def]
    key = host.upload(jpeg, "image/jpeg")
    assert key.startswith("studio-tests/") and key.endswith(".jpg")
    assert fake_s3.exists(key)
    url = host.presigned_url(key, expires_in=600)
    assert "X-Amz-Signature" in url
    fetched = requests.get(url, timeout=10)  # anonymous, as Meta's fetcher would
    assert fetched.status_code == 200
    assert fetched.content == jpeg.read_bytes()
    assert fetched.headers["Content-Type"] == "image/jpeg"
    assert host.exists(key)
    host.delete(key)
    assert not fake_s3.exists(key)
    assert not host.exists(key)
    host.delete(key)  # repeating a delete is harmless (the outbox may resume after a crash)


def test_upload_with_fixed_key_overwrites(host: S3MediaHost, fake_s3, jpeg: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = host.upload(jpeg, key="studio-tests/post-1/0.jpg")
    other = tmp_path / "b.jpg"
    other.write_bytes(make_jpeg((800, 800)))
    second = host.upload(other, key=first)
    assert first == second
    assert fake_s3.keys() == [first]
    assert requests.get(host.presigned_url(first), timeout=10).content == other.read_bytes()


def test_temporary_uploads_are_deleted_after_the_block(host: S3MediaHost, fake_s3, jpeg: Path) -> None:  # type: ignore[no-untyped-def]
    with host.temporary() as uploads:
        url_a = uploads.upload(jpeg, "image/jpeg")
        url_b = uploads.upload(jpeg, "image/jpeg")
        assert len(fake_s3.keys()) == 2
        assert requests.get(url_a, timeout=10).status_code == 200
        assert url_a != url_b
    assert fake_s3.keys() == []
    assert uploads.cleanup_errors == []


def test_temporary_uploads_cleanup_on_error_unless_kept(host: S3MediaHost, fake_s3, jpeg: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), host.temporary() as uploads:
        uploads.upload(jpeg)
        raise RuntimeError("publish failed")
    assert fake_s3.keys() == []
    with pytest.raises(RuntimeError), host.temporary(keep_on_error=True) as uploads:
        uploads.upload(jpeg)
        raise RuntimeError("publish failed, the outbox retries with the same URL")
    assert len(fake_s3.keys()) == 1


def test_presign_expiry_bounds(host: S3MediaHost) -> None:
    with pytest.raises(ValueError):
        host.presigned_url("k", expires_in=0)
    with pytest.raises(ValueError):
        host.presigned_url("k", expires_in=8 * 24 * 3600)


def test_missing_file_and_missing_bucket_are_clear_errors(
    host: S3MediaHost, fake_s3, tmp_path: Path, jpeg: Path
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PublishError, match="no such file"):
        host.upload(tmp_path / "nope.jpg")
    wrong = S3MediaHost(fake_s3.endpoint_url, "no-such-bucket-xyz", fake_s3.access_key, fake_s3.secret_key)
    with pytest.raises(PublishError, match="no-such-bucket-xyz") as info:
        wrong.upload(jpeg)
    assert not isinstance(info.value, ReconnectNeeded)


def test_secret_never_in_repr_or_errors(fake_s3, jpeg: Path) -> None:  # type: ignore[no-untyped-def]
    secret = "s3-secret-Zq8w7e6r5t4y"
    host = S3MediaHost(fake_s3.endpoint_url, "missing-bucket-abc", "AKIATESTKEY", secret)
    assert secret not in repr(host)
    with pytest.raises(PublishError) as info:
        host.upload(jpeg)
    assert secret not in str(info.value)
    assert redact(f"x {secret} y") == "x *** y"


class DictSecrets:
    """The `get`/`set` part of `SecretStore`, in memory."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


def test_credentials_come_from_the_secret_store(fake_s3, jpeg: Path) -> None:  # type: ignore[no-untyped-def]
    store = DictSecrets()
    with pytest.raises(PublishError, match="No credentials"):
        S3MediaHost.from_secrets(store, fake_s3.endpoint_url, fake_s3.bucket)
    S3MediaHost.save_credentials(store, fake_s3.access_key, fake_s3.secret_key)
    assert sorted(store.values) == [
        "media_host:default:access_key_id",
        "media_host:default:secret_access_key",
    ]
    host = S3MediaHost.from_secrets(store, fake_s3.endpoint_url, fake_s3.bucket, fake_s3.region)
    key = host.upload(jpeg)
    assert fake_s3.exists(key)
