"""scripts/fingerprint.py, the refactoring check: it must see a changed number."""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fingerprint.py"


def load():
    spec = importlib.util.spec_from_file_location("fingerprint", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compare_passes_on_the_same_tree_and_fails_on_a_changed_run(tmp_path, capsys):
    fingerprint = load()
    saved = tmp_path / "before.json"
    narrow = ["--presets", "small_economy", "--seeds", "1"]
    assert fingerprint.main(["save", str(saved), *narrow]) == 0
    assert fingerprint.main(["compare", str(saved), *narrow]) == 0
    before = json.loads(saved.read_text())
    key = sorted(before)[0]
    before[key]["rows"] = "0" * 64  # as if one period row had moved
    saved.write_text(json.dumps(before))
    assert fingerprint.main(["compare", str(saved), *narrow]) == 1
    assert f"differs: {key}: rows" in capsys.readouterr().out


def test_unknown_preset_exits_2(tmp_path, capsys):
    assert load().main(["save", str(tmp_path / "f.json"), "--presets", "nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err
