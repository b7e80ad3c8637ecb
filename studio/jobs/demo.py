"""The bundled demo workspace: copied from `assets/demo/` into the user data folder on first run.

The shipped copy stays pristine; the user's copy is built through the same code paths a user's
own workspace goes through (catalog import, media intake, tag placement), in a temporary folder
that is renamed into place only when complete, so an interrupted first run never leaves half a demo.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from studio.core.app_settings import assets_dir, data_dir
from studio.core.errors import StudioError, Where
from studio.core.model import Tag, new_id
from studio.core.progress import CancelToken, ProgressFn, no_progress
from studio.core.workspace import PROJECT_FILE, Workspace

DEMO_FOLDER = "Demo Workspace"


def demo_source() -> Path:
    return assets_dir() / "demo"


def demo_workspace_path() -> Path:
    return data_dir() / DEMO_FOLDER


def ensure_demo_workspace(
    *, progress: ProgressFn = no_progress, cancel: CancelToken | None = None, target: Path | None = None
) -> Path:
    """Return the user's demo workspace, building it from the shipped assets if it is missing."""
    final = target or demo_workspace_path()
    if (final / PROJECT_FILE).exists():
        return final
    source = demo_source()
    spec_path = source / "demo.json"
    if not spec_path.exists():
        raise StudioError(
            "the bundled demo workspace is missing",
            where=Where(file=str(source)),
            hint="reinstall Shoppable Studio",
        )
    from studio.jobs.add_media import add_media
    from studio.jobs.import_catalog import import_catalog

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=final.parent))
    try:
        progress(0, 3, "Copying demo files")
        shutil.copytree(source / "media", staging / "media")
        shutil.copy2(source / "catalog.csv", staging / "catalog.csv")
        ws = Workspace.create(
            staging,
            name=spec.get("name", "Demo"),
            currency=spec.get("currency", "USD"),
            locale=spec.get("locale", "en_US"),
            store_url=spec.get("store_url", ""),
        )
        try:
            progress(1, 3, "Importing the demo catalog")
            import_catalog(
                staging / "catalog.csv",
                ws.catalog,
                store_url=ws.project.store_url,
                currency=ws.project.currency,
                cancel=cancel,
            )
            progress(2, 3, "Adding demo photos and video")
            add_media([staging / "media"], ws.project, staging, cancel=cancel)
            for t in spec.get("tags", []):
                media = ws.find_media(t["media"])
                product = ws.catalog.find(t["product"])
                if media is None or product is None:
                    continue  # a demo tag that no longer matches is skipped, not fatal
                box = t.get("box")
                media.tags.append(
                    Tag(
                        id=new_id("tag"),
                        product_id=product.id,
                        x=float(t["x"]),
                        y=float(t["y"]),
                        box=tuple(box) if box else None,  # type: ignore[arg-type]
                        style=t.get("style", ws.project.label_style.preset),
                        start=t.get("from"),
                        end=t.get("to"),
                    )
                )
            ws.save()
        finally:
            ws.close()
        if (final / PROJECT_FILE).exists():  # another process won the race; keep theirs
            shutil.rmtree(staging, ignore_errors=True)
            return final
        if final.exists():
            shutil.rmtree(final)  # a leftover without project.json is not a workspace
        staging.rename(final)
        progress(3, 3, "Demo workspace ready")
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
