"""sync.sqlite: confirmed fingerprints, batches surviving a restart, problems, runs, deletion candidates."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.errors import WorkspaceError
from studio.core.sync_state import (
    DELETE,
    LOCAL,
    PENDING,
    SENDING,
    UPSERT,
    SyncItem,
    SyncProblem,
    SyncState,
    meta_scope,
    pinterest_scope,
)

S = meta_scope("123")


def items(*ids: str, fp: str = "f1") -> list[SyncItem]:
    return [SyncItem(i, f"prod-{i}", None, fp) for i in ids]


def test_batch_life_cycle_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sync.sqlite"
    with SyncState(path) as state:
        sending = state.new_batch(S, UPSERT, items("a", "b"))
        pending = state.new_batch(S, UPSERT, items("c"))
        state.batch_sent(pending, "H-1")
    with SyncState(path) as state:  # "a new process"
        batches = state.batches(S)
        assert [(b.id, b.state, b.handle) for b in batches] == [
            (sending, SENDING, None),
            (pending, PENDING, "H-1"),
        ]
        assert [i.item_id for i in state.batch_items(sending)] == ["a", "b"]
        assert state.fingerprints(S, ["a", "b", "c"]) == {}  # nothing confirmed yet


def test_complete_batch_confirms_ok_items_and_records_errors(tmp_path: Path) -> None:
    with SyncState(tmp_path / "s.sqlite") as state:
        batch = state.new_batch(S, UPSERT, items("a", "b", "c"))
        state.batch_sent(batch, "H")
        problems = [
            SyncProblem("b", "prod-b", None, "price", "bad price"),
            SyncProblem("c", "prod-c", None, None, "grouped oddly", severity="warning"),
            SyncProblem("zzz", "?", None, None, "not in this batch"),
        ]
        assert state.complete_batch(batch, problems) == (2, 1)
        assert state.fingerprints(S, ["a", "b", "c"]) == {"a": "f1", "c": "f1"}
        assert [(p.item_id, p.field, p.severity) for p in state.problems(S)] == [
            ("b", "price", "error"),
            ("c", None, "warning"),
        ]
        assert state.batches(S) == []
        # b succeeds next time: its old platform problem is replaced (gone)
        again = state.new_batch(S, UPSERT, items("b", fp="f2"))
        state.complete_batch(again, [])
        assert state.fingerprints(S, ["b"]) == {"b": "f2"}
        assert [p.item_id for p in state.problems(S)] == ["c"]


def test_deletes_and_unseen(tmp_path: Path) -> None:
    with SyncState(tmp_path / "s.sqlite") as state:
        state.complete_batch(state.new_batch(S, UPSERT, items("a", "b", "c")), [])
        state.complete_batch(state.new_batch(pinterest_scope(None, "US", "en-US"), UPSERT, items("x")), [])
        state.reset_seen()
        state.add_seen(["a", "new"])
        assert [i.item_id for i in state.unseen(S)] == ["b", "c"]  # other scopes never leak in
        gone = SyncProblem("gone", "p-gone", None, "price", "rejected, then removed from the catalog")
        failed = state.new_batch(S, UPSERT, items("gone"))
        state.complete_batch(failed, [gone])
        assert state.prune_problems(S) == 1  # neither in the catalog nor on the platform: nothing to fix
        deletion = state.new_batch(S, DELETE, state.unseen(S))
        state.complete_batch(deletion, [SyncProblem("c", "prod-c", None, None, "refused")])
        assert state.count(S) == 2 and state.fingerprints(S, ["b", "c"]) == {"c": "f1"}
        assert sorted(i.item_id for i in state.confirmed(S)) == ["a", "c"]


def test_local_problems_are_replaced_and_runs_recorded(tmp_path: Path) -> None:
    with SyncState(tmp_path / "s.sqlite") as state:
        state.replace_local_problems(S, [SyncProblem("a", "p", None, "link", "no link", "add it", LOCAL)])
        state.replace_local_problems(S, [SyncProblem("b", "q", "v", "brand", "no brand", "set it", LOCAL)])
        assert [(p.item_id, p.source) for p in state.problems(S)] == [("b", LOCAL)]
        assert state.problem_count(S, severity="error") == 1
        dry = state.start_run(S, dry_run=True)
        state.finish_run(dry, "done", {"sent": 9})
        assert state.last_run(S) is None  # dry runs are not "the last sync"
        run = state.start_run(S, dry_run=False)
        state.finish_run(run, "cancelled", {"sent": 3})
        last = state.last_run(S)
        assert last is not None and last.state == "cancelled" and last.counts == {"sent": 3}
        assert S in state.scopes()
        state.forget(S)
        assert state.count(S) == 0 and state.problems(S) == []


def test_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sync.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError) as info:
        SyncState(path)
    assert "sync.sqlite" in str(info.value)
