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


KINDS = {"gaussian", "categorical", "dvae", "vqvae"}
REGISTRY_MODULES = ROOT / "explorer" / "models"  # each family module declares its own kind


def _strings(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return set()


def kind_comparisons(path):
    """Lines of `path` comparing something with a latent-kind name (==, !=, in), except a
    distribution family of the estimators (`family == "categorical"`: normal, bernoulli or
    categorical q in explorer.estimators, not a latent family)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        if not any(_strings(o) & KINDS for o in operands):
            continue
        others = [ast.unparse(o) for o in operands if not _strings(o)]
        if others and all(o.split(".")[-1] in ("family", "dist_family") for o in others):
            continue
        hits.append(f"{path.name if ROOT not in path.parents else path.relative_to(ROOT)}:"
                    f"{node.lineno}: {ast.unparse(node)}")
    return hits


def test_only_the_registry_compares_latent_kind_strings():
    hits = []
    for folder in ("explorer", "trainer", "ui", "app_pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if REGISTRY_MODULES not in path.parents:
                hits += kind_comparisons(path)
    hits += kind_comparisons(ROOT / "app.py")
    assert not hits, "\n".join(hits)


def test_the_kind_check_finds_a_comparison(tmp_path):
    probe = tmp_path / "kind_probe.py"
    probe.write_text('def f(spec, family):\n    return (spec.model == "vqvae" or "dvae" in '
                     '(spec.model,) or family == "categorical")\n')
    assert len(kind_comparisons(probe)) == 2  # the estimators' `family` is not a latent kind


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module → the project modules it imports (anywhere in the file, deferred ones too)."""
    files = {_module_name(p): p for folder in ("explorer", "trainer", "ui")
             for p in (ROOT / folder).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                            for a in node.names}
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_the_import_graph_has_no_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "\n".join(cycles)


def test_the_cycle_check_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a → b → c → a"]


def test_no_library_module_is_over_300_lines():
    long = [f"{p.relative_to(ROOT)}: {n}" for folder in ("explorer", "trainer")
            for p in (ROOT / folder).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 320]
    assert not long, long


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


def test_the_app_server_computes_with_one_torch_thread():
    """app.py sets OMP_NUM_THREADS=1 before anything imports torch (unless it is set)."""
    import os
    import subprocess
    import sys

    code = ("import runpy, sys; src = open('app.py').read().split('import streamlit')[0];"
            "exec(src); import torch; print(torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "1", out.stderr
