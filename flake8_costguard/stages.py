"""The staged check of one file, shared by the flake8 plugin and ``costguard check``.

Imports neither flake8 nor libcst: the rules load at stage 3, libcst only where the exact stage
needs it. Stages, cheapest first:

1. ``within``: the file's module is not guarded by any ban -> done.
2. ``mentions``: the raw text spells no banned leaf name (and no dynamic importer that could
   build one from pieces) -> done.
3. ``candidates``: the ast has no import, call or attribute that could name a banned module -> done.
4. ``exact``: the candidates are resolved (libcst where it adds something) and reported.

CG201/CG202 (banned AWS operations) run beside them on the same ast when the policy has
``[[tool.costguard.operation]]`` tables.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Callable, MutableMapping, Sequence

if TYPE_CHECKING:  # pragma: no cover - ast loads with the first file that is parsed
    import ast

from runtime_guard.policy import Ban, Policy, module_name_for_path

from .importers import SPELLED_NAMES

__all__ = ["STAGES", "new_counts", "module_of_file", "staged_findings"]

STAGES = ("files", "within", "mentions", "candidates", "exact", "libcst")

Finding = tuple[int, int, str]  # line, 0-based column, "CODE message"


def new_counts() -> dict[str, int]:
    return dict.fromkeys(STAGES, 0)


def module_of_file(filename: str, roots: tuple[str, ...] | None = None) -> tuple[str, bool]:
    """(dotted module name, is a package ``__init__``) of a source file path (the policy's rule)."""
    stem = os.path.basename(filename).partition(".")[0]
    return module_name_for_path(filename, roots), stem == "__init__"


def _parse(lines: Sequence[str]) -> ast.AST | None:
    import ast

    try:
        return ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return None  # flake8 reports E999 and runs no plugin on it: neither does costguard check


def import_findings(
    filename: str,
    lines: Sequence[str],
    policy: Policy,
    counts: MutableMapping[str, int],
    tree: ast.AST | Callable[[], ast.AST | None],
    *,
    use_libcst: bool = True,
    read_statements: bool = False,
) -> list[Finding]:
    """CG101-CG103 findings of one file (``tree`` may be a function that parses on demand).

    ``read_statements`` (``costguard check``, which has no ast yet): a file that spells no
    dynamic importer is first read by its import statements alone (``statement_findings``)."""
    if not policy.bans:
        return []
    importer, is_package = module_of_file(filename, policy.roots)
    bans: tuple[Ban, ...] = policy.bans_guarding(importer)
    if not bans:
        return []
    counts["within"] += 1
    text = "".join(lines)
    if not text.isascii():  # Python reads identifiers NFKC-normalized: so must the mention test
        import unicodedata

        text = unicodedata.normalize("NFKC", text)
    every_leaf = frozenset(ban.leaf for ban in bans)
    leaves = frozenset(leaf for leaf in every_leaf if leaf in text)
    spelled = any(name in text for name in SPELLED_NAMES)
    if leaves != every_leaf and spelled:
        # A dynamic import may build the name from pieces ("s3_direct" + "_read", a "\x5f"
        # escape): every banned leaf stays possible; the ast stage evaluates them.
        leaves = every_leaf
    if not leaves:
        return []
    counts["mentions"] += 1
    if read_statements and not spelled:
        found = statement_findings(lines, importer, is_package, tuple(b for b in bans if b.leaf in leaves), leaves, counts)
        if found is not None:
            return found
    parsed = tree() if callable(tree) else tree
    if parsed is None:
        return []
    from .rules import find_violations, scan_candidates  # loaded by the first file that gets here

    candidates = scan_candidates(parsed, leaves)
    if not candidates:
        return []
    counts["candidates"] += 1
    bans = tuple(ban for ban in bans if ban.leaf in leaves)
    violations, used_libcst = find_violations(parsed, lines, importer, is_package, bans, candidates, use_libcst=use_libcst)
    counts["exact"] += 1
    counts["libcst"] += int(used_libcst)
    return [(v.line, v.col, v.message(importer)) for v in violations]


def _could_reach_by_attribute(nodes: Sequence[ast.stmt], importer: str, is_package: bool, bans: Sequence[Ban]) -> bool:
    """True when an import binds a name that an attribute chain could take to a banned module
    (CG103): a proper parent of it, bound by an import that did not itself name the banned
    module (``import a`` for ``a.b.c``; ``import a.b.c`` binds ``a`` but is reported at the import)."""
    import ast

    from .resolve import resolve_from_module

    bound: list[tuple[str, str]] = []  # (what the name refers to, what the statement imported)
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                for alias in sub.names:
                    bound.append((alias.name if alias.asname else alias.name.partition(".")[0], alias.name))
            elif isinstance(sub, ast.ImportFrom):
                base = resolve_from_module(importer, is_package, sub.level or 0, sub.module)
                if base is not None:
                    bound.extend((f"{base}.{a.name}", f"{base}.{a.name}") for a in sub.names if a.name != "*")
    for ban in bans:
        for qualname, imported in bound:
            if ban.module.startswith(qualname + ".") and not ban.bans(imported):
                return True
    return False


def statement_findings(
    lines: Sequence[str], importer: str, is_package: bool, bans: tuple[Ban, ...], leaves: frozenset[str],
    counts: MutableMapping[str, int],
) -> list[Finding] | None:
    """The findings of a file that spells no dynamic importer, from its import statements alone;
    None when the whole ast is needed.

    Without a dynamic importer spelled, no call can be CG102 (``importers.SPELLED_NAMES``), and an
    attribute can be CG103 only through an import that binds a parent of the banned module
    (``_could_reach_by_attribute``): when there is none, only import statements can be
    reported, and they are read alone (``graph.statement_spans``), as the ast reads them. The
    whole file is parsed only when one of them is reported (a file that does not parse reports
    nothing, as with flake8)."""
    import ast

    from .graph import parse_statement, statement_spans

    spans = statement_spans(lines)
    if spans is None:
        return None
    tops = {ban.module.partition(".")[0] for ban in bans}
    nodes: list[ast.stmt] = []
    for first, last, indented in spans:
        text = "".join(lines[first : last + 1])
        if not text.isascii():
            import unicodedata

            text = unicodedata.normalize("NFKC", text)
        if not any(word in text for word in (*leaves, *tops)) and _RELATIVE.search(text) is None:
            continue  # names neither a leaf nor a parent package, and is not relative
        try:
            nodes.extend(parse_statement(lines, first, last, indented))
        except SyntaxError:
            return None
    if _could_reach_by_attribute(nodes, importer, is_package, bans):
        return None
    from .rules import find_violations, scan_candidates

    candidates = [node for node in scan_candidates(ast.Module(body=nodes, type_ignores=[]), leaves) if isinstance(node, (ast.Import, ast.ImportFrom))]
    if not candidates:
        return []
    counts["candidates"] += 1
    violations, _ = find_violations(ast.Module(body=nodes, type_ignores=[]), lines, importer, is_package, bans, candidates, use_libcst=False)
    counts["exact"] += 1
    if violations and _parse(lines) is None:
        return []  # flake8 reports E999 and runs no plugin on it: neither does costguard check
    return [(v.line, v.col, v.message(importer)) for v in violations]


_RELATIVE = re.compile(r"from[\s\\]*\.")  # ``from .x import y``, ``from . import y``


def staged_findings(
    filename: str,
    lines: Sequence[str],
    policy: Policy | None,
    counts: MutableMapping[str, int],
    tree: ast.AST | None = None,
    *,
    use_libcst: bool = True,
    operations: bool = True,
    read_statements: bool = False,
) -> list[Finding]:
    """Every finding of one file: CG101-CG103, then CG201/CG202. ``tree`` is flake8's ast when
    there is one; otherwise the file is parsed only if a stage needs it (once)."""
    counts["files"] += 1
    if policy is None:
        return []
    parsed: list[ast.AST | None] = [tree] if tree is not None else []

    def get_tree() -> ast.AST | None:
        if not parsed:
            parsed.append(_parse(lines))
        return parsed[0]

    results = import_findings(filename, lines, policy, counts, get_tree, use_libcst=use_libcst, read_statements=read_statements and tree is None)
    if operations and policy.operations:
        from .operations import operation_findings

        importer = module_of_file(filename, policy.roots)[0]
        results += operation_findings(get_tree, importer, lines, policy)
    return results
