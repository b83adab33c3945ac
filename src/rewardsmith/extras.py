"""Which optional dependencies (pip extras) a reward needs, found without running it.

Rewards import their optional libraries inside the function that uses them (CONTRIBUTING: no heavy import
at module level), so a spec loads even when, say, sacrebleu is missing, and every row would then error.
``missing_modules(target)`` reads the reward's source (``ast``, nothing imported or run), follows the
functions and classes it calls (in its own module and in other ``rewardsmith`` modules) and returns the
modules imported on that path that are not installed; an import guarded by ``except ImportError`` is
optional and left out. ``extra_for(module)`` names the ``rewardsmith[...]`` extra that provides a module,
read from the installed package's own metadata (``pyproject.toml``'s optional dependencies).

>>> extra_for("sacrebleu"), extra_for("rouge_score"), extra_for("no_such_module_xyz")
('text', 'text', None)
>>> install_hint("sacrebleu")
"pip install 'rewardsmith[text]'"
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@lru_cache(maxsize=1)
def extras_table() -> dict[str, str]:
    """Normalised distribution name -> the first extra (other than ``all``) that lists it."""
    requirements: list[str] = []
    try:
        from importlib.metadata import PackageNotFoundError, requires

        requirements = list(requires("rewardsmith") or [])
    except PackageNotFoundError:
        pass
    if not requirements:  # a source checkout that was never installed: read pyproject.toml
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        if pyproject.is_file():
            import tomllib

            extras = tomllib.loads(pyproject.read_text()).get("project", {}).get("optional-dependencies", {})
            requirements = [f'{req}; extra == "{extra}"' for extra, reqs in extras.items() for req in reqs]
    table: dict[str, str] = {}
    for req in requirements:
        marker = _EXTRA.search(req)
        name = _REQ_NAME.match(req)
        if marker and name and marker.group(1) != "all" and not name.group(1).startswith("rewardsmith"):
            table.setdefault(_norm(name.group(1)), marker.group(1))
    return table


def extra_for(module: str) -> str | None:
    """The ``rewardsmith[...]`` extra whose distribution provides the top-level ``module`` (by name)."""
    return extras_table().get(_norm(module.split(".")[0]))


def install_hint(module: str) -> str:
    """What to run to get ``module``."""
    extra = extra_for(module)
    return f"pip install 'rewardsmith[{extra}]'" if extra else f"pip install {module.split('.')[0]}"


def is_installed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def missing_modules(target: Any) -> list[str]:
    """Top-level modules imported on the code path of ``target`` (a reward function or class) that are not
    installed, in the order found."""
    module = getattr(target, "__module__", None)
    name = getattr(target, "__qualname__", getattr(target, "__name__", "")).split(".")[0]
    if not module or not name:
        return []
    missing: list[str] = []
    for mod in _reached_imports(module, name):
        if mod not in missing and not is_installed(mod):
            missing.append(mod)
    return missing


# ----------------------------------------------------------------------------------------- source walk


class _ModuleInfo:
    """A parsed module: its top-level definitions and the names its top level imports from rewardsmith."""

    def __init__(self, tree: ast.Module, package: str) -> None:
        self.package = package
        self.defs: dict[str, ast.AST] = {}
        self.imported: dict[str, tuple[str, str]] = {}  # local name -> (rewardsmith module, attribute)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = node
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                if base and base.split(".")[0] == "rewardsmith":
                    for alias in node.names:
                        self.imported[alias.asname or alias.name] = (base, alias.name)


def _absolute(node: ast.ImportFrom, package: str) -> str | None:
    if not node.level:
        return node.module
    parts = package.split(".")
    if node.level - 1 > len(parts):
        return None
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


@lru_cache(maxsize=256)
def _parse(module: str) -> _ModuleInfo | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    try:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    package = module if spec.submodule_search_locations else module.rpartition(".")[0]
    return _ModuleInfo(tree, package)


class _Walker(ast.NodeVisitor):
    """The imports a definition always makes when it runs, and the names it always uses.

    Only what runs on every call counts: an import or call under ``if``, a loop, an ``except`` handler, a
    conditional expression, the right side of ``and``/``or`` or a nested function depends on the params or
    the data (``overlong_penalty`` loads a tokenizer only when given one), and an import under
    ``try: ... except ImportError`` is optional by design."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.imports: list[tuple[str, str | None]] = []  # (module, imported attribute or None)
        self.names: set[str] = set()
        self._skip = 0  # > 0 inside code that may not run

    def walk_definition(self, node: ast.AST) -> None:
        """The body of a function, or ``__init__`` and ``__call__`` of a class (decorators left out)."""
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in ("__init__", "__call__"):
                    self.walk_definition(item)
            return
        self.block(getattr(node, "body", []))

    def block(self, stmts: list[ast.stmt]) -> None:
        """Statements in order; after one that may return (an ``if`` that returns early, as when a param picks
        a cheaper path) the rest may not run. An ``if`` that only raises is a guard on bad input: the rest
        runs on every good call."""
        exits = 0
        for stmt in stmts:
            self.visit(stmt)
            if not exits and not isinstance(stmt, ast.Return) and _may_leave(stmt):
                exits = 1
                self._skip += 1
        self._skip -= exits

    def _maybe(self, *parts: ast.AST | list[ast.AST]) -> None:
        self._skip += 1
        for part in parts:
            for n in part if isinstance(part, list) else [part]:
                self.visit(n)
        self._skip -= 1

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        self._maybe(node.body, node.orelse)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._maybe(node.body, node.orelse)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self._maybe(node.body, node.orelse)

    def visit_Try(self, node: ast.Try) -> None:
        if any(_catches_import_error(h) for h in node.handlers):
            self._maybe(node.body)
        else:
            for stmt in node.body:
                self.visit(stmt)
        self._maybe(list(node.handlers), node.orelse)
        for stmt in node.finalbody:
            self.visit(stmt)

    visit_TryStar = visit_Try  # type: ignore[assignment]

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        self._maybe(list(node.cases))

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.test)
        self._maybe(node.body, node.orelse)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.visit(node.values[0])
        self._maybe(node.values[1:])

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._maybe(node.body if isinstance(node.body, list) else [node.body])

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]
    visit_Lambda = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._maybe(node.body)

    def visit_Import(self, node: ast.Import) -> None:
        if not self._skip:
            self.imports.extend((alias.name, None) for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _absolute(node, self.package)
        if base and not self._skip:
            self.imports.extend((base, alias.name) for alias in node.names)

    def visit_Name(self, node: ast.Name) -> None:
        if not self._skip:
            self.names.add(node.id)


def _may_leave(stmt: ast.stmt) -> bool:
    """Whether a compound statement holds a ``return`` (outside nested definitions)."""
    todo: list[ast.AST] = list(ast.iter_child_nodes(stmt))
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Return):
            return True
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))
    return False


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id in _GUARDS for k in kinds)


def _reached_imports(module: str, name: str, limit: int = 400) -> Iterator[str]:
    """Third-party top-level modules that ``module.name`` always imports when it runs, directly or through the
    functions and classes it always calls (followed into other ``rewardsmith`` modules)."""
    seen: set[tuple[str, str]] = set()
    todo = [(module, name)]
    while todo and len(seen) < limit:
        mod, attr = todo.pop()
        if (mod, attr) in seen:
            continue
        seen.add((mod, attr))
        info = _parse(mod)
        if info is None:
            continue
        node = info.defs.get(attr)
        if node is None:
            if attr in info.imported:
                todo.append(info.imported[attr])
            continue
        walker = _Walker(info.package)
        walker.walk_definition(node)
        for imported, what in walker.imports:
            if imported.split(".")[0] == "rewardsmith":
                if what is not None:
                    todo.append((imported, what))
            else:
                yield imported.split(".")[0]
        for ref in walker.names:
            if ref in info.defs:
                todo.append((mod, ref))
            elif ref in info.imported:
                todo.append(info.imported[ref])
