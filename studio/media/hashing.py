"""Content hashes: how a media file is recognised after it was moved, renamed or added twice.

SHA-256 over the whole file, streamed in 1 MiB chunks so a 2 GB video never sits in memory.
The algorithm is part of the value (`sha256:<hex>`) so a future change of algorithm can coexist
with hashes already stored in `project.json`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from studio.core.progress import CancelToken

PREFIX = "sha256:"
_CHUNK = 1 << 20


def hash_bytes(data: bytes) -> str:
    """The content hash of bytes in memory (tests, generated files)."""
    return PREFIX + hashlib.sha256(data).hexdigest()


def hash_file(path: str | Path, *, cancel: CancelToken | None = None) -> str:
    """`sha256:<hex>` of the file's bytes. Raises OSError when the file cannot be read.

    `cancel` is polled every chunk so cancelling during a multi-GB video does not wait for it.
    """
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while True:
            n = handle.readinto(buffer)
            if not n:
                break
            digest.update(view[:n])
            if cancel is not None:
                cancel.raise_if_cancelled()
    return PREFIX + digest.hexdigest()


def hex_part(content_hash: str) -> str:
    """The hex digest without the algorithm prefix, safe to use in a file name."""
    _, _, tail = content_hash.rpartition(":")
    cleaned = "".join(c for c in tail.lower() if c in "0123456789abcdef")
    if not cleaned:
        raise ValueError(f"not a content hash: {content_hash!r}")
    return cleaned
