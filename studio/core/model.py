"""The domain model: products, media, tags, posts and the project that holds them.

Plain slotted dataclasses with no I/O, so every layer (CLI, GUI, render, publish) and every
test can build them cheaply. Coordinates of tags are *normalized* (0..1 of the displayed image,
after EXIF orientation) so they survive resizing, cropping and re-export unchanged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


def new_id(prefix: str) -> str:
    """Short, collision-safe ids that say what they are (`tag_1f3a…`) in JSON and logs."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class Availability(StrEnum):
    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> Availability:
        """Accept Meta's `in stock`, Google's `in_stock`, any case; unknown words map to UNKNOWN."""
        key = (text or "").strip().lower().replace(" ", "_").replace("-", "_")
        aliases = {
            "instock": "in_stock",
            "available": "in_stock",
            "outofstock": "out_of_stock",
            "sold_out": "out_of_stock",
            "available_for_order": "preorder",
        }
        key = aliases.get(key, key)
        try:
            return cls(key)
        except ValueError:
            return cls.UNKNOWN


@dataclass(slots=True)
class Variant:
    """One purchasable option of a product (size M, colour blue…)."""

    id: str
    sku: str = ""
    title: str = ""
    options: dict[str, str] = field(default_factory=dict)
    price: Decimal | None = None  # None = same as the product's price
    compare_at: Decimal | None = None
    gtin: str = ""
    image: str = ""
    availability: Availability = Availability.UNKNOWN
    position: int = 0


@dataclass(slots=True)
class Product:
    """A catalog product. Prices are Decimal in `currency` (ISO 4217), never floats."""

    id: str
    title: str
    price: Decimal
    currency: str
    sku: str = ""
    handle: str = ""
    brand: str = ""
    description: str = ""
    compare_at: Decimal | None = None
    url: str = ""
    images: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    availability: Availability = Availability.UNKNOWN
    gtin: str = ""
    status: str = "active"
    product_type: str = ""
    tags: list[str] = field(default_factory=list)
    source: str = ""  # importer format that last wrote it
    flags: list[str] = field(default_factory=list)  # e.g. "no_link": usable, but needs attention

    @property
    def on_sale(self) -> bool:
        return self.compare_at is not None and self.compare_at > self.price


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


@dataclass(slots=True)
class Keyframe:
    """A tag position at a time in a video; between keyframes the anchor is interpolated."""

    t: float
    x: float
    y: float


@dataclass(slots=True)
class Tag:
    """A product tag on a photo or video.

    `x`, `y` is the anchor (where the marker points) in normalized 0..1 coordinates of the
    oriented image. `box` (x0, y0, x1, y1) is optional, also normalized. For video, a tag is
    visible from `start` to `end` seconds (None = whole clip) and may follow `keyframes`.
    """

    id: str
    product_id: str
    x: float
    y: float
    box: tuple[float, float, float, float] | None = None
    variant_id: str | None = None
    style: str = "pill"
    label: str | None = None  # override of the generated price label text
    start: float | None = None
    end: float | None = None
    keyframes: list[Keyframe] = field(default_factory=list)


@dataclass(slots=True)
class Media:
    """A photo or video in the workspace, with the facts read once at intake.

    `path` is relative to the workspace when the file lives inside it, absolute otherwise;
    `content_hash` lets a moved file be found again (relink).
    """

    id: str
    path: str
    content_hash: str
    kind: MediaKind
    width: int
    height: int
    name: str = ""
    size_bytes: int = 0
    duration: float | None = None
    fps: float | None = None
    codec: str = ""
    has_audio: bool = False
    rotation: int = 0  # degrees applied (EXIF orientation or video display matrix)
    tags: list[Tag] = field(default_factory=list)
    added_at: str = ""


class PostState(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    PUBLISHED = "published"
    FAILED = "failed"


@dataclass(slots=True)
class Post:
    """A post to one or more platforms: media (by id, in order), caption and per-platform settings."""

    id: str
    media_ids: list[str] = field(default_factory=list)
    caption: str = ""
    platforms: dict[str, dict[str, Any]] = field(default_factory=dict)
    state: PostState = PostState.DRAFT


@dataclass(slots=True)
class LabelStyle:
    """Workspace-wide look of price labels; the render issue grows this into full presets."""

    preset: str = "pill"
    background: str = "#111111"
    foreground: str = "#FFFFFF"
    font_family: str = "DejaVu Sans"


@dataclass(slots=True)
class Project:
    """Everything in `project.json`: workspace settings, media with their tags, posts."""

    name: str
    currency: str = "USD"
    locale: str = "en_US"
    store_url: str = ""
    media: list[Media] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    label_style: LabelStyle = field(default_factory=LabelStyle)
    extra: dict[str, Any] = field(default_factory=dict)  # keys from newer versions, kept on save

    def media_by_id(self, media_id: str) -> Media | None:
        return next((m for m in self.media if m.id == media_id), None)

    def media_by_hash(self, content_hash: str) -> Media | None:
        return next((m for m in self.media if m.content_hash == content_hash), None)

    def all_tags(self) -> list[tuple[Media, Tag]]:
        return [(m, t) for m in self.media for t in m.tags]
