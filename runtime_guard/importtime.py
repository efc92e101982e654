"""``python -m runtime_guard.importtime LOG [--policy FILE] [--json]``: forbidden paths in an importtime log.

Reads the stderr of ``python -X importtime ...`` (other lines are ignored), rebuilds the import
tree (a module is printed after the modules its execution imported, indented two spaces per
level), and prints every path from a guarded module to a banned one with each module's self and
cumulative microseconds. Exit status: 0 none, 1 at least one, 2 bad input or policy.

The importer of a module is its parent in the tree, the same rule as the lint; a ban with
``transitive = true`` also forbids the module under any guarded ancestor. ``-X importtime``
logs first loads only: a module served from ``sys.modules`` is not in the log (the runtime guard
itself sees those).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Sequence

from runtime_guard._pipes import print_out, run_quietly
from runtime_guard.config import resolve_policy
from runtime_guard.policy import Policy, PolicyError

__all__ = ["ImportNode", "ForbiddenPath", "parse_importtime", "forbidden_paths", "main"]

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass
class ImportNode:
    module: str
    self_us: int
    cumulative_us: int
    depth: int
    children: list["ImportNode"] = field(default_factory=list)


@dataclass(frozen=True)
class ForbiddenPath:
    importer: str
    module: str
    path: tuple[ImportNode, ...]
    reason: str
    use_instead: str
    scope: str

    def as_dict(self) -> dict[str, object]:
        return {
            "importer": self.importer,
            "module": self.module,
            "scope": self.scope,
            "reason": self.reason,
            "use_instead": self.use_instead,
            "path": [
                {"module": node.module, "self_us": node.self_us, "cumulative_us": node.cumulative_us}
                for node in self.path
            ],
        }


def parse_importtime(text: str) -> list[ImportNode]:
    """The roots of the import tree in an importtime log (other stderr lines are skipped)."""
    pending: dict[int, list[ImportNode]] = {}
    roots: list[ImportNode] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        self_us, cumulative_us, indent, module = match.groups()
        depth = max(len(indent) - 1, 0) // 2
        node = ImportNode(module, int(self_us), int(cumulative_us), depth)
        node.children = pending.pop(depth + 1, [])
        if depth == 0:
            roots.append(node)
        else:
            pending.setdefault(depth, []).append(node)
    return roots


def forbidden_paths(roots: Sequence[ImportNode], policy: Policy) -> list[ForbiddenPath]:
    """Every root-to-node path where a guarded module (the parent, or any ancestor for a
    transitive ban) first loaded a banned module."""
    found: list[ForbiddenPath] = []

    def visit(node: ImportNode, ancestors: tuple[ImportNode, ...]) -> None:
        path = ancestors + (node,)
        for ban in policy.bans:
            if not ban.bans(node.module) or not ancestors:
                continue
            importers = ancestors[::-1] if ban.transitive else ancestors[-1:]
            guilty = next((a for a in importers if ban.guards(a.module)), None)
            if guilty is not None:
                start = next(i for i, a in enumerate(ancestors) if ban.guards(a.module))
                found.append(
                    ForbiddenPath(
                        importer=guilty.module,
                        module=node.module,
                        path=path[start:],
                        reason=ban.reason,
                        use_instead=ban.use_instead,
                        scope=ban.scope_of(guilty.module),
                    )
                )
                break
        for child in node.children:
            visit(child, path)

    for root in roots:
        visit(root, ())
    return found


def render(paths: Sequence[ForbiddenPath], source: str) -> str:
    if not paths:
        return f"costguard importtime: no forbidden import in {source}"
    lines = [f"costguard importtime: {len(paths)} forbidden import path(s) in {source}"]
    for item in paths:
        chain = " -> ".join(node.module for node in item.path)
        detail = f"banned in {item.scope}"
        if item.reason:
            detail += f": {item.reason}"
        if item.use_instead:
            detail += f"; use {item.use_instead}"
        lines.append(f"{chain}  ({detail})")
        width = max(len(node.module) for node in item.path)
        for node in item.path:
            lines.append(f"    {node.module:<{width}}  self {node.self_us:>8} us  cumulative {node.cumulative_us:>8} us")
    return "\n".join(lines)


USAGE = "usage: python -m runtime_guard.importtime LOG [--policy FILE] [--json]"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    policy_file = None
    if "--policy" in args:
        index = args.index("--policy")
        if index + 1 >= len(args):
            print(f"{USAGE}\n--policy: expected a file", file=sys.stderr)
            return 2
        policy_file = args[index + 1]
        del args[index : index + 2]
    if len(args) != 1 or args[0].startswith("-") and args[0] != "-":
        print(USAGE, file=sys.stderr)
        return 2
    source = args[0]
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
    except OSError as exc:
        print(f"costguard importtime: {source}: cannot read ({exc.strerror or exc})", file=sys.stderr)
        return 2
    try:
        policy = resolve_policy(policy_file)
    except PolicyError as exc:
        print(f"costguard importtime: {exc}", file=sys.stderr)
        return 2
    if policy is None:
        print(f"costguard importtime: no [tool.costguard] policy found from {os.getcwd()} (use --policy FILE)", file=sys.stderr)
        return 2
    roots = parse_importtime(text)
    if not roots:
        print(
            f"costguard importtime: {source}: no 'import time:' lines (capture stderr of python -X importtime ...)",
            file=sys.stderr,
        )
        return 2
    paths = forbidden_paths(roots, policy)
    if as_json:
        print_out(json.dumps({"log": source, "forbidden": [p.as_dict() for p in paths]}, indent=2))
    else:
        print_out(render(paths, source))  # a closed pipe (| head -1) stops quietly, same status
    return 1 if paths else 0


if __name__ == "__main__":
    sys.exit(run_quietly(main))
