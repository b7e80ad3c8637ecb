"""The local S3 (moto server) works the way the Instagram image-hosting step needs: boto3 upload, a
presigned GET URL that any HTTP client (and the fake Graph) can fetch, and deletion afterwards."""

from __future__ import annotations

import boto3
import requests

from tests.fakes.graph import FakeGraph
from tests.fakes.s3 import FakeS3, make_jpeg


def test_presigned_url_fetch(fake_s3: FakeS3) -> None:
    data = make_jpeg((400, 500))
    url = fake_s3.put("posts/a.jpg", data, "image/jpeg")
    assert (
        url.startswith(f"{fake_s3.endpoint_url}/{fake_s3.bucket}/posts/a.jpg?") and "X-Amz-Signature=" in url
    )
    got = requests.get(url, timeout=5)
    assert got.status_code == 200 and got.content == data and got.headers["Content-Type"] == "image/jpeg"
    assert fake_s3.keys() == ["posts/a.jpg"]


def test_env_points_plain_boto3_at_the_fake(fake_s3: FakeS3) -> None:
    # a client built without endpoint_url (as app code might) still lands on moto, never on AWS
    client = boto3.client("s3")
    client.put_object(Bucket=fake_s3.bucket, Key="from-env.txt", Body=b"hi")
    assert fake_s3.exists("from-env.txt")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": fake_s3.bucket, "Key": "from-env.txt"}
    )
    assert requests.get(url, timeout=5).content == b"hi"


def test_deleted_object_is_gone_for_the_graph_fake(fake_s3: FakeS3, fake_graph: FakeGraph) -> None:
    url = fake_s3.put_jpeg("tmp/post.jpg")
    fake_s3.client.delete_object(Bucket=fake_s3.bucket, Key="tmp/post.jpg")
    assert fake_s3.keys() == []
    assert requests.get(url, timeout=5).status_code == 404
    resp = requests.post(
        f"{fake_graph.url}/v26.0/{fake_graph.ig_user_id}/media",
        data={"image_url": url, "access_token": fake_graph.user_token},
        timeout=5,
    )
    assert resp.json()["error"]["error_subcode"] == 2207052


def test_each_test_gets_a_fresh_bucket(fake_s3: FakeS3) -> None:
    assert fake_s3.keys() == []  # the objects of earlier tests are in their own (deleted) buckets
