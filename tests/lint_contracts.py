"""Import-linter contract types of our own; setup.cfg's [importlinter] `contract_types` names them.

import-linter sees which modules import which, not which names: `from flask import current_app` and
`from flask import request` are the same import of `flask` to it. ForbiddenNamesContract reads the
modules' source with `ast` and refuses names, so a service can use the app's config but never the request.
"""
from __future__ import annotations

import ast
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True)
class NameUse:
    path: str
    line: int
    name: str  # the forbidden name, dotted: "flask.request"
    how: str  # how the module reached it: "from flask import request"


def _matches(dotted: str, forbidden: str) -> bool:
    """`flask.request` also forbids it where flask's own modules define it (`flask.globals.request`)."""
    package, _, name = forbidden.rpartition(".")
    return dotted == forbidden or (dotted.startswith(package + ".") and dotted.endswith("." + name))


def _dotted(node: ast.expr) -> str | None:
    """`flask.globals.request` → "flask.globals.request"; None unless the chain starts at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def forbidden_uses(source: str, forbidden: list[str], path: str = "<source>") -> list[NameUse]:
    """Every place `source` imports one of the `forbidden` names, or reaches it as an attribute of an
    imported module (`import flask` … `flask.request`), including imports inside functions."""
    tree = ast.parse(source, filename=path)
    uses = _imported(tree, forbidden, path) + _reached(tree, forbidden, path)
    return sorted(set(uses), key=lambda use: (use.path, use.line, use.name))


def _imported(tree: ast.AST, forbidden: list[str], path: str) -> list[NameUse]:
    """`from flask import request`, `from flask.globals import request`, `from flask import *`."""
    packages = {name.rpartition(".")[0] for name in forbidden}
    uses = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
            continue
        for alias in node.names:
            how = f"from {node.module} import {alias.name}"
            if alias.name == "*" and any(node.module == p or node.module.startswith(p + ".") for p in packages):
                uses.append(NameUse(path, node.lineno, f"{node.module}.*", how))
            uses.extend(NameUse(path, node.lineno, name, how) for name in forbidden
                        if _matches(f"{node.module}.{alias.name}", name))
    return uses


def _reached(tree: ast.AST, forbidden: list[str], path: str) -> list[NameUse]:
    """`import flask` (or `import flask as f`) and then `flask.request` (`f.request`)."""
    modules: dict[str, str] = {}  # local name → the module bound to it
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                modules[local] = alias.name if alias.asname else local
    uses = []
    for node in ast.walk(tree):
        dotted = _dotted(node) if isinstance(node, ast.Attribute) else None
        root, _, rest = (dotted or "").partition(".")
        if root in modules and rest:
            uses.extend(NameUse(path, node.lineno, name, dotted) for name in forbidden
                        if _matches(f"{modules[root]}.{rest}", name))
    return uses


def _source_path(module: str) -> Path:
    """The file of a module of the root package, found without importing the package."""
    root, *parts = module.split(".")
    spec = importlib.util.find_spec(root)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"Cannot find the package {root}.")
    base = Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


class ForbiddenNamesContract(Contract):
    """Some modules must not use some names of other packages.

    Options:
        - source_modules:  module expressions (wildcards allowed); a package includes its modules.
        - forbidden_names: dotted names, e.g. `flask.request`.
        - broken_contract_guidance: shown after the violations (optional).
    """

    type_name = "forbidden_names"

    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_names = fields.ListField(subfield=fields.StringField())
    broken_contract_guidance = fields.TextField(required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        modules = set()
        for expression in self.source_modules:
            for module in graph.find_matching_modules(expression):
                modules |= {module, *graph.find_descendants(module)}
        uses = []
        for module in sorted(modules):
            path = _source_path(module)
            shown = os.path.relpath(path)
            uses.extend(forbidden_uses(path.read_text(encoding="utf-8"), self.forbidden_names, path=shown))
        output.verbose_print(verbose, f"Read {len(modules)} modules for forbidden names.")
        return ContractCheck(kept=not uses, metadata={"uses": uses, "modules": len(modules)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for use in check.metadata["uses"]:
            output.print_error(f"{use.path}:{use.line}: {use.name} is forbidden here ({use.how})", bold=False)
        output.new_line()
        if self.broken_contract_guidance:
            output.print(self.broken_contract_guidance)
