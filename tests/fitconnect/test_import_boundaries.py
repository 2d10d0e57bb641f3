"""Import boundaries, read from the source with ``ast``.

The sandbox is a test tool: only tests and its management command import it. The
``fitconnect`` library knows nothing of the portal's apps or database, and the sandbox
nothing of Django at all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = "fitconnect.sandbox"
SANDBOX_COMMAND = ROOT / "checklist" / "management" / "commands" / "fitconnect_sandbox.py"
DYNAMIC_IMPORTS = {"import_module", "__import__"}


def python_files(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Return every module a file imports, with relative imports made absolute.

    ``from a import b`` yields ``a`` and ``a.b``, since ``b`` may be a module; a call of
    ``import_module("x")`` or ``__import__("x")`` with a literal yields ``x``.
    """
    # The package relative imports start from: the parent of a module, and of __init__.
    package = list(path.relative_to(root).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            first = node.args[0]
            if name in DYNAMIC_IMPORTS and isinstance(first, ast.Constant):
                found.add(str(first.value))
    return found


def violations(files: Iterator[Path], *forbidden: str) -> list[str]:
    """Return "file imports module" for each import of a forbidden module or submodule."""
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imports(path))
        if any(name == module or name.startswith(module + ".") for module in forbidden)
    ]


def test_the_scanner_sees_absolute_relative_and_dynamic_imports(tmp_path: Path) -> None:
    assert SANDBOX in imports(SANDBOX_COMMAND)
    server = ROOT / "fitconnect" / "sandbox" / "server.py"
    assert {"fitconnect.sandbox.app", "fitconnect.sandbox.fachverfahren"} <= imports(server)
    init = ROOT / "fitconnect" / "sandbox" / "__init__.py"
    assert "fitconnect.sandbox.server.Sandbox" in imports(init)
    assert "checklist.models" in imports(ROOT / "checklist" / "admin.py")
    module = tmp_path / "pkg" / "sub" / "mod.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "import importlib\nfrom .. import sibling\nimportlib.import_module('fitconnect.sandbox')\n"
    )
    assert {"pkg.sibling", SANDBOX} <= imports(module, root=tmp_path)


def test_only_tests_and_the_sandbox_command_import_the_sandbox() -> None:
    files = [
        path
        for path in python_files("portal", "checklist", "fitconnect")
        if path != SANDBOX_COMMAND and (ROOT / "fitconnect" / "sandbox") not in path.parents
    ]
    assert files
    assert violations(iter(files), SANDBOX) == []


def test_the_fitconnect_library_imports_no_database_and_no_portal_app() -> None:
    assert violations(python_files("fitconnect"), "django.db", "checklist", "portal") == []


def test_the_sandbox_imports_no_django() -> None:
    assert violations(python_files("fitconnect/sandbox"), "django") == []
