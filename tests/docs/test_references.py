"""Docs, README, presets and --help texts point only at things a reader of the
repository has: no file of the development machine, every cited seed resolvable
through docs/sources.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliancesim.cli import build_app

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "docs" / "sources.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DATA = sorted((ROOT / "scenario" / "presets").glob("*.toml")) + sorted(
    (ROOT / "experiments" / "experiment_files").glob("*.toml")
)

# files and folders that exist only where the project was developed
OUTSIDE = re.compile(
    r"/work/|shared/|\.\./seeds|\.\./domain|VALIDATION\.md|ENGINEERING\.md|STYLE\.md|MODEL\.md"
)
PATH_LIKE = re.compile(
    r"(?<![\w/.-])((?:\.\./|\./)?[\w.-]+(?:/[\w.-]+)*\.(?:md|py|toml|ipynb|sh|txt))\b"
)
# names the docs use for files a run writes or a reader supplies, not repository files
NOT_REPOSITORY_FILES = re.compile(r"^(report/)?report\.md$|^bad\.toml$|^[A-Z_]+\.toml$")
SEED_COPY = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")  # named in sources.md, not shipped


def repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


def help_texts() -> dict[str, str]:
    app = build_app()
    runner = CliRunner()
    commands = [info.name for info in app.registered_commands]
    texts = {"alliancesim --help": runner.invoke(app, ["--help"]).output}
    for name in commands:
        texts[f"alliancesim {name} --help"] = runner.invoke(app, [name, "--help"]).output
    return texts


def dead_references(label: str, text: str, base: Path, names: set[str]) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        outside = OUTSIDE.search(line)
        if outside and not (base == SOURCES.parent and label.endswith("sources.md")):
            found.append(f"{label}:{number}: {outside.group(0)} is not in the repository")
        for match in PATH_LIKE.finditer(line):
            ref = match.group(1)
            if NOT_REPOSITORY_FILES.match(ref) or ref in names and "/" not in ref:
                continue
            if label.endswith("sources.md") and (SEED_COPY.match(ref) or ref == "MODEL.md"):
                continue
            if not any((where / ref).exists() for where in (base, ROOT, ROOT / "docs")):
                found.append(f"{label}:{number}: {ref} does not exist")
    return found


def test_docs_readme_presets_and_help_point_only_at_files_in_the_repository():
    names = {Path(name).name for name in repository_files()}
    dead = []
    for path in DOCS + DATA:
        text = path.read_text(encoding="utf-8")
        dead += dead_references(str(path.relative_to(ROOT)), text, path.parent, names)
    for label, text in help_texts().items():
        dead += dead_references(label, text, ROOT, names)
    assert not dead, "\n".join(dead)


def test_no_tracked_file_points_at_the_development_machine():
    """Code comments and docstrings too: no design file or folder of the machine the
    project was written on (this test names them, so it is left out)."""
    machine = re.compile(r"/work/|\.\./shared/|VALIDATION\.md|ENGINEERING\.md")
    found = []
    for name in repository_files():
        if name == str(Path(__file__).relative_to(ROOT)) or Path(name).suffix in {".png"}:
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        found += [f"{name}: {m.group(0)}" for m in machine.finditer(text)]
    assert not found, "\n".join(found)


def test_the_reference_check_catches_a_machine_path_and_a_missing_file():
    names = {"odd.md"}
    text = "see `/work/shared/seeds/000.txt`, `docs/odd.md`, `docs/missing.md`, odd.md"
    found = dead_references("x.md", text, ROOT / "docs", names)
    assert any("/work/" in line for line in found)
    assert any("docs/missing.md does not exist" in line for line in found)
    assert not any("docs/odd.md" in line or " odd.md" in line for line in found)


# --------------------------------------------------------------------------- citations

SEED_CITATION = re.compile(r"\bseeds? (\d{3})\b(?!\d)", re.IGNORECASE)
NOTES_CITATION = re.compile(r"\bseed (\d{3}) (?:in the domain notes )?s(\d+(?:\.\d+)?)\b")
ANCHORS_CITATION = re.compile(r"\banchors (?:§|s)(\d+(?:\.\d+)?)")


def sources_sections() -> tuple[set[str], set[str], set[str]]:
    text = SOURCES.read_text(encoding="utf-8")
    seeds = set(re.findall(r"^\| (\d{3}) \| [^|]*\(\d{4}\)|^\| (\d{3}) \|", text, flags=re.M))
    seeds = {a or b for a, b in seeds}
    anchors = set()
    for cell in re.findall(r"^\| (§[\d., §]+) \|", text, flags=re.M):
        anchors.update(re.findall(r"§(\d+(?:\.\d+)?)", cell))
    notes = set(re.findall(r"^\| seed (\d{3} s\d+(?:\.\d+)?) \|", text, flags=re.M))
    return seeds, anchors, notes


def citations() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    seeds, anchors, notes = {}, {}, {}
    for name in repository_files():
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".ipynb", ".txt", ".sh"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in SEED_CITATION.finditer(text):
            seeds.setdefault(match.group(1), name)
        for match in NOTES_CITATION.finditer(text):
            notes.setdefault(f"{match.group(1)} s{match.group(2)}", name)
        for match in ANCHORS_CITATION.finditer(text):
            anchors.setdefault(match.group(1), name)
    return seeds, anchors, notes


def test_every_seed_cited_in_the_repository_has_a_full_reference_in_sources_md():
    listed, _, _ = sources_sections()
    cited, _, _ = citations()
    assert cited, "no seed citation found: the pattern is broken"
    unresolved = {seed: where for seed, where in cited.items() if seed not in listed}
    assert not unresolved, f"seeds cited but not in docs/sources.md: {unresolved}"
    text = SOURCES.read_text(encoding="utf-8")
    for seed in listed:  # each entry is a reference: authors, title, publisher or journal, year
        row = next(line for line in text.splitlines() if line.startswith(f"| {seed} |"))
        assert re.search(r"\b(19|20)\d\d\b", row) and "*" in row, row


def test_every_anchors_section_and_reading_note_cited_resolves_in_sources_md():
    _, anchors_listed, notes_listed = sources_sections()
    _, anchors_cited, notes_cited = citations()
    assert anchors_cited and notes_cited

    def resolves(section: str) -> bool:  # §2.10 resolves s2.10; "§5, §6" resolves s5
        return section in anchors_listed or section.split(".")[0] in anchors_listed

    missing = {s: where for s, where in anchors_cited.items() if not resolves(s)}
    assert not missing, f"anchors sections cited but not in docs/sources.md: {missing}"
    missing = {s: where for s, where in notes_cited.items() if s not in notes_listed}
    assert not missing, f"reading-note sections cited but not in docs/sources.md: {missing}"


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("seed 000 L153 and seed 004 L109", {"000", "004"}), ("root seed 20261122", set())],
)
def test_the_seed_pattern_reads_citations_not_random_seeds(text, seeds):
    assert {m.group(1) for m in SEED_CITATION.finditer(text)} == seeds
