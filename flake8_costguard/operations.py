"""CG201 / CG202: a call that performs a banned AWS operation (``[[tool.costguard.operation]]``).

``CG201`` a call on a boto3 client or resource, in a guarded module, that sends a banned
operation; ``CG202`` the same call inside a loop or comprehension (one request per iteration;
a call gets one finding, never both).

Stages, cheapest first: the policy has operation bans guarding the file's module -> the text
mentions ``boto3`` -> an ``ast`` walk (the tree flake8 already parsed) that follows what each
name holds:

* clients: ``boto3.client(S)``, ``boto3.Session(...).client(S)``, ``session.client(service_name=S)``
  (``session`` bound to ``boto3.Session(...)``/``boto3.session.Session(...)``, any receiver
  whose name ends in ``session``, or any receiver when ``service_name=`` is spelled out), ``resource.meta.client``; kept in locals, module globals or
  ``self`` attributes, or returned by a function of the same file (a local factory);
* resources: ``boto3.resource(S)`` -> ``.Bucket(...)`` / ``.Object(...)`` -> ``.get()``,
  ``.load()``, ``.download_file(...)``, ``bucket.objects.all()/filter()/limit()/page_size()``;
* method names map to operations as botocore maps them (``botocore.xform_name`` over the
  service model; without botocore, the same CamelCase rule), plus the s3transfer methods
  (``download_file``, ``download_fileobj``: HeadObject + GetObject) and paginators
  (``get_paginator("list_objects_v2")``, reported where ``paginate`` is called).
"""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from runtime_guard.policy import OperationBan, Policy, PolicyError

__all__ = ["RULES", "operation_findings", "operation_name", "check_policy_operations"]

RULES = {
    "CG201": "a call performs an AWS operation the policy bans in this module",
    "CG202": "a call performs a banned AWS operation inside a loop or comprehension",
}

