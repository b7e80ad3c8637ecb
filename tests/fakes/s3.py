"""A local S3 (moto's threaded server) for the image-hosting step of Instagram publishing.

Why a real S3 protocol server and not a stub: the client uploads with boto3 and hands Instagram a
*presigned* URL; the fake Graph then fetches that URL over HTTP exactly as Meta would. moto speaks the
S3 REST protocol (path-style addressing, SigV4 query signatures), so the same boto3 code that talks to
AWS/R2/MinIO talks to it.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
from typing import Any

from PIL import Image

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"

_bucket_numbers = itertools.count(1)


class MotoServer:
    """moto's S3 endpoint on 127.0.0.1 with an ephemeral port."""

    def __init__(self) -> None:
        # imported here: moto + flask take ~1 s to import, and the plugin is loaded by every test run
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint_url = ""

    def start(self) -> MotoServer:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()


class FakeS3:
    """One bucket on a `MotoServer`, plus helpers to upload test media and presign GET URLs."""

    def __init__(self, server: MotoServer, bucket: str | None = None) -> None:
        self.server = server
        self.endpoint_url = server.endpoint_url
        self.bucket = bucket or f"studio-test-{os.getpid()}-{next(_bucket_numbers)}"
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.region = REGION
        self.client: Any = self.make_client()

    @property
    def env(self) -> dict[str, str]:
        """Environment for code under test: test credentials, and every S3 client pointed at moto.

        `AWS_ENDPOINT_URL_S3` is honoured by botocore itself, so even a client that forgets the endpoint
        override cannot reach real AWS from a test.
        """
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    def make_client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def create_bucket(self) -> None:
        self.client.create_bucket(Bucket=self.bucket)

    def delete_bucket(self) -> None:
        for key in self.keys():
            self.client.delete_object(Bucket=self.bucket, Key=key)
        self.client.delete_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Upload bytes and return a presigned GET URL (what the publish client hands to Instagram)."""
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return self.presigned_url(key)

    def put_jpeg(self, key: str, size: tuple[int, int] = (1080, 1350), pad_to: int | None = None) -> str:
        """Upload a real JPEG of `size`; `pad_to` appends bytes to reach a file size (for the 8 MiB check)."""
        return self.put(key, make_jpeg(size, pad_to), "image/jpeg")

    def presigned_url(self, key: str, expires: int = 3600) -> str:
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires
            )
        )

    def exists(self, key: str) -> bool:
        return key in self.keys()

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listing.get("Contents", [])]


def make_jpeg(size: tuple[int, int] = (1080, 1350), pad_to: int | None = None) -> bytes:
    """A real JPEG (fetched by the fake Graph, which checks magic bytes, size and aspect ratio)."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 120, 80)).save(buf, "JPEG", quality=80)
    data = buf.getvalue()
    if pad_to is not None and pad_to > len(data):
        # bytes after the EOI marker: still a JPEG to a decoder, but the file is as large as we need
        data += b"\0" * (pad_to - len(data))
    return data


def make_png(size: tuple[int, int] = (1000, 1000)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()
