"""pytest fixtures for the fakes; registered with `pytest_plugins = ["tests.fakes.conftest_plugin"]`.

Function-scoped fakes so no state (published posts, injected faults, expired tokens) leaks between
tests; the moto S3 server is session-scoped because it takes about a second to boot, and each test gets
its own fresh bucket instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .graph import FakeGraph
from .pinterest import FakePinterest
from .s3 import FakeS3, MotoServer


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_s3(_moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeS3]:
    s3 = FakeS3(_moto_server)
    for key, value in s3.env.items():
        monkeypatch.setenv(key, value)
    s3.create_bucket()
    yield s3
    s3.delete_bucket()


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    graph = FakeGraph()
    graph.start()
    yield graph
    graph.stop()


@pytest.fixture
def fake_pinterest() -> Iterator[FakePinterest]:
    pinterest = FakePinterest(sandbox=False)
    pinterest.start()
    yield pinterest
    pinterest.stop()


@pytest.fixture
def fake_pinterest_sandbox() -> Iterator[FakePinterest]:
    """The `api-sandbox.pinterest.com` equivalent: a second, independent instance."""
    pinterest = FakePinterest(sandbox=True)
    pinterest.start()
    yield pinterest
    pinterest.stop()


@dataclass
class FakePlatforms:
    graph: FakeGraph
    pinterest: FakePinterest
    pinterest_sandbox: FakePinterest
    s3: FakeS3


@pytest.fixture
def fake_platforms(
    fake_graph: FakeGraph,
    fake_pinterest: FakePinterest,
    fake_pinterest_sandbox: FakePinterest,
    fake_s3: FakeS3,
    monkeypatch: pytest.MonkeyPatch,
) -> FakePlatforms:
    """All fakes, with the studio's test-only base-URL env vars (STUDIO_GRAPH_BASE_URL,
    STUDIO_RUPLOAD_BASE_URL, STUDIO_PINTEREST_BASE_URL, STUDIO_PINTEREST_SANDBOX_BASE_URL) and the
    AWS_* variables pointing at them — for end-to-end tests through the real client code."""
    for fake in (fake_graph, fake_pinterest, fake_pinterest_sandbox):
        for key, value in fake.env.items():
            monkeypatch.setenv(key, value)
    return FakePlatforms(fake_graph, fake_pinterest, fake_pinterest_sandbox, fake_s3)
