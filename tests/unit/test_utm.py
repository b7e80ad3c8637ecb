"""The one UTM scheme: source=platform, medium=social|catalog, campaign, content=post, term=product."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from studio.core.model import Project
from studio.core.utm import UtmConfig, add_utm


def params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_post_links_carry_platform_post_and_product() -> None:
    config = UtmConfig.from_project(Project(name="Spring Drop 2026"))
    url = add_utm(
        "https://shop.example/p/shirt", config, platform="pinterest", product_id="shirt", post_id="post_7"
    )
    assert params(url) == {
        "utm_source": "pinterest",
        "utm_medium": "social",
        "utm_campaign": "spring-drop-2026",
        "utm_content": "post_7",
        "utm_term": "shirt",
    }


def test_catalog_and_export_links_and_custom_templates() -> None:
    project = Project(name="x", extra={"utm": {"sources": {"instagram": "ig"}, "catalog_medium": "feed"}})
    config = UtmConfig.from_project(project)
    catalog = add_utm(
        "https://s.example/a", config, platform="instagram", product_id="a", medium=config.catalog_medium
    )
    assert params(catalog)["utm_medium"] == "feed" and params(catalog)["utm_source"] == "ig"
    assert params(catalog)["utm_content"] == "a"  # no post: falls back to the product
    export = add_utm("https://s.example/a", config, platform="facebook", product_id="a", media="look.jpg")
    assert params(export)["utm_content"] == "look.jpg"
    broken = UtmConfig(content="{nope}", term="{sku}")
    url = add_utm(
        "https://s.example/a", broken, platform="facebook", product_id="a", sku="SKU-1", post_id="p"
    )
    assert params(url)["utm_content"] == "a" and params(url)["utm_term"] == "SKU-1"