# s3transfer's methods injected into S3 clients, buckets and objects.
_TRANSFER = {
    "download_file": ("HeadObject", "GetObject"),
    "download_fileobj": ("HeadObject", "GetObject"),
    "upload_file": ("PutObject",),
    "upload_fileobj": ("PutObject",),
    "copy": ("HeadObject", "CopyObject"),
}
_OBJECT_ACTIONS = {"get": "GetObject", "load": "HeadObject", "reload": "HeadObject", "put": "PutObject", "delete": "DeleteObject"}
_COLLECTION_CALLS = frozenset({"all", "filter", "limit", "page_size"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class Value:
    """What an expression holds: ``kind`` in client, resource, bucket, object, objects, paginator, session, boto3."""

    kind: str
    service: str = ""
    operation: str = ""


BOTO3 = Value("boto3")
SESSION = Value("session")


# ---------------------------------------------------------------------------------------------
# Operation names
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _service_operations(service: str) -> dict[str, str] | None:
    """``{method_name: OperationName}`` from botocore's service model, or None without botocore."""
    try:
        from botocore import xform_name
        from botocore.exceptions import UnknownServiceError
    except ImportError:
        return None
    try:
        model = _botocore_session().get_service_model(service)
    except UnknownServiceError:
        return {}
    return {xform_name(name): name for name in model.operation_names}


@functools.lru_cache(maxsize=1)
def _botocore_session():  # type: ignore[no-untyped-def]
    import botocore.session

    return botocore.session.get_session()


def operation_name(service: str, method: str) -> str | None:
    """The operation a client method sends: botocore's mapping, else CamelCase of the name."""
    table = _service_operations(service)
    if table is not None:
        return table.get(method)
    if not method or method.startswith("_") or not method.islower() and "_" not in method:
        return None
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


_checked: dict[int, bool] = {}


def check_policy_operations(policy: Policy) -> list[str]:
    """Raise ``PolicyError`` for an operation the service does not have (botocore installed);
    return warnings when botocore is missing and the names cannot be checked."""
    warnings: list[str] = []
    for index, ban in enumerate(policy.operations):
        table = _service_operations(ban.service)
        where = f"tool.costguard.operation[{index}]"
        if table is None:
            warnings.append(f"{where}: botocore is not installed, the operation names of {ban.service!r} are not checked")
            continue
        if not table:
            raise PolicyError(policy.source, f"{where}.service", f"botocore has no service {ban.service!r}")
        known = set(table.values())
        for i, name in enumerate(ban.operations):
            if name not in known:
                near = [op for op in sorted(known) if op.lower() == name.lower()]
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise PolicyError(policy.source, f"{where}.operations[{i}]", f"{ban.service} has no operation {name!r}{hint}")
    return warnings


# ---------------------------------------------------------------------------------------------
# What names hold
# ---------------------------------------------------------------------------------------------


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _service_argument(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "service_name":
            return _literal(keyword.value)
    return _literal(call.args[0]) if call.args else None


class _Scope:
    def __init__(self, parent: "_Scope | None" = None) -> None:
        self.names: dict[str, Value] = {}
        self.parent = parent

    def lookup(self, name: str) -> Value | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None


class _Analysis:
    def __init__(self, bans: Sequence[OperationBan]) -> None:
        self.bans = bans
        self.module = _Scope()
        self.attributes: dict[str, Value] = {}  # self.<attr>
        self.factories: dict[str, Value] = {}  # function name -> what it returns
        self.findings: list[tuple[int, int, str]] = []
        self._reported: set[tuple[int, int]] = set()

    # -- values ---------------------------------------------------------------------------
    def value(self, node: ast.expr, scope: _Scope) -> Value | None:
        if isinstance(node, ast.Name):
            return scope.lookup(node.id)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") and node.attr in self.attributes:
                return self.attributes[node.attr]
            base = self.value(node.value, scope)
            if base is None:
                return None
            if base.kind == "boto3" and node.attr in ("client", "resource", "Session", "session", "DEFAULT_SESSION"):
                return Value("boto3." + node.attr)
            if base.kind == "boto3.session" and node.attr == "Session":
                return Value("boto3.Session")
            if base.kind == "resource" and node.attr == "meta":
                return Value("resource.meta", base.service)
            if base.kind == "resource.meta" and node.attr == "client":
                return Value("client", base.service)
            if base.kind == "bucket" and node.attr == "objects":
                return Value("objects", base.service)
            return Value("method", base.service, node.attr) if base.kind in ("client", "resource", "bucket", "object", "objects", "paginator", "session") else None
        if isinstance(node, ast.Call):
            return self.call_value(node, scope)
        if isinstance(node, ast.Await):
            return self.value(node.value, scope)
        return None

    def call_value(self, call: ast.Call, scope: _Scope) -> Value | None:
        func = call.func
        target = self.value(func, scope)
        if isinstance(func, ast.Name) and func.id in self.factories and target is None:
            return self.factories[func.id]
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls") and func.attr in self.factories:
            return self.factories[func.attr]
        if target is None:
            if isinstance(func, ast.Attribute) and func.attr in ("client", "resource") and (
                _names_a_session(func.value) or any(k.arg == "service_name" for k in call.keywords)
            ):
                service = _service_argument(call)
                return Value(func.attr, service) if service else None
            return None
        if target.kind in ("boto3.client", "boto3.resource"):
            service = _service_argument(call)
            return Value(target.kind.split(".")[1], service) if service else None
        if target.kind in ("boto3.Session", "boto3.session"):
            return SESSION
        if target.kind == "method":
            owner, name = target.service, target.operation
            base = self.value(func.value, scope) if isinstance(func, ast.Attribute) else None
            if base is None:
                return None
            if base.kind == "session" and name in ("client", "resource"):
                service = _service_argument(call)
                return Value(name, service) if service else None
            if base.kind == "client" and name == "get_paginator":
                method = _literal(call.args[0]) if call.args else None
                operation = operation_name(owner, method) if method else None
                return Value("paginator", owner, operation) if operation else None
            if base.kind == "resource" and name == "Bucket":
                return Value("bucket", owner)
            if base.kind in ("resource", "bucket") and name == "Object":
                return Value("object", owner)
        return None

    # -- operations a call sends ----------------------------------------------------------
    def operations_of(self, call: ast.Call, scope: _Scope) -> tuple[str, tuple[str, ...]] | None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        base = self.value(func.value, scope)
        if base is None or not base.service:
            return None
        name = func.attr
        if base.kind == "client":
            if name in _TRANSFER and base.service == "s3":
                return base.service, _TRANSFER[name]
            if name in ("get_paginator", "get_waiter", "can_paginate", "close", "generate_presigned_url", "generate_presigned_post"):
                return None
            operation = operation_name(base.service, name)
            return (base.service, (operation,)) if operation else None
        if base.kind == "paginator" and name == "paginate":
            return base.service, (base.operation,)
        if base.kind == "object":
            if name in _TRANSFER:
                return base.service, _TRANSFER[name]
            if name in _OBJECT_ACTIONS:
                return base.service, (_OBJECT_ACTIONS[name],)
        if base.kind == "bucket" and name in _TRANSFER:
            return base.service, _TRANSFER[name]
        if base.kind == "objects" and name in _COLLECTION_CALLS:
            return base.service, ("ListObjects",)
        return None

    # -- walking --------------------------------------------------------------------------
    def bind(self, target: ast.expr, value: Value | None, scope: _Scope) -> None:
        if isinstance(target, ast.Name):
            if value is not None:
                scope.names[target.id] = value
            else:
                scope.names.pop(target.id, None)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            if value is not None:
                self.attributes[target.attr] = value

    def imports(self, node: ast.stmt, scope: _Scope) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "boto3" or alias.name.startswith("boto3."):
                    if alias.asname:
                        scope.names[alias.asname] = BOTO3 if alias.name == "boto3" else Value("boto3.session") if alias.name == "boto3.session" else BOTO3
                    else:
                        scope.names["boto3"] = BOTO3
        elif isinstance(node, ast.ImportFrom) and node.module in ("boto3", "boto3.session") and not node.level:
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.module == "boto3" and alias.name in ("client", "resource", "Session"):
                    scope.names[bound] = Value("boto3." + alias.name)
                elif node.module == "boto3" and alias.name == "session":
                    scope.names[bound] = Value("boto3.session")
                elif alias.name == "Session":
                    scope.names[bound] = Value("boto3.Session")

    def returns_of(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Value | None:
        scope = _Scope(self.module)
        for statement in ast.walk(function):
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                self.imports(statement, scope)
        found: Value | None = None
        for statement in _own_statements(function):
            if isinstance(statement, ast.Assign):
                value = self.value(statement.value, scope)
                for target in statement.targets:
                    self.bind(target, value, scope)
            elif isinstance(statement, ast.Return) and statement.value is not None:
                value = self.value(statement.value, scope)
                if value is not None and value.kind in ("client", "resource", "bucket", "object", "session"):
                    found = value
        return found

    def prepare(self, tree: ast.Module) -> None:
        """Module imports and globals, self attributes and factories (twice: factories may use factories)."""
        for statement in ast.walk(tree):
            if isinstance(statement, (ast.Import, ast.ImportFrom)) and _at_module_level(statement, tree):
                self.imports(statement, self.module)
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for _ in range(2):
            for statement in tree.body:
                if isinstance(statement, ast.Assign):
                    value = self.value(statement.value, self.module)
                    for target in statement.targets:
                        self.bind(target, value, self.module)
                elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                    self.bind(statement.target, self.value(statement.value, self.module), self.module)
            for function in functions:
                returned = self.returns_of(function)
                if returned is not None:
                    self.factories[function.name] = returned
                local = _Scope(self.module)
                for node in ast.walk(function):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        self.imports(node, local)
                for node in _own_statements(function):
                    if isinstance(node, ast.Assign):
                        value = self.value(node.value, local)
                        for target in node.targets:
                            self.bind(target, value, local)

    def walk(self, node: ast.AST, scope: _Scope, looped: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner = _Scope(scope)
            if not isinstance(node, ast.Lambda):
                for decorator in node.decorator_list:
                    self.walk(decorator, scope, looped)
                for statement in node.body:
                    self.walk(statement, inner, False)
            else:
                self.walk(node.body, inner, False)
            return
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                self.walk(statement, scope, looped)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports(node, scope)
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if node.value is not None:
                self.walk(node.value, scope, looped)
            if isinstance(node, ast.Assign):
                value = self.value(node.value, scope)
                for target in node.targets:
                    self.bind(target, value, scope)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                self.bind(node.target, self.value(node.value, scope), scope)
            return
        if isinstance(node, _LOOPS):
            if isinstance(node, ast.While):
                self.walk(node.test, scope, True)
            else:
                self.walk(node.iter, scope, looped)  # evaluated once
            for statement in node.body:
                self.walk(statement, scope, True)
            for statement in node.orelse:
                self.walk(statement, scope, looped)
            return
        if isinstance(node, _COMPREHENSIONS):
            for index, generator in enumerate(node.generators):
                self.walk(generator.iter, scope, looped if index == 0 else True)
                for condition in generator.ifs:
                    self.walk(condition, scope, True)
            elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for element in elements:
                self.walk(element, scope, True)
            return
        if isinstance(node, ast.Call):
            self.check_call(node, scope, looped)
        for child in ast.iter_child_nodes(node):
            self.walk(child, scope, looped)

    def check_call(self, call: ast.Call, scope: _Scope, looped: bool) -> None:
        sent = self.operations_of(call, scope)
        if sent is None:
            return
        service, operations = sent
        for operation in operations:
            for ban in self.bans:
                if ban.bans(service, operation):
                    func = call.func
                    line, col = (func.end_lineno or func.lineno, func.end_col_offset - len(func.attr)) if isinstance(func, ast.Attribute) and func.end_col_offset is not None else (call.lineno, call.col_offset)
                    if (line, col) in self._reported:
                        return
                    self._reported.add((line, col))
                    code = "CG202" if looped else "CG201"
                    self.findings.append((line, col, f"{code} {_message(ban, service, operation, looped)}"))
                    return


def _message(ban: OperationBan, service: str, operation: str, looped: bool) -> str:
    from runtime_guard.billing import kind_of
    from runtime_guard.prices import LIST_PRICES, per_thousand

    text = ban.message(operation, ", ".join(ban.within))
    kind = kind_of(service, operation)
    if kind is not None:
        text += f" ({kind} list price {per_thousand(LIST_PRICES, kind)}"
        text += "; one request per iteration)" if looped else ")"
    elif looped:
        text += " (one request per iteration)"
    return text


def _names_a_session(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name.lower().endswith("session")


def _own_statements(function: ast.AST) -> Iterator[ast.stmt]:
    """The statements of a function, nested blocks included, nested functions and classes excluded."""
    stack = list(getattr(function, "body", []))
    while stack:
        node = stack.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(getattr(node, field, []) or [])


def _at_module_level(node: ast.stmt, tree: ast.Module) -> bool:
    return any(node is statement for statement in _module_statements(tree))


def _module_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(getattr(node, field, []) or [])


_warned: set[str] = set()


def operation_findings(
    tree: "ast.AST | Callable[[], ast.AST | None]", importer: str, lines: Iterable[str], policy: Policy | None
) -> list[tuple[int, int, str]]:
    """(line, column, message) of CG201/CG202 findings; ``PolicyError`` for unknown operations.

    ``tree`` may be a function that parses on demand (``costguard check``): it is called only
    once the cheap tests pass."""
    if policy is None or not policy.operations or not importer:
        return []
    bans = tuple(ban for ban in policy.operations if ban.guards(importer))
    if not bans:
        return []
    text = "".join(lines)
    if "boto3" not in text and "session" not in text.lower():
        return []
    if id(policy) not in _checked:
        for warning in check_policy_operations(policy):
            if warning not in _warned:
                _warned.add(warning)
                sys.stderr.write(f"costguard: warning: {warning}\n")
        _checked[id(policy)] = True
    if callable(tree):
        tree = tree()
    if not isinstance(tree, ast.Module):
        return []
    analysis = _Analysis(bans)
    analysis.prepare(tree)
    for statement in tree.body:
        analysis.walk(statement, analysis.module, False)
    return sorted(analysis.findings)
