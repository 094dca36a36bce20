"""``python -m benchmark models``: the registered submissions, their targets and arguments.

Nothing is imported to build the listing: each target's class is read from its
module's source (``args_help`` and the docstring are literals there), so a
submission whose module pulls in torch or transformers is listed as cheaply as
the built-in baselines, and a broken one is listed with the reason.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import sys
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from benchmark.cliargs import print_json
from benchmark.core.submission import submissions

__all__ = ["ModelInfo", "add_parser", "describe", "list_models", "run"]


@dataclass
class ModelInfo:
    """One registered submission, described without importing it."""

    name: str
    target: str
    source: str  # "built-in" or "entry point (DIST)"
    description: str = ""
    args: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why the description could not be read, if it could not


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "models", help="list the registered submissions (for --model) and their arguments",
        description="List every submission --model accepts: the built-ins and those that "
                    "installed packages add through the 'jepa_manim.submissions' entry-point "
                    "group, with where each lives and the --model-arg k=v pairs it takes. "
                    "Nothing is imported to do so.")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    return p


def _class_node(target: str) -> tuple[ast.ClassDef | None, ast.Module | None, str]:
    module, _, attr = target.partition(":")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return None, None, f"cannot find module {module}: {exc}"
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None, None, f"cannot find the source of module {module}"
    try:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        return None, None, f"cannot read {spec.origin}: {exc}"
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == attr:
            return node, tree, ""
    return None, tree, f"no class {attr} at the top of {module}"


def _args_help(node: ast.ClassDef) -> dict[str, str]:
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign | ast.Assign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "args_help" for t in targets):
                try:
                    value = ast.literal_eval(stmt.value) if stmt.value is not None else {}
                except ValueError:
                    return {}
                return {str(k): str(v) for k, v in value.items()} if isinstance(
                    value, dict) else {}
    return {}


def describe(name: str, target: str, source: str) -> ModelInfo:
    """What the listing shows for one name, read from the target's source."""
    info = ModelInfo(name, target, source)
    node, module, problem = _class_node(target)
    info.problem = problem
    doc = (ast.get_docstring(node) if node is not None else None) or (
        ast.get_docstring(module) if module is not None else None) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    info.description = first.removeprefix(f"``{name}``: ")
    if node is not None:
        info.args = _args_help(node)
    return info


def list_models() -> list[ModelInfo]:
    """Every registered submission, sorted by name."""

    dists = {}
    if submissions.group is not None:
        for ep in entry_points(group=submissions.group):
            dist = getattr(ep, "dist", None)
            dists[(ep.name, ep.value)] = dist.name if dist is not None else "?"
    out = []
    for name in submissions.names():
        target = submissions.target(name)
        dist = dists.get((name, target))
        out.append(describe(name, target, "built-in" if dist is None
                            else f"entry point ({dist})"))
    return out


def run(args: argparse.Namespace) -> int:
    models = list_models()
    if args.json:
        print_json({"models": [asdict(m) for m in models]})
        return 0
    out = sys.stdout
    width = max(len(m.name) for m in models) if models else 0
    for m in models:
        out.write(f"{m.name:<{width}}  {m.target}  [{m.source}]\n")
        if m.description:
            out.write(f"{'':<{width}}  {m.description}\n")
        if m.problem:
            out.write(f"{'':<{width}}  (cannot describe: {m.problem})\n")
        for key, text in m.args.items():
            out.write(f"{'':<{width}}    --model-arg {key}=…  {text}\n")
    out.write("\nUse one with: python -m benchmark run --model NAME [--model-arg KEY=VALUE]\n")
    return 0
