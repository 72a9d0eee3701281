"""The audit CLI: one-line errors with a non-zero exit, and audits that never move, edit or
quarantine what they audit."""

import json
import shutil

import pytest

from harness.cli import main
from harness.core.store import Store
from harness.stages.dataset.schema import DATA_DIR, DATA_FILE
from tests.store_helpers import DATASET_EPISODES, build_tiny_study


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_study(tmp_path_factory.mktemp("cli") / "store")


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _one_line(err):
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


def test_playback_of_an_episode_that_does_not_exist(tiny, capsys, tmp_path):
    code, _, err = _run(capsys, "--artifacts-dir", str(tiny.store.root), "playback",
                        tiny.dataset.id, "--episodes", "99999", "--out", str(tmp_path))
    assert code == 2 and "episode 99999 does not exist" in _one_line(err)
    assert f"0..{DATASET_EPISODES - 1}" in err


def test_validate_a_path_that_does_not_exist(tiny, capsys):
    code, _, err = _run(capsys, "--artifacts-dir", str(tiny.store.root), "validate",
                        "/nonexistent")
    assert code == 2 and "/nonexistent: no such folder" in _one_line(err)


def test_evaluate_a_dataset(tiny, capsys):
    code, _, err = _run(capsys, "--artifacts-dir", str(tiny.store.root), "evaluate",
                        tiny.dataset.id)
    assert code == 2 and "a dataset is not a policy" in _one_line(err)


def test_evaluate_a_policy_prints_its_summary(tiny, capsys):
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "evaluate",
                        tiny.expert.id, "--episodes", "4")
    summary = json.loads(out)
    assert code in (0, None) and summary["episodes"] == 4
    assert summary["successes"] + summary["collisions"] + summary["timeouts"] == 4


def test_evaluate_zero_episodes(tiny, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--artifacts-dir", str(tiny.store.root), "evaluate", tiny.expert.id,
              "--episodes", "0"])
    assert exit_.value.code == 2
    assert "expected a positive integer, found 0" in capsys.readouterr().err


def test_a_mistyped_store_is_an_error_not_a_new_store(tmp_path, capsys):
    typo = tmp_path / "artefacts-typo"
    code, _, err = _run(capsys, "--artifacts-dir", str(typo), "list")
    assert code == 2 and "no artefact store here" in _one_line(err)
    assert not typo.exists()


@pytest.mark.parametrize("which", ["expert", "run", "comparison"])
def test_validate_refuses_what_is_not_a_dataset_and_leaves_it_usable(tiny, capsys, which):
    art = getattr(tiny, which)
    before = _snapshot(art.path)
    for ref in (art.id, str(art.path)):
        code, _, err = _run(capsys, "--artifacts-dir", str(tiny.store.root), "validate", ref)
        assert code == 2 and "not a dataset" in _one_line(err)
    assert _snapshot(art.path) == before
    assert art.id in [a.id for a in tiny.store.list()]
    assert not (tiny.store.root / "quarantine").exists()


def test_validating_a_published_dataset_is_read_only(tiny, capsys):
    before = _snapshot(tiny.dataset.path)
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "validate",
                        tiny.dataset.id, "--min-episodes", "1000")
    assert code == 1 and "[min_episodes]" in out and "expected >= 1000" in out
    assert _snapshot(tiny.dataset.path) == before
    assert not (tiny.store.root / "quarantine").exists()
    assert tiny.store.find(tiny.dataset.id).id == tiny.dataset.id  # still verifies


def test_the_default_minimum_is_the_one_the_dataset_was_built_with(tiny, capsys):
    assert tiny.dataset.manifest["config"]["min_episodes"] == DATASET_EPISODES
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "validate",
                        tiny.dataset.id)
    assert code == 0 and "VALID" in out and f"minimum episodes {DATASET_EPISODES}" in out


def test_a_broken_folder_outside_the_store_is_never_moved(tiny, capsys, tmp_path):
    folder = tmp_path / "my-dataset"
    shutil.copytree(tiny.dataset.path, folder)
    (folder / DATA_DIR / DATA_FILE).write_bytes(b"not hdf5")
    before = _snapshot(folder)
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "validate",
                        str(folder))
    assert code == 1 and "INVALID" in out and "[readable]" in out
    assert _snapshot(folder) == before  # nothing written into it, nothing moved
    assert not (tiny.store.root / "quarantine").exists()


