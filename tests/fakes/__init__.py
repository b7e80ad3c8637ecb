"""Loopback fakes of the Graph API (Instagram + Facebook Pages), Pinterest v5 and S3, for tests only.

See README.md for the fixture API. Nothing under `studio/` may import this package.
"""

from .graph import FakeGraph
from .pinterest import FakePinterest
from .s3 import FakeS3
from .server import FakeServer, Request, Response

__all__ = ["FakeGraph", "FakePinterest", "FakeS3", "FakeServer", "Request", "Response"]
