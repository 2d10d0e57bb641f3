"""The house rules of the layout: one home per concern, views that only call services."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portal", "checklist", "notifications", "api", "fitconnect", "watch")
MAX_LINES = 600


def _modules(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_is_longer_than_600_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in _modules(package)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_portal_is_a_base_that_imports_nothing_from_checklist_or_api() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules("portal")
        if any(name.split(".")[0] in ("checklist", "api") for name in _imports(path))
    ]
    assert offenders == []


def test_checklist_does_not_depend_on_the_api() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules("checklist")
        if any(name.split(".")[0] == "api" for name in _imports(path))
    ]
    assert offenders == []


def test_portal_imports_nothing_from_notifications() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules("portal")
        if any(name.split(".")[0] == "notifications" for name in _imports(path))
    ]
    assert offenders == []


def test_views_write_only_through_services() -> None:
    writes = re.compile(r"\.save\(|\.objects\.create\(|\.delete\(|\baudit(_changes)?\(")
    views = [
        *(ROOT / "checklist").glob("*views.py"),
        ROOT / "notifications" / "views.py",
        ROOT / "watch" / "views.py",
    ]
    assert len(views) >= 5
    for path in views:
        assert not writes.findall(path.read_text(encoding="utf-8")), path.name


def test_no_tracked_file_refers_to_a_path_outside_the_repository() -> None:
    """The FITKO facts and specs the code relies on live in the repository (docs/, the
    sandbox's specs); a path into the workplace's shared folder exists on no user's machine."""
    outside = re.compile(r"\.\./" + "shared" + r"|\b" + "shared" + r"/(reference|specs)/")
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    offenders = []
    for name in filter(None, tracked):
        path = ROOT / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files (the compiled catalogue, images) and deleted files
        offenders += [
            f"{name}:{number}"
            for number, line in enumerate(text.splitlines(), 1)
            if outside.search(line)
        ]
    assert offenders == []


def test_no_module_imports_another_modules_private_names() -> None:
    """What a module shares is public; ``_name`` stays inside its module (tests, migrations
    and the packages' own ``__init__`` aside)."""
    offenders = []
    for package in (*PACKAGES, "bench"):
        for path in _modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    first_party = node.module.split(".")[0] in (*PACKAGES, "bench")
                    private = [
                        a.name
                        for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")
                    ]
                    if first_party and private:
                        offenders.append(f"{path.relative_to(ROOT)}: {node.module} {private}")
    assert offenders == []


def test_item_kinds_are_asked_never_compared_as_strings() -> None:
    """How an item becomes done lives in ``checklist.kinds``: code and templates ask the kind
    (``item.kind.tickable``, ``{% include item.kind.template %}``), they never compare its
    name (the catalogue's loader reads the JSON's ``completion`` once)."""
    compared = re.compile(
        r"""\.completion\b|\bkind\.name\s*(==|!=|\bin\b)|["'](manual|check|data|signoff)["']\s*(==|!=)"""
    )
    allowed = {ROOT / "checklist" / "kinds.py"}
    files = [
        path for package in PACKAGES for path in _modules(package) if path not in allowed
    ] + list((ROOT / "templates").rglob("*.html"))
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if compared.search(line)
    ]
    assert offenders == []


def _first_party_imports(module: str) -> set[str]:
    """The project's modules ``module`` imports at its top (``from checklist import x``
    counted as ``checklist.x``): what importing it runs."""
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        return set()
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in PACKAGES and name != module}


def test_a_step_page_and_its_pdf_are_built_without_any_view_or_the_workers_tasks() -> None:
    """What builds a step page is what the PDF export builds too: it must be importable on
    its own, without the views (which start the worker's tasks, which run the export,
    which builds step pages: an import cycle)."""
    seen: set[str] = set()
    todo = ["checklist.presentation", "checklist.export"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_first_party_imports(module))
    views = sorted(m for m in seen if m.rsplit(".", 1)[-1].endswith("views"))
    assert views == []
    assert "checklist.tasks" not in seen
