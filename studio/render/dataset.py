"""COCO-format detection datasets from tagged media, so tags can train or evaluate a detector.

One JSON per preset folder (`dataset.coco.json`) referencing the clean exports next to it; boxes
are in output pixels (COCO's `[x, y, width, height]`), one category per product. Tags without a
box have no extent to learn from: they are counted in `info.tags_without_box`, not invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio import __version__


@dataclass(slots=True)
class CocoBuilder:
    description: str
    images: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    without_box: int = 0

    def add_image(
        self, file_name: str, size: tuple[int, int], tags: list[dict[str, Any]], media_id: str
    ) -> None:
        """`tags` are tags.json records (normalized output coords)."""
        image_id = len(self.images) + 1
        width, height = size
        self.images.append(
            {"id": image_id, "file_name": file_name, "width": width, "height": height, "media_id": media_id}
        )
        for t in tags:
            if not t.get("box"):
                self.without_box += 1
                continue
            cat = self.categories.get(t["product_id"])
            if cat is None:
                cat = {
                    "id": len(self.categories) + 1,
                    "name": t.get("title") or t["product_id"],
                    "supercategory": "product",
                    "product_id": t["product_id"],
                    "sku": t.get("sku", ""),
                }
                self.categories[t["product_id"]] = cat
            x0, y0, x1, y1 = t["box"]
            w, h = (x1 - x0) * width, (y1 - y0) * height
            self.annotations.append(
                {
                    "id": len(self.annotations) + 1,
                    "image_id": image_id,
                    "category_id": cat["id"],
                    "bbox": [round(x0 * width, 2), round(y0 * height, 2), round(w, 2), round(h, 2)],
                    "area": round(w * h, 2),
                    "iscrowd": 0,
                    "tag_id": t["tag_id"],
                    "anchor": [round(t["x"] * width, 2), round(t["y"] * height, 2)],
                }
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": {
                "description": self.description,
                "version": "1",
                "contributor": f"Shoppable Studio {__version__}",
                "tags_without_box": self.without_box,
            },
            "licenses": [],
            "images": self.images,
            "annotations": self.annotations,
            "categories": sorted(self.categories.values(), key=lambda c: c["id"]),
        }
