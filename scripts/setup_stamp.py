"""Decide whether ``scripts/setup.sh`` has to run pip, and remember what it installed.

The stamp file ``.venv/alliancesim-setup.json`` holds the SHA-256 of ``pyproject.toml``
and the extras installed with it. pip runs only when ``pyproject.toml`` changed since
then or an extra is asked for that is not installed yet; it then installs the extras
asked for together with those already there, so a later ``scripts/main.sh`` never
takes away what ``scripts/test.sh`` added.

Standard library only: it runs in the new environment before anything is installed.

    python scripts/setup_stamp.py plan  STAMP PYPROJECT [EXTRA ...]
        exit 0: up to date, nothing to do
        exit 3: prints the comma-separated extras to install (may be empty: core only)
        exit 2: an unknown extra (the message lists the allowed ones)
    python scripts/setup_stamp.py write STAMP PYPROJECT [EXTRA ...]
        after pip succeeded: record the hash and the extras it installed
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

UP_TO_DATE = 0
BAD_INPUT = 2
INSTALL = 3


def pyproject_hash(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def known_extras(pyproject_text: bytes) -> list[str]:
    data = tomllib.loads(pyproject_text.decode("utf-8"))
    return sorted(data.get("project", {}).get("optional-dependencies", {}))


def read_stamp(stamp_text: str | None) -> dict:
    """The stamp's content, or an empty record when it is missing or unreadable."""
    if not stamp_text:
        return {}
    try:
        stamp = json.loads(stamp_text)
    except json.JSONDecodeError:
        return {}
    return stamp if isinstance(stamp, dict) else {}


def plan(stamp_text: str | None, pyproject_text: bytes, wanted: list[str]) -> list[str] | None:
    """The extras to install, or None when the environment already has what is wanted.

    After a change to pyproject.toml the extras installed before are installed again
    with the new requirements, so the environment stays whole.
    """
    stamp = read_stamp(stamp_text)
    installed = set(stamp.get("extras", []))
    same_pyproject = stamp.get("pyproject_sha256") == pyproject_hash(pyproject_text)
    if same_pyproject and set(wanted) <= installed:
        return None
    return sorted(installed | set(wanted))


def stamp_record(pyproject_text: bytes, extras: list[str]) -> str:
    return json.dumps(
        {"pyproject_sha256": pyproject_hash(pyproject_text), "extras": sorted(set(extras))},
        indent=1,
    )


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("plan", "write"):
        print(__doc__, file=sys.stderr)
        return BAD_INPUT
    command, stamp_path, pyproject_path = argv[0], Path(argv[1]), Path(argv[2])
    wanted = [extra for arg in argv[3:] for extra in arg.split(",") if extra]
    pyproject_text = pyproject_path.read_bytes()
    allowed = known_extras(pyproject_text)
    unknown = [extra for extra in wanted if extra not in allowed]
    if unknown:
        print(
            f"setup: unknown extra {', '.join(unknown)}; allowed: {', '.join(allowed)}",
            file=sys.stderr,
        )
        return BAD_INPUT
    stamp_text = stamp_path.read_text(encoding="utf-8") if stamp_path.is_file() else None
    if command == "write":  # after pip succeeded with exactly these extras
        stamp_path.write_text(stamp_record(pyproject_text, wanted), encoding="utf-8")
        return UP_TO_DATE
    extras = plan(stamp_text, pyproject_text, wanted)
    if extras is None:
        return UP_TO_DATE
    print(",".join(extras))
    return INSTALL


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
