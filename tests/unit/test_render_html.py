"""The shoppable HTML embed, the COCO dataset and the publish kit."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zipfile
from pathlib import Path

from studio.render.dataset import CocoBuilder
from studio.render.html_export import render_html, safe_link
from studio.render.kit import KitMember, build_kit

EVIL = "<script>alert(1)</script>"


def _tags() -> list[dict]:
    return [
        {
            "tag_id": "t1",
            "product_id": "p1",
            "title": EVIL,
            "price_label": '"$5" <b>',
            "link": "https://shop.example/p?a=1&b=<x>",
            "x": 0.25,
            "y": 0.5,
            "box": [0.2, 0.4, 0.3, 0.6],
            "sku": "=cmd|' /C calc'!A0",
            "price": "5.00",
            "currency": "USD",
        },
        {
            "tag_id": "t2",
            "product_id": "p2",
            "title": "Mug",
            "price_label": "$9.00",
            "link": "javascript:alert(2)",
            "x": 0.75,
            "y": 0.1,
            "box": None,
        },
    ]


def test_user_strings_are_escaped_and_render_as_text():
    page = render_html(b"\xff\xd8fake", "image/jpeg", (100, 80), _tags(), title=f"Look {EVIL}")
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # only our own script block
    assert "<b>" not in page and "&quot;$5&quot; &lt;b&gt;" in page
    assert 'href="https://shop.example/p?a=1&amp;b=&lt;x&gt;"' in page
    assert "javascript:alert(2)" not in page  # non-http links are not made clickable
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_page_is_self_contained_and_accessible():
    page = render_html(b"IMG", "image/jpeg", (1080, 1350), _tags(), title="Summer")
    assert f"data:image/jpeg;base64,{base64.b64encode(b'IMG').decode()}" in page
    assert not re.search(r"""(src|href)=["']https?://""", page.replace('href="https://shop.example', ""))
    # hotspots: real buttons positioned in percent, with spoken labels and controlled cards
    assert 'class="hot" style="left:25.000%;top:50.000%"' in page
    assert 'aria-label="Product: Mug, $9.00"' in page
    assert page.count('role="dialog"') == 2 and 'aria-controls="card-1"' in page
    assert "Escape" in page and "focus()" in page
    assert '<meta name="viewport"' in page and 'width="1080" height="1350"' in page


def test_safe_link():
    assert safe_link("https://a.example/x") == "https://a.example/x"
    assert safe_link("  javascript:alert(1)") == ""
    assert (
        safe_link("data:text/html,hi") == "" and safe_link("//evil.example") == "" and safe_link(None) == ""
    )


def test_coco_dataset_boxes_in_output_pixels():
    coco = CocoBuilder("test")
    coco.add_image("a.clean.jpg", (1000, 500), _tags(), "m1")
    doc = coco.to_dict()
    assert doc["images"] == [
        {"id": 1, "file_name": "a.clean.jpg", "width": 1000, "height": 500, "media_id": "m1"}
    ]
    (ann,) = doc["annotations"]
    assert ann["bbox"] == [200.0, 200.0, 100.0, 100.0] and ann["category_id"] == 1
    assert doc["categories"][0]["product_id"] == "p1" and doc["info"]["tags_without_box"] == 1


def test_kit_zip_has_media_caption_tags_and_links(tmp_path: Path):
    jpg = tmp_path / "a.clean.jpg"
    jpg.write_bytes(b"\xff\xd8jpeg")
    data = build_kit(
        "Summer is here ☀️", [KitMember("beach.jpg", jpg, _tags())], post_id="post_1", preset="ig"
    )
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == ["01-beach.jpg", "caption.txt", "links.csv", "tags.json"]
        assert z.read("01-beach.jpg") == b"\xff\xd8jpeg"
        assert z.read("caption.txt").decode() == "Summer is here ☀️\n"
        assert json.loads(z.read("tags.json"))["media"][0]["tags"][0]["product_id"] == "p1"
        rows = list(csv.reader(io.StringIO(z.read("links.csv").decode("utf-8-sig"))))
    assert rows[0][:3] == ["file", "product_id", "sku"]
    assert rows[1][2].startswith("'=")  # a formula-looking SKU stays text in a spreadsheet
    assert rows[1][3] == EVIL and rows[2][6] == "javascript:alert(2)"
