"""Fake Pinterest pin analytics: `GET /v5/pins/{pin_id}/analytics` (operationId `pins/analytics`).

Per ../shared/specs/pinterest-openapi-v5.yaml (5.23.0) and ../shared/platforms/insights.md §3.1:
- scopes `boards:read` + `pins:read`; query `start_date`, `end_date` (YYYY-MM-DD, UTC, required),
  `metric_types` (required, comma list of the standard/video enums), optional `app_types`,
  `split_field` (`NO_SPLIT` | `APP_TYPE`; `ALL` metric not allowed with a split).
- `start_date` more than 90 days back from today, or `end_date` more than 90 days past `start_date`,
  or end before start → 400 `{"code": 400, "message": "Invalid pins analytics parameters. …"}` (the
  spec's example body; the detail after the first sentence is the fake's).
- 404 `Pin not found.`; the operation is `x-sandbox: disabled` — on the sandbox host the fake answers
  403 `{"code": 403, "message": "Not authorized to access board or Pin. (analytics are not available
  in the sandbox)"}` (fake's choice; the spec does not say what the sandbox answers).
- Response `PinAnalyticsResponse`: `{"all": {"daily_metrics": [{date, data_status, metrics}],
  "summary_metrics": {...}, "lifetime_metrics": {...}}}`; with `split_field=APP_TYPE` one key per
  app type. Days before the pin was created are `BEFORE_PIN_CREATED` with no metrics, today is
  `PROCESSING` (no metrics), yesterday `ESTIMATE`, older days `READY`. `TOTAL_COMMENTS` and
  `TOTAL_REACTIONS` are lifetime-only: 0 on daily rows, the value under `lifetime_metrics`.

Values are deterministic per (pin id, metric, day) (`daily_value`). State: `fake.pin_insights`
(`PinInsightsState`: `now` to freeze "today", `broken[pin_id] = (status, code, message)`), and
`fake.add_pin(created_at, video=False)` to create a pin without the publishing routes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .pinterest import pin_error
from .server import Request, Response

STANDARD = (
    "IMPRESSION",
    "OUTBOUND_CLICK",
    "PIN_CLICK",
    "SAVE",
    "SAVE_RATE",
    "TOTAL_COMMENTS",
    "TOTAL_REACTIONS",
    "USER_FOLLOW",
    "PROFILE_VISIT",
)
VIDEO = (
    "IMPRESSION",
    "OUTBOUND_CLICK",
    "PIN_CLICK",
    "SAVE",
    "SAVE_RATE",
    "VIDEO_MRC_VIEW",
    "VIDEO_10S_VIEW",
    "QUARTILE_95_PERCENT_VIEW",
    "VIDEO_V50_WATCH_TIME",
    "VIDEO_START",
    "VIDEO_AVG_WATCH_TIME",
    "TOTAL_COMMENTS",
    "TOTAL_REACTIONS",
)
KNOWN = frozenset(STANDARD) | frozenset(VIDEO)
LIFETIME_ONLY = frozenset({"TOTAL_COMMENTS", "TOTAL_REACTIONS"})
LOOKBACK_DAYS = 90
_SCALE = {"IMPRESSION": 200, "OUTBOUND_CLICK": 8, "PIN_CLICK": 20, "SAVE": 6, "VIDEO_MRC_VIEW": 40}


def daily_value(pin_id: str, metric: str, day: date) -> int:
    digest = hashlib.blake2b(f"pin|{pin_id}|{metric}|{day.isoformat()}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % (2 * _SCALE.get(metric, 3) + 1)


@dataclass
class PinInsightsState:
    now: datetime | None = None
    broken: dict[str, tuple[int, int, str]] = field(default_factory=dict)

    def today(self) -> date:
        return (self.now or datetime.now(UTC)).astimezone(UTC).date()


def _bad(detail: str) -> Exception:
    return pin_error(400, 400, f"Invalid pins analytics parameters. {detail}")


def _date(req: Request, name: str) -> date:
    raw = str(req.query.get(name) or "")
    if not raw:
        raise _bad(f"{name}: required")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(f"{name}: '{raw}' is not a YYYY-MM-DD date") from None


def install(fake: Any) -> None:
    state = PinInsightsState()
    fake.pin_insights = state

    def add_pin(created_at: datetime | None = None, *, video: bool = False, link: str | None = None) -> str:
        with fake.lock:
            pin_id = str(next(fake._ids))
            created = (created_at or datetime.now(UTC)).astimezone(UTC)
            fake.pins.append(
                {
                    "id": pin_id,
                    "created_at": created.strftime("%Y-%m-%dT%H:%M:%S"),
                    "link": link,
                    "title": f"Pin {pin_id}",
                    "board_id": "0",
                    "media": {"media_type": "video" if video else "image"},
                    "media_source": {},
                    "items": [],
                    "sandbox": fake.sandbox,
                }
            )
        return pin_id

    fake.add_pin = add_pin

    def analytics(req: Request, m: re.Match[str]) -> Response:
        fake._auth(req, "boards:read", "pins:read")
        if fake.sandbox:
            raise pin_error(
                403,
                403,
                "Not authorized to access board or Pin. (analytics are not available in the sandbox)",
            )
        pin_id = m["id"]
        if pin_id in state.broken:
            status, code, message = state.broken[pin_id]
            raise pin_error(status, code, message)
        pin = next((p for p in fake.pins if p["id"] == pin_id), None)
        if pin is None:
            raise pin_error(404, 404, "Pin not found.")
        start, end = _date(req, "start_date"), _date(req, "end_date")
        today = state.today()
        if (today - start).days > LOOKBACK_DAYS:
            raise _bad("start_date: cannot be more than 90 days back from today")
        if end < start:
            raise _bad("end_date: must not be before start_date")
        if (end - start).days > LOOKBACK_DAYS:
            raise _bad("end_date: cannot be more than 90 days past start_date")
        raw = str(req.query.get("metric_types") or "")
        metrics = [x.strip() for x in raw.split(",") if x.strip()]
        if not metrics:
            raise _bad("metric_types: required")
        unknown = [x for x in metrics if x not in KNOWN]
        if unknown:
            raise _bad(f"metric_types: '{unknown[0]}' is not a valid value")
        split = str(req.query.get("split_field") or "NO_SPLIT")
        if split not in ("NO_SPLIT", "APP_TYPE"):
            raise _bad(f"split_field: '{split}' is not a valid value")
        created = datetime.fromisoformat(pin["created_at"]).replace(tzinfo=UTC).date()
        video = (pin.get("media") or {}).get("media_type") == "video"
        allowed = set(VIDEO if video else STANDARD)
        wanted = [x for x in metrics if x in allowed]  # other-format metrics: simply absent
        body = _block(pin_id, wanted, start, end, created, today)
        keys = ["all"] if split == "NO_SPLIT" else ["MOBILE", "TABLET", "WEB"]
        return Response(200, {k: body for k in keys})

    fake.route("GET", r"^/v5/pins/(?P<id>\d+)/analytics$", analytics)


def _block(
    pin_id: str, metrics: list[str], start: date, end: date, created: date, today: date
) -> dict[str, Any]:
    daily: list[dict[str, Any]] = []
    summary: dict[str, float] = {}
    day = start
    while day <= end:
        if day < created:
            daily.append({"date": day.isoformat(), "data_status": "BEFORE_PIN_CREATED", "metrics": {}})
        elif day >= today:
            daily.append({"date": day.isoformat(), "data_status": "PROCESSING", "metrics": {}})
        else:
            status = "ESTIMATE" if day == today - timedelta(days=1) else "READY"
            values: dict[str, float] = {}
            for name in metrics:
                if name in LIFETIME_ONLY:
                    values[name] = 0
                elif name != "SAVE_RATE":
                    values[name] = daily_value(pin_id, name, day)
            if "SAVE_RATE" in metrics:
                imp = daily_value(pin_id, "IMPRESSION", day)
                values["SAVE_RATE"] = round(daily_value(pin_id, "SAVE", day) / imp, 4) if imp else 0.0
            daily.append({"date": day.isoformat(), "data_status": status, "metrics": values})
            for name, v in values.items():
                if name not in LIFETIME_ONLY and name != "SAVE_RATE":
                    summary[name] = summary.get(name, 0) + v
        day += timedelta(days=1)
    if "SAVE_RATE" in metrics:
        summary["SAVE_RATE"] = (
            round(summary.get("SAVE", 0) / summary["IMPRESSION"], 4) if summary.get("IMPRESSION") else 0.0
        )
    lifetime: dict[str, int] = {}
    for name in metrics:
        if name in LIFETIME_ONLY:
            total, d = 0, created
            while d < today:
                total += daily_value(pin_id, name, d)
                d += timedelta(days=1)
            lifetime[name] = total
    summary = {k: v for k, v in summary.items() if k in metrics}
    return {"daily_metrics": daily, "summary_metrics": summary, "lifetime_metrics": lifetime}
