"""Source hygiene: no stray control characters (a "\\f" in a non-raw LaTeX string becomes a
form feed and silently breaks the equation on the page)."""
import re

from .conftest import ROOT

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def test_no_control_characters_in_python_sources():
    bad = []
    for path in sorted(ROOT.glob("**/*.py")):
        if ".venv" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CONTROL.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{number}")
    assert not bad, bad
