"""Thin typed client for publishing on a Facebook Page (Graph API, Page access token).

One method per documented endpoint or step (../shared/platforms/publishing.md §2): photos, multi-photo
posts (`attached_media`), feed videos, Reels (start → rupload → status → finish) and permalinks. No
orchestration and no retries of its own: each call tells `ApiSession` whether repeating it is harmless
(`idempotent=`). Uploading an *unpublished* photo or starting a Reel upload session only creates
invisible objects, so those may be repeated; anything that creates a visible or scheduled post may not.

Scheduling is native (`published=false` + `scheduled_publish_time`). The docs disagree on the window
(10 min–30 days, 10 min–75 days, Reels ≤ 29 days, §2.2/§7.5); we accept the intersection every source
agrees on, 10 minutes to 29 days, and reject anything else locally before sending.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from studio.publish.errors import InvalidRequest
from studio.publish.http import GRAPH_API_VERSION, ApiSession, base_url
from studio.publish.instagram import graph_edge, rupload
from studio.publish.redact import register_secret

PLATFORM = "facebook"
#: The scheduling window every documented source accepts (§2.2, §2.4, §7 item 5).
SCHEDULE_MIN_SECONDS = 10 * 60
SCHEDULE_MAX_SECONDS = 29 * 24 * 3600
#: Multi-photo posts: the cap is UNCONFIRMED in the docs; post_rules keeps it at 10 (same table).
MAX_ATTACHED_PHOTOS = 10

When = int | float | datetime


def _invalid(what: str, field: str) -> InvalidRequest:
    return InvalidRequest(what, platform=PLATFORM, field=field)


def schedule_timestamp(when: When, *, now: float | None = None, field: str = "scheduled_publish_time") -> int:
    """`when` (Unix seconds or an aware datetime) as Unix seconds, if inside the allowed window.

    Raises `InvalidRequest` naming the window otherwise, so the user can pick another time before
    anything is sent. Naive datetimes are refused: a schedule must not depend on the machine's zone.
    """
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise _invalid("the scheduled time needs a time zone (got a naive datetime)", field)
        stamp = int(when.timestamp())
    else:
        stamp = int(when)
    current = time.time() if now is None else now
    delta = stamp - current
    if delta < SCHEDULE_MIN_SECONDS or delta > SCHEDULE_MAX_SECONDS:
        raise _invalid(
            "Facebook schedules posts from 10 minutes to 29 days ahead; "
            f"the chosen time is {delta / 60:.0f} minutes from now",
            field,
        )
    return stamp


@dataclass(frozen=True, slots=True)
class PhotoResult:
    """`POST /{page}/photos`: the photo id, and the feed post id when it was published."""

    id: str
    post_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReelUpload:
    """A started Reel upload session (§2.4 step 1)."""

    video_id: str
    upload_url: str


@dataclass(frozen=True, slots=True)
class VideoStatus:
    """`GET /{video_id}?fields=status` (§2.4 step 3); phases: completed/error/not_started/in_progress."""

    video_status: str
    uploading: str | None = None
    processing: str | None = None
    publishing: str | None = None
    publish_status: str | None = None
    bytes_transferred: int | None = None
    raw: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.video_status in ("error", "expired", "upload_failed") or "error" in (
            self.uploading,
            self.processing,
            self.publishing,
        )

    @property
    def ready(self) -> bool:
        return self.video_status == "ready"


class FacebookPageClient:
    """Publishing calls for one Page with its Page access token (`session` for platform "facebook")."""

    def __init__(self, session: ApiSession, page_id: str, page_token: str) -> None:
        self.session = session
        self.page_id = str(page_id)
        self._token = page_token
        register_secret(page_token)
        self.upload_urls: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"FacebookPageClient(page_id={self.page_id!r})"

    # --- plumbing ------------------------------------------------------------------------------------

    def _post(
        self, path: str, data: dict[str, Any], *, idempotent: bool, files: Any = None
    ) -> dict[str, Any]:
        clean = {k: v for k, v in data.items() if v is not None}
        doc = self.session.post_json(path, data=clean, files=files, token=self._token, idempotent=idempotent)
        return doc if isinstance(doc, dict) else {}

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.session.get_json(path, params=params, token=self._token, idempotent=True)
        return doc if isinstance(doc, dict) else {}

    @staticmethod
    def _source(url: str | None, path: str | Path | None) -> tuple[dict[str, Any], Any]:
        """Form fields and multipart files for a photo given by public URL or local file."""
        if bool(url) == bool(path):
            raise _invalid("give exactly one of url (public) or path (local file)", "url")
        if url:
            return {"url": url}, None
        source = Path(path)  # type: ignore[arg-type]
        if not source.is_file():
            raise _invalid(f"no such file: {source}", "source")
        return {}, {"source": (source.name, source.read_bytes())}

    # --- photos --------------------------------------------------------------------------------------

    def upload_unpublished_photo(
        self, url: str | None = None, *, path: str | Path | None = None, alt_text: str | None = None
    ) -> str:
        """Upload a photo that does not appear anywhere yet (for `create_multi_photo_post`); → photo id.

        Idempotent: a duplicate unpublished photo is invisible and harmless.
        """
        fields, files = self._source(url, path)
        fields.update(published="false", alt_text_custom=alt_text)
        return str(self._post(f"{self.page_id}/photos", fields, idempotent=True, files=files)["id"])

    def create_photo_post(
        self,
        url: str | None = None,
        caption: str | None = None,
        *,
        path: str | Path | None = None,
        published: bool = True,
        scheduled_publish_time: When | None = None,
        alt_text: str | None = None,
        now: float | None = None,
    ) -> PhotoResult:
        """A photo post with its caption, now or natively scheduled (§2.3). NOT idempotent."""
        fields, files = self._source(url, path)
        fields.update(message=caption, alt_text_custom=alt_text)
        if scheduled_publish_time is not None:
            fields["scheduled_publish_time"] = schedule_timestamp(scheduled_publish_time, now=now)
            fields["published"] = "false"
        else:
            fields["published"] = "true" if published else "false"
        doc = self._post(f"{self.page_id}/photos", fields, idempotent=False, files=files)
        post_id = doc.get("post_id")
        return PhotoResult(str(doc["id"]), str(post_id) if post_id else None)

    def create_multi_photo_post(
        self,
        photo_ids: Sequence[str],
        message: str | None = None,
        *,
        scheduled_publish_time: When | None = None,
        now: float | None = None,
    ) -> str:
        """A feed post with several unpublished photos attached (§2.2); → post id. NOT idempotent."""
        ids = [str(p) for p in photo_ids]
        if not 1 <= len(ids) <= MAX_ATTACHED_PHOTOS:
            raise _invalid(
                f"a multi-photo post takes 1–{MAX_ATTACHED_PHOTOS} photos, got {len(ids)}", "attached_media"
            )
        fields: dict[str, Any] = {
            "message": message,
            "attached_media": json.dumps([{"media_fbid": i} for i in ids], separators=(",", ":")),
        }
        if scheduled_publish_time is not None:
            fields["scheduled_publish_time"] = schedule_timestamp(scheduled_publish_time, now=now)
            fields["published"] = "false"
        return str(self._post(f"{self.page_id}/feed", fields, idempotent=False)["id"])

    # --- feed video (§2.4) -----------------------------------------------------------------------------

    def create_video_post(
        self,
        file_url: str | None = None,
        *,
        path: str | Path | None = None,
        description: str | None = None,
        title: str | None = None,
        published: bool = True,
        scheduled_publish_time: When | None = None,
        now: float | None = None,
    ) -> str:
        """A feed video from a hosted URL or a local file (multipart `source`); → video id. NOT idempotent."""
        if bool(file_url) == bool(path):
            raise _invalid("give exactly one of file_url (public) or path (local file)", "file_url")
        fields: dict[str, Any] = {"description": description, "title": title}
        files = None
        if file_url:
            fields["file_url"] = file_url
        else:
            source = Path(path)  # type: ignore[arg-type]
            if not source.is_file():
                raise _invalid(f"no such file: {source}", "source")
            files = {"source": (source.name, source.read_bytes(), "video/mp4")}
        if scheduled_publish_time is not None:
            fields["scheduled_publish_time"] = schedule_timestamp(scheduled_publish_time, now=now)
            fields["published"] = "false"
        else:
            fields["published"] = "true" if published else "false"
        return str(self._post(f"{self.page_id}/videos", fields, idempotent=False, files=files)["id"])

    # --- Reels (§2.4: start → upload → status → finish) -------------------------------------------------

    def start_reel_upload(self) -> ReelUpload:
        """Step 1: open an upload session. Idempotent (an unused session holds nothing visible)."""
        doc = self.session.post_json(
            f"{self.page_id}/video_reels", json={"upload_phase": "start"}, token=self._token, idempotent=True
        )
        video_id = str(doc["video_id"])
        url = str(doc.get("upload_url") or "")
        if url:
            self.upload_urls[video_id] = url
        return ReelUpload(video_id, self.reel_upload_url(video_id))

    def reel_upload_url(self, video_id: str) -> str:
        """The rupload URL for `video_id`: the path Meta returned (or the documented one) on the
        overridable rupload host."""
        known = self.upload_urls.get(str(video_id))
        path = urlsplit(known).path if known else f"/video-upload/{GRAPH_API_VERSION}/{video_id}"
        return f"{base_url('rupload')}{path}"

    def upload_reel(self, video_id: str, video: str | Path | bytes, *, offset: int = 0) -> dict[str, Any]:
        """Step 2: send the bytes from `offset` (resume with `VideoStatus.bytes_transferred`). Idempotent.

        Same resumable protocol as Instagram's, so the same streaming helper is used.
        """
        return rupload(self.session, self.reel_upload_url(video_id), self._token, video, offset=offset)

    def upload_reel_from_url(self, video_id: str, file_url: str) -> dict[str, Any]:
        """Step 2 for a hosted file: Meta fetches `file_url` itself. Idempotent."""
        headers = {"Authorization": f"OAuth {self._token}", "file_url": file_url}
        response = self.session.request(
            "POST", self.reel_upload_url(video_id), headers=headers, idempotent=True
        )
        return _json(response)

    def video_status(self, video_id: str) -> VideoStatus:
        """Step 3: `GET /{video_id}?fields=status`."""
        doc = self._get(str(video_id), {"fields": "status"})
        status = doc.get("status") or {}

        def phase(name: str) -> dict[str, Any]:
            value = status.get(name)
            return value if isinstance(value, dict) else {}

        transferred = phase("uploading_phase").get(
            "bytes_transfered", phase("uploading_phase").get("bytes_transferred")
        )
        return VideoStatus(
            video_status=str(status.get("video_status") or ""),
            uploading=phase("uploading_phase").get("status"),
            processing=phase("processing_phase").get("status"),
            publishing=phase("publishing_phase").get("status"),
            publish_status=phase("publishing_phase").get("publish_status"),
            bytes_transferred=int(transferred) if transferred is not None else None,
            raw=dict(status),
        )

    def publish_reel(
        self,
        video_id: str,
        *,
        description: str | None = None,
        title: str | None = None,
        scheduled_publish_time: When | None = None,
        draft: bool = False,
        now: float | None = None,
    ) -> dict[str, Any]:
        """Step 4: `upload_phase=finish` with `video_state` PUBLISHED / SCHEDULED / DRAFT. NOT idempotent."""
        fields: dict[str, Any] = {
            "video_id": str(video_id),
            "upload_phase": "finish",
            "description": description,
            "title": title,
        }
        if scheduled_publish_time is not None:
            fields["video_state"] = "SCHEDULED"
            fields["scheduled_publish_time"] = schedule_timestamp(scheduled_publish_time, now=now)
        else:
            fields["video_state"] = "DRAFT" if draft else "PUBLISHED"
        return self._post(f"{self.page_id}/video_reels", fields, idempotent=False)

    # --- reading back ----------------------------------------------------------------------------------

    def permalink(self, post_id: str) -> str | None:
        """The public URL of a post, photo or video (`permalink_url`)."""
        link = self._get(str(post_id), {"fields": "permalink_url"}).get("permalink_url")
        return str(link) if link else None

    def recent_posts(self, *, scheduled: bool = False, limit: int = 100) -> list[dict[str, Any]]:
        """The Page's newest posts (`/feed`), or its scheduled ones (`/scheduled_posts`), newest first.

        Rows have `id`, `message` and `created_time` (plus `scheduled_publish_time` when scheduled):
        what the outbox compares to find a post whose create answer was lost, instead of posting twice.
        """
        edge, fields = "feed", "id,message,created_time"
        if scheduled:
            edge, fields = "scheduled_posts", fields + ",scheduled_publish_time"
        return graph_edge(self._get, f"{self.page_id}/{edge}", fields, limit)


def _json(response: Any) -> dict[str, Any]:
    try:
        doc = response.json() if response.content else {}
    except ValueError:
        doc = {"raw": response.text}
    return doc if isinstance(doc, dict) else {"data": doc}
