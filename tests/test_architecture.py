"""The import contract: tiers, siblings, private names, standalone code, module sizes.

The rules (docs/architecture.md explains them):

* tiers, lowest first — core (``benchmark.core``), harness (the rest of
  ``benchmark``), submissions (``baselines``, ``jepa_model``), apps
  (``human_eval``, ``leaderboard``); a module imports only its own tier or lower
  ones.  The harness reaches submissions through the registry's lazy names only.
* the two submission packages never import each other;
* no module imports a ``_private`` name from outside the package that owns it;
* the project's own imports sit at the top of a module; an import inside a
  function is allowed only where it defers a heavy optional package, listed in
  ``DEFERRED`` with the reason;
* code that runs where the project cannot be imported (the sandbox runtime, the
  ManimGL driver) imports nothing from the project but its own siblings;
* no file over 400 lines and no function over 80.

The check reads the source with ``ast``; it imports nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("benchmark", "baselines", "jepa_model", "human_eval", "leaderboard")
TIERS = {"core": 0, "harness": 1, "submissions": 2, "apps": 3}
SIBLINGS = {"baselines", "jepa_model"}
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80

#: code that runs outside the project's environment: it may import only its own folder
STANDALONE = ("benchmark/sandbox/runtime/", "benchmark/suites/threeb1b/gl_driver")

#: in-function imports of project modules that defer a heavy optional package
#: (importer module -> imported module prefix: why)
DEFERRED: dict[tuple[str, str], str] = {
    ("jepa_model.submission", "jepa_model."): "torch: `--model jepa` lists its arguments "
                                              "without torch",
    ("jepa_model.__main__", "jepa_model.train"): "torch: `python -m jepa_model --help` and "
                                                 "`export-checkpoint` run without it",
    ("jepa_model.__main__", "jepa_model.bench"): "torch",
    ("jepa_model.__main__", "jepa_model.probe"): "torch",
    ("jepa_model.__main__", "jepa_model.pack"): "torch",
    ("jepa_model.__main__", "jepa_model.finetune"): "torch",
    ("jepa_model.__main__", "jepa_model.checkpoint"): "torch",
    ("benchmark.results", "benchmark.store"): "not heavy: an import cycle (the store's rows "
                                              "are benchmark.results records)",
    ("human_eval.cli", "human_eval.app"): "gradio: only `serve` needs it",
    ("benchmark.store._renders", "benchmark.sandbox"): "reading a database (benchmark.results, "
                                                       "the leaderboard) never imports the "
                                                       "sandbox package",
    ("jepa_model.frames", "jepa_model.masks"): "torch: jepa_model.data (and so `--model "
                                               "jepa`) imports frames without torch",
}


def tier(module: str) -> str:
    top = module.split(".")[0]
    if top == "benchmark":
        return "core" if module.startswith("benchmark.core") else "harness"
    return "submissions" if top in SIBLINGS else "apps"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    path: Path
    line: int
    target: str  # the imported module, or module.name for `from m import name`
    module: str  # the imported module itself
    in_function: bool


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    source = _module_name(path)
    is_pkg = path.name == "__init__.py"
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested.update(id(n) for n in ast.walk(node) if isinstance(n, (ast.Import,
                                                                          ast.ImportFrom)))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            pairs = [(a.name, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = source.split(".") if is_pkg else source.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            pairs = [(f"{base}.{a.name}", base) for a in node.names]
        else:
            continue
        for target, module in pairs:
            if target.split(".")[0] in PACKAGES:
                out.append(Import(source, path, node.lineno, target, module,
                                  id(node) in nested))
    return out


ALL = [imp for p in _sources() for imp in _imports(p)]


def _where(imp: Import) -> str:
    return f"{imp.path.relative_to(ROOT)}:{imp.line} imports {imp.target}"


def test_tiers_only_import_downwards() -> None:
    bad = [_where(i) for i in ALL
           if TIERS[tier(i.module)] > TIERS[tier(i.source)]]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_submissions_never_import_each_other() -> None:
    bad = [_where(i) for i in ALL
           if {i.source.split(".")[0], i.module.split(".")[0]} == SIBLINGS]
    assert not bad, "sibling imports:\n" + "\n".join(bad)


def test_no_private_names_across_packages() -> None:
    bad = []
    for i in ALL:
        own = i.source if i.path.name == "__init__.py" else i.source.rpartition(".")[0]
        parts = i.target.split(".")
        for k, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                # a private module belongs to the package that holds it; a private name
                # in a module, to that module's package
                owner = ".".join(parts[:k])
                if k == len(parts) - 1 and i.target != i.module:
                    owner = i.module.rpartition(".")[0]
                if not (own == owner or own.startswith(owner + ".")):
                    bad.append(_where(i))
                break
    assert not bad, "private names imported from outside their package:\n" + "\n".join(bad)


def test_project_imports_are_at_module_top() -> None:
    bad = [_where(i) for i in ALL if i.in_function and not any(
        i.source == src and i.module.startswith(prefix) for src, prefix in DEFERRED)]
    assert not bad, ("project imports inside functions (move them to the top, or list a "
                     "heavy-package reason in DEFERRED):\n" + "\n".join(bad))


def test_standalone_code_imports_nothing_of_the_project() -> None:
    bad = []
    for i in ALL:
        rel = i.path.relative_to(ROOT).as_posix()
        home = next((s for s in STANDALONE if rel.startswith(s)), None)
        if home is not None and not i.module.startswith(home.rstrip("/").replace("/", ".")):
            bad.append(_where(i))
    assert not bad, "standalone code importing the project:\n" + "\n".join(bad)


def _sizes(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    out = []
    if text.count("\n") > MAX_FILE_LINES:
        out.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > MAX_FUNCTION_LINES:
                out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {n} lines")
    return out


def _all_python() -> list[Path]:
    """The project's modules, its tests and scripts; generated data and the scene corpus
    (real Manim scenes kept verbatim) are exempt."""
    exempt = ("tests/data/", "tests/fixtures/")
    paths = [*_sources(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]
    return sorted(p for p in set(paths) if "__pycache__" not in p.parts
                  and not p.relative_to(ROOT).as_posix().startswith(exempt))


@pytest.mark.parametrize("path", _all_python(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_sizes(path: Path) -> None:
    too_big = _sizes(path)
    assert not too_big, f"over {MAX_FILE_LINES} lines per file or {MAX_FUNCTION_LINES} per " \
                        "function:\n" + "\n".join(too_big)


def test_the_contract_sees_the_code() -> None:
    """The checks above are only as good as the import scan: it must find real edges."""
    sources = {i.source for i in ALL}
    assert {"benchmark.core.tasks", "baselines.template", "jepa_model.train",
            "leaderboard.collect", "human_eval.app"} <= sources
    assert any(i.module == "benchmark.core.tasks" and tier(i.source) == "submissions"
               for i in ALL)
