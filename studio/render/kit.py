"""The publish kit: one ZIP per post with everything needed to post by hand or hand to an agency.

Contents: the rendered media in post order (`01-<name>.jpg`, …), `caption.txt`, `tags.json` (per
media, tags in output coordinates) and `links.csv` (one row per tag, links with UTM). Built from
the files the batch already wrote, so the kit is exactly what was exported.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class KitMember:
    media_name: str
    file: Path  # the rendered output to include
    tags: list[dict[str, Any]]  # tags.json records


def _cell(value: object) -> object:
    """Neutralise spreadsheet formulas: a title like `=HYPERLINK(...)` must stay text in Excel."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def build_kit(caption: str, members: list[KitMember], *, post_id: str, preset: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        names: list[str] = []
        for n, m in enumerate(members, 1):
            arc = f"{n:02d}-{Path(m.media_name).stem}{m.file.suffix}"
            names.append(arc)
            # Already-compressed JPEGs gain nothing from deflate; store them.
            z.write(m.file, arc, compress_type=zipfile.ZIP_STORED)
        z.writestr("caption.txt", caption.rstrip("\n") + "\n")
        doc = {
            "post_id": post_id,
            "preset": preset,
            "media": [{"file": arc, "media": m.media_name, "tags": m.tags} for arc, m in zip(names, members)],
        }
        z.writestr("tags.json", json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["file", "product_id", "sku", "title", "price", "currency", "link", "x", "y"])
        for arc, m in zip(names, members):
            for t in m.tags:
                row = [arc, t["product_id"], t.get("sku", ""), t.get("title", ""), t.get("price") or ""]
                row += [t.get("currency") or "", t.get("link", ""), t["x"], t["y"]]
                w.writerow([_cell(v) for v in row])
        # utf-8-sig: spreadsheet apps (Excel) then read accented titles correctly.
        z.writestr("links.csv", out.getvalue().encode("utf-8-sig"))
    return buf.getvalue()
