import json

import pytest

from studio.core import project_file
from studio.core.errors import WorkspaceError
from studio.core.model import Keyframe, Media, MediaKind, Post, Project, Tag


def sample_project() -> Project:
    tag = Tag(id="tag_1", product_id="linen-shirt", x=0.25, y=0.75, box=(0.1, 0.2, 0.4, 0.9))
    vtag = Tag(
        id="tag_2",
        product_id="mug",
        x=0.5,
        y=0.5,
        start=1.0,
        end=3.5,
        keyframes=[Keyframe(1.0, 0.5, 0.5), Keyframe(3.5, 0.6, 0.4)],
    )
    return Project(
        name="Été",
        currency="EUR",
        locale="fr_FR",
        media=[
            Media(
                id="med_1",
                path="media/a.jpg",
                name="a.jpg",
                content_hash="sha256:ab",
                kind=MediaKind.IMAGE,
                width=1200,
                height=1600,
                tags=[tag],
            ),
            Media(
                id="med_2",
                path="/abs/clip.mp4",
                name="clip.mp4",
                content_hash="sha256:cd",
                kind=MediaKind.VIDEO,
                width=720,
                height=1280,
                duration=5.0,
                fps=30.0,
                has_audio=True,
                tags=[vtag],
            ),
        ],
        posts=[Post(id="post_1", media_ids=["med_1"], caption="Summer ☀")],
    )


def test_round_trip(tmp_path):
    path = tmp_path / "project.json"
    project = sample_project()
    project_file.save(project, path)
    assert json.loads(path.read_text())["schema"] == project_file.SCHEMA
    assert project_file.load(path) == project


def test_save_keeps_backup_of_previous(tmp_path):
    path = tmp_path / "project.json"
    p = sample_project()
    project_file.save(p, path)
    p.name = "second"
    project_file.save(p, path)
    assert project_file.load(path.with_name("project.json.bak")).name == "Été"
    assert project_file.load(path).name == "second"
    assert not list(tmp_path.glob("*.tmp"))


def test_unknown_keys_survive(tmp_path):
    path = tmp_path / "project.json"
    doc = project_file.project_to_dict(sample_project())
    doc["from_the_future"] = {"keep": True}
    path.write_text(json.dumps(doc))
    project_file.save(project_file.load(path), path)
    assert json.loads(path.read_text())["from_the_future"] == {"keep": True}


def test_migration_hook_runs_step_by_step(monkeypatch):
    calls = []

    def one_to_two(doc):
        calls.append(doc["schema"])
        doc["name"] = doc["title"]
        return doc

    monkeypatch.setitem(project_file.MIGRATIONS, 1, one_to_two)
    out = project_file.migrate({"schema": 1, "title": "old"}, target=2)
    assert out == {"schema": 2, "title": "old", "name": "old"} and calls == [1]


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "project.json"
    path.write_text(json.dumps({"schema": 99, "name": "x"}))
    with pytest.raises(WorkspaceError, match="newer"):
        project_file.load(path)


@pytest.mark.parametrize(
    "content", ["{not json", "[]", '{"name": "no schema"}', '{"schema": 1, "media": [{}]}']
)
def test_damaged_files_give_clear_errors(tmp_path, content):
    path = tmp_path / "project.json"
    path.write_text(content)
    with pytest.raises(WorkspaceError) as err:
        project_file.load(path)
    assert "project.json" in str(err.value)
