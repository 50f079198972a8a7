"""The package's import graph, read from the source with `ast` (nothing is imported), and its layers.

    python scripts/import_graph.py          # the layer picture docs/*/architecture.md shows

Layers, lowest first: a module may import its own layer and the layers below it, never one above.
A chapter folder (course/NN_name/) may use the course's own modules (the registry, the kit), never another
chapter's folder. Function-local
imports count too (the CLI imports its commands lazily, and those edges must point down as well).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "torchstart"

# (layer name, module prefixes in it), lowest first
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("_version", "i18n", "errors")),
    ("files + config", ("files", "folder_lock", "config")),
    ("device + models", ("device", "precision", "models")),
    ("data", ("data",)),
    ("training", ("training",)),
    ("use a model", ("course_import", "inference", "export", "explain")),
    ("course", ("course",)),
    ("exercises", ("exercises",)),
    ("tools", ("tools",)),
    ("cli", ("cli", "__main__")),
)


def chapter_of(module: str) -> str | None:
    """'course.09_conv' for course.09_conv.checks; None outside the chapter folders."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 and parts[0] == "course" and parts[1][:2].isdigit() else None


def module_name(path: Path) -> str:
    """'training.engine' for src/torchstart/training/engine.py, 'data' for data/__init__.py ('' = the package)."""
    parts = list(path.relative_to(SRC / PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The torchstart modules a `from … import …` names (relative or absolute), without the package prefix."""
    if node.level:
        base = module.split(".") if module else []
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
        target = ".".join([*base, *([node.module] if node.module else [])])
    elif node.module and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
        target = node.module[len(PACKAGE) + 1:]
    else:
        return []
    # `from . import distributed` imports a submodule; `from .x import name` imports module x
    return [f"{target}.{alias.name}".strip(".") for alias in node.names] + [target]


def imports_of(path: Path) -> set[str]:
    """The torchstart modules `path` imports, anywhere in the file."""
    module, is_package = module_name(path), path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.update(_resolve(node, module, is_package))
        elif isinstance(node, ast.Import):
            found.update(a.name[len(PACKAGE) + 1:] for a in node.names if a.name.startswith(PACKAGE + "."))
    return found


def graph() -> dict[str, set[str]]:
    """module → the package's modules it imports (names that are not modules, e.g. functions, dropped)."""
    files = {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}
    return {module: {m for m in imports_of(path) if m in files and m != module} for module, path in files.items()}


def layer_of(module: str) -> int:
    """Index into LAYERS; the package's own __init__ ('') sits on top (it re-exports lazily)."""
    if module == "":
        return len(LAYERS)
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise ValueError(f"module {module!r} is in no layer: add it to LAYERS in scripts/import_graph.py")


def violations(edges: dict[str, set[str]]) -> list[str]:
    """Every import that points up a layer, or from one lesson to another."""
    found = []
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(module):
                found.append(f"{module} imports {target}, a higher layer")
            if chapter_of(module) and chapter_of(target) and chapter_of(module) != chapter_of(target):
                found.append(f"chapter {module} imports chapter {target}")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles (each as the modules on it), found by depth-first search."""
    found, state = [], {}  # state: 1 = on the current path, 2 = done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                found.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return found


def short_names(members: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """A layer's modules as the picture shows them: a package as `name/` followed by its modules' short names,
    a package inside it as `sub/` (once), a plain module as it is: ['training/', 'build', …, 'checks/', …]."""
    names = []
    for module in members:
        prefix = next((p for p in prefixes if module == p or module.startswith(p + ".")), module)
        if module == prefix:
            names.append(f"{module}/" if any(m.startswith(module + ".") for m in members) else module)
            continue
        first = module[len(prefix) + 1:].split(".")[0]
        names.append(f"{first}/" if any(m.startswith(f"{prefix}.{first}.") for m in members) else first)
    return list(dict.fromkeys(names))


def layer_picture(edges: dict[str, set[str]], width: int = 100) -> str:
    """The layers, top first, each with its modules and the layers it imports from (read from the source)."""
    lines = []
    for index in reversed(range(len(LAYERS))):
        name, prefixes = LAYERS[index]
        members = short_names(sorted(m for m in edges if m and layer_of(m) == index), prefixes)
        below = sorted({layer_of(t) for m in edges if m and layer_of(m) == index for t in edges[m]
                        if layer_of(t) < index}, reverse=True)
        row, indent = f"{name:<16}", " " * 16
        for word in members:
            if len(row) + len(word) + 1 > width and row.strip():
                lines.append(row.rstrip())
                row = indent
            row += word + " "
        lines.append(row.rstrip())
        if below:
            lines.append(f"{indent}└─ imports: {', '.join(LAYERS[i][0] for i in below)}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(layer_picture(graph()))
