"""The installed package must carry every module, the page, the question bank and migrations."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("server", "benchmarks")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "server.web" in listed and (ROOT / "web" / "index.html").exists()


def _core_distributions() -> set[str]:
    """The distributions `pip install .` brings: the core dependencies and theirs, no extras."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(text) for text in project["dependencies"]]
    found: set[str] = set()
    while todo:
        wanted = todo.pop()
        name = canonicalize_name(wanted.name)
        if name in found:
            continue
        found.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:  # an environment marker kept it out
            requires = []
        for text in requires:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(
                marker.evaluate({"extra": extra}) for extra in {"", *wanted.extras}
            ):
                todo.append(requirement)
    return found


def _imported_modules(path: Path) -> set[str]:
    """Top-level names of the modules `path` imports (anywhere in it, lazily too)."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_the_benchmark_runs_on_the_core_dependencies() -> None:
    # `pip install . && podium bench` must work: only the plots may need an extra (`bench`).
    import sys
    from importlib import metadata

    from packaging.utils import canonicalize_name

    optional = {ROOT / "benchmarks" / "plots.py"}
    imported = set().union(
        *(_imported_modules(p) for p in (ROOT / "benchmarks").glob("*.py") if p not in optional)
    )
    third_party = imported - set(sys.stdlib_module_names) - {"benchmarks", "server", "__future__"}
    providers = metadata.packages_distributions()
    core = _core_distributions()
    missing = {
        module: providers.get(module, ["(not installed)"])
        for module in third_party
        if not {canonicalize_name(d) for d in providers.get(module, [])} & core
    }
    assert not missing, f"the benchmark imports modules outside the core dependencies: {missing}"
