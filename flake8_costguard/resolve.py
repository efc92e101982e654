"""What an import names: relative imports and ``importlib`` names resolved to absolute modules."""

from __future__ import annotations

__all__ = ["package_of", "resolve_from_module", "resolve_import_module_name"]


def package_of(importer: str, is_package: bool) -> str:
    """The package relative imports in ``importer`` are resolved against (``__package__``)."""
    return importer if is_package else importer.rpartition(".")[0]


def _up(package: str, level: int) -> str | None:
    """``package`` with ``level - 1`` trailing components removed; None beyond the top."""
    if not package:
        return None
    parts = package.split(".")
    if level - 1 >= len(parts):
        return None
    return ".".join(parts[: len(parts) - (level - 1)])


def resolve_from_module(importer: str, is_package: bool, level: int, module: str | None) -> str | None:
    """The absolute module of ``from <level dots><module> import ...``; None if it cannot resolve."""
    if level <= 0:
        return module or None
    base = _up(package_of(importer, is_package), level)
    if base is None:
        return None
    return f"{base}.{module}" if module else base


def resolve_import_module_name(name: str, package: str | None) -> str | None:
    """``importlib.import_module(name, package)`` as an absolute name (importlib's own rule)."""
    if not name.startswith("."):
        return name or None
    if not package:
        return None
    level = len(name) - len(name.lstrip("."))
    rest = name[level:]
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        return None
    base = bits[0]
    return f"{base}.{rest}" if rest else base