def test_a_bare_folder_without_build_record_needs_an_explicit_minimum(tiny, capsys, tmp_path):
    folder = tmp_path / "bare"
    shutil.copytree(tiny.dataset.path / DATA_DIR, folder / DATA_DIR)
    code, _, err = _run(capsys, "--artifacts-dir", str(tiny.store.root), "validate",
                        str(folder))
    assert code == 2 and "pass --min-episodes" in _one_line(err)
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "validate",
                        str(folder), "--min-episodes", "2")
    assert code == 0, out


def test_show_prints_a_tampered_manifest_and_verify_names_it(tmp_path, capsys):
    tiny = build_tiny_study(tmp_path / "store")
    manifest = json.loads((tiny.comparison.path / "manifest.json").read_text())
    manifest["metrics"]["ratio"] = 0.01
    (tiny.comparison.path / "manifest.json").write_text(json.dumps(manifest))
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "show",
                        tiny.comparison.id, "--json")
    assert code == 0 and json.loads(out)["metrics"]["ratio"] == 0.01
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "show",
                        tiny.comparison.id)  # the summary says the manifest differs
    assert code == 0 and "difference(s) from the manifest" in out and "manifest.json" in out
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "verify",
                        tiny.comparison.id)
    assert code == 1 and "manifest.json: content differs" in out
    assert Store(tiny.store.root).list()  # the store is untouched by the audit


def test_list_is_a_table_with_each_kinds_headline(tiny, capsys):
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["id", "kind", "status", "headline", "created",
                                              "(UTC)", "commit"]
    assert set(lines[1]) <= {"-", " "}
    arts = tiny.store.list()
    assert len(lines) == 2 + len(arts)
    row = next(ln for ln in lines if ln.startswith(tiny.dataset.id))
    episodes = tiny.dataset.manifest["metrics"]["episodes"]
    assert f"episodes {episodes:,}" in row and tiny.dataset.manifest["created"][:10] in row
    assert tiny.dataset.manifest["git"]["commit"][:10] in row


def test_list_json_gives_the_manifests_and_an_empty_store_says_so(tiny, capsys, tmp_path):
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "list", "--json")
    assert code == 0 and json.loads(out) == [a.manifest for a in tiny.store.list()]
    empty = Store(tmp_path / "empty")
    empty.check_writable()
    code, out, _ = _run(capsys, "--artifacts-dir", str(empty.root), "list", "--kind", "expert")
    assert code == 0 and out.strip() == f"no published artefact of kind expert in {empty.root}"


def test_show_summarises_metrics_with_intervals_and_verifies_the_files(tiny, capsys):
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "show",
                        tiny.expert.id)
    assert code == 0 and "Key metrics" in out and f"id             {tiny.expert.id}" in out
    final = tiny.expert.manifest["metrics"]
    assert "seeds passing" in out or final == {}, out
    assert "file(s) and the manifest's seal verified: clean" in out
    code, out, _ = _run(capsys, "--artifacts-dir", str(tiny.store.root), "show",
                        tiny.dataset.id, "--json")
    assert json.loads(out) == tiny.dataset.manifest


def test_show_names_a_tampered_file(tiny, capsys, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(tiny.store.root, root)
    store = Store(root)
    art = store.find(tiny.dataset.id)
    victim = next(p for p in sorted(art.path.rglob("*.json")) if p.name != "manifest.json")
    victim.write_text(victim.read_text() + " ")
    code, out, _ = _run(capsys, "--artifacts-dir", str(root), "show", tiny.dataset.id)
    assert code == 0 and "difference(s) from the manifest" in out
    assert "DIFFERS" in out and victim.name in out


def test_a_kind_without_a_headline_or_with_other_metrics_shows_a_dash():
    from harness.report.headline import headline, key_metrics

    assert headline({"kind": "toy_total", "metrics": {"total": 5}}) == "-"
    assert key_metrics({"kind": "expert_run", "metrics": {"final_eval": "garbled"}}) == [
        ("converged at", "not converged"), ("steps trained", "-")]
    # a value the manifest lacks is "-", never a number made up
    assert headline({"kind": "comparison", "metrics": {"arms": {"x": {"ratio": 1}}}}) == \
        "x IQM T -"
