"""Source hygiene: no stray control characters (a "\\f" in a non-raw LaTeX string becomes a
form feed and silently breaks the equation on the page), and the layering of the packages:
pages → ui → explorer/trainer → torch, so ui/ never imports torch (its computations live in
the library) and trainer/ never imports Streamlit (explorer/: tests/test_plots.py)."""
import ast
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


def imported_roots(path) -> set[str]:
    """The top-level package of every import statement in one source file."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_imported_roots_sees_both_import_forms(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import torch.nn as nn\nfrom streamlit.testing import v1\nfrom . import x\n")
    assert imported_roots(src) == {"torch", "streamlit"}


def test_ui_never_imports_torch():
    files = sorted((ROOT / "ui").glob("*.py"))
    assert files
    assert [str(p.relative_to(ROOT)) for p in files if "torch" in imported_roots(p)] == []


def test_trainer_never_imports_streamlit():
    files = sorted((ROOT / "trainer").rglob("*.py"))
    assert files
    assert [str(p.relative_to(ROOT)) for p in files if "streamlit" in imported_roots(p)] == []
