"""The pre-publish checker's machine-readable fixes that change a post's own text or media list.

Why here, Qt-free: the Publish dialog offers these as one-click buttons and the CLI/tests apply the
same rules, so what "Shorten caption" or "Keep 30 hashtags" does is decided once. Each function
returns a *new* Post (the GUI wraps it in one undoable command) or None when the fix does not
apply to the post as it is now (e.g. already short enough).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from studio.core.model import Post

_HASHTAG = re.compile(r"(?<![\w&])#\w+")
_MENTION = re.compile(r"(?<![\w.])@[\w.]+")

#: The fix actions `apply_post_fix` knows.
POST_FIX_ACTIONS = frozenset(
    {
        "trim_caption",
        "trim_title",
        "trim_alt_text",
        "remove_hashtags",
        "remove_mentions",
        "remove_media",
        "remove_items",
    }
)


def shorten(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars`, at a word boundary when one is near, without trailing space.

    A caption cut mid-word reads as a mistake; a boundary up to 20 characters back is preferred.
    """
    if len(text) <= max_chars:
        return text
    cut = text[: max(0, max_chars)]
    space = cut.rfind(" ")
    if space >= max(0, max_chars - 20) and space > 0:
        cut = cut[:space]
    return cut.rstrip(" \n\t,;:-")


def keep_first(text: str, pattern: re.Pattern[str], keep: int) -> str:
    """Remove the matches of `pattern` after the first `keep` (and the doubled spaces they leave)."""
    seen = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen <= keep else ""

    out = pattern.sub(drop, text)
    out = re.sub(r"[ \t]{2,}", " ", out)
    return re.sub(r"[ \t]+\n", "\n", out).strip()


def apply_post_fix(post: Post, fix: Mapping[str, Any]) -> Post | None:
    """The post after `fix`, or None if `fix` is not a post fix or changes nothing."""
    action = str(fix.get("action", ""))
    if action not in POST_FIX_ACTIONS:
        return None
    after = copy.deepcopy(post)
    platform = str(fix.get("platform") or "")
    settings: dict[str, Any] = after.platforms.setdefault(platform, {}) if platform else {}
    if action == "trim_caption":
        limit = int(fix.get("max_chars") or 0)
        if fix.get("field") == "description":
            # Pinterest's description defaults to the caption: shorten it there only, so the
            # other platforms keep the full caption.
            target = settings if platform else after.platforms.setdefault("pinterest", {})
            source = str(target.get("description") or after.caption)
            target["description"] = shorten(source, limit)
        else:
            after.caption = shorten(after.caption, limit)
    elif action in ("trim_title", "trim_alt_text"):
        key = "title" if action == "trim_title" else "alt_text"
        value = str(settings.get(key) or "")
        if not platform or not value:
            return None
        settings[key] = shorten(value, int(fix.get("max_chars") or 0))
    elif action == "remove_hashtags":
        after.caption = keep_first(after.caption, _HASHTAG, int(fix.get("max") or 0))
        for s in after.platforms.values():
            if s.get("description"):
                s["description"] = keep_first(str(s["description"]), _HASHTAG, int(fix.get("max") or 0))
    elif action == "remove_mentions":
        after.caption = keep_first(after.caption, _MENTION, int(fix.get("max") or 0))
    elif action == "remove_media":
        after.media_ids = [m for m in after.media_ids if m != fix.get("media_id")]
    elif action == "remove_items":
        after.media_ids = after.media_ids[: int(fix.get("keep") or 0)]
    for key in [k for k, v in after.platforms.items() if v == {} and k not in post.platforms]:
        del after.platforms[key]  # looked up, never filled: not a change
    return None if after == post else after
