"""The shoppable web embed: one self-contained HTML file that works offline and on a phone.

* The image is embedded as a `data:` URI; no network request is ever made (a Content-Security-
  Policy meta tag forbids any, so even a hostile product field could not load a script).
* Hotspots are real `<button>`s positioned in percent of the image box, so they stay on their
  products at any width; the card is a labelled dialog. Keyboard: Tab reaches every hotspot,
  Enter/Space opens its card (focus moves into it), Esc or the close button closes it and returns
  focus to the hotspot. Screen readers hear "Product: <title>, <price>".
* Every user-provided string (titles, prices, links, media name) goes through `html.escape`;
  links are kept only when they are http(s), so `javascript:` URLs never become clickable.
"""

from __future__ import annotations

import base64
import html
from typing import Any
from urllib.parse import urlsplit

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f4f4f4;color:#111}
.shop{position:relative;max-width:100%;width:var(--w);margin:0 auto}
.shop img{display:block;width:100%;height:auto}
.hot{position:absolute;transform:translate(-50%,-50%);width:2.75rem;height:2.75rem;border-radius:50%;
border:3px solid #fff;background:rgba(17,17,17,.78);color:#fff;font-weight:700;cursor:pointer;
box-shadow:0 1px 4px rgba(0,0,0,.5);padding:0}
.hot:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.card{position:absolute;left:50%;bottom:1rem;transform:translateX(-50%);width:min(22rem,92%);
background:#fff;color:#111;border-radius:.75rem;padding:1rem 1rem .9rem;box-shadow:0 4px 24px rgba(0,0,0,.35)}
.card[hidden]{display:none}
.card h2{font-size:1.05rem;margin:0 2rem .25rem 0;overflow-wrap:anywhere}
.card .price{font-weight:700;margin:0 0 .6rem}
.card .was{text-decoration:line-through;color:#555;font-weight:400;margin-left:.4rem}
.card a{display:inline-block;background:#111;color:#fff;padding:.55rem .9rem;border-radius:.5rem;
text-decoration:none}
.card a:focus-visible,.card .close:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.card .close{position:absolute;top:.4rem;right:.4rem;width:2.25rem;height:2.25rem;border:0;background:none;
font-size:1.4rem;cursor:pointer}
""".strip()

_JS = """
(function(){
var open=null;
function close(){if(!open)return;var c=open.card,b=open.button;c.hidden=true;
b.setAttribute('aria-expanded','false');open=null;b.focus();}
document.querySelectorAll('.hot').forEach(function(b){b.addEventListener('click',function(){
var c=document.getElementById(b.getAttribute('aria-controls'));var same=open&&open.button===b;close();
if(same)return;c.hidden=false;b.setAttribute('aria-expanded','true');open={card:c,button:b};
c.querySelector('h2').focus();});});
document.querySelectorAll('.card .close').forEach(function(x){x.addEventListener('click',close);});
document.addEventListener('keydown',function(e){if(e.key==='Escape'||e.key==='Esc'){close();}});
})();
""".strip()

_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)


def safe_link(url: str | None) -> str:
    """The URL if it is a plain http(s) link, else "" (no javascript:, data:, relative tricks)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def render_html(
    image_bytes: bytes,
    mime: str,
    size: tuple[int, int],
    tags: list[dict[str, Any]],
    *,
    title: str,
    lang: str = "en",
) -> str:
    """The page for one image; `tags` are tags.json records (x, y normalized output coords)."""
    e = html.escape
    data_uri = f"data:{mime};base64,{base64.b64encode(image_bytes).decode('ascii')}"
    buttons: list[str] = []
    cards: list[str] = []
    for n, t in enumerate(tags, 1):
        name = t.get("title") or f"Product {t.get('product_id', '')}"
        price = t.get("price_label") or ""
        spoken = f"Product: {name}" + (f", {price}" if price else "")
        card_id = f"card-{n}"
        buttons.append(
            f'<button type="button" class="hot" style="left:{t["x"] * 100:.3f}%;top:{t["y"] * 100:.3f}%" '
            f'aria-label="{e(spoken)}" aria-expanded="false" aria-controls="{card_id}">{n}</button>'
        )
        was = f'<span class="was">{e(str(t["compare_label"]))}</span>' if t.get("compare_label") else ""
        link = safe_link(t.get("link"))
        link_html = (
            f'<a href="{e(link)}" target="_blank" rel="noopener noreferrer">View product'
            f'<span class="visually-hidden"> {e(name)}</span></a>'
            if link
            else ""
        )
        cards.append(
            f'<div class="card" id="{card_id}" role="dialog" aria-modal="false" '
            f'aria-labelledby="{card_id}-t" hidden>'
            f'<button type="button" class="close" aria-label="Close">×</button>'
            f'<h2 id="{card_id}-t" tabindex="-1">{e(name)}</h2>'
            f'<p class="price">{e(price)}{was}</p>{link_html}</div>'
        )
    width, height = size
    hidden_css = ".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}\n{hidden_css}</style>\n</head>\n<body>\n"
        f'<main class="shop" style="--w:{width}px" aria-label="{e(title)}: shoppable image">\n'
        f'<img src="{data_uri}" width="{width}" height="{height}" alt="{e(title)}">\n'
        + "\n".join(buttons)
        + "\n"
        + "\n".join(cards)
        + f"\n</main>\n<script>{_JS}</script>\n</body>\n</html>\n"
    )
