"""``secfilings serve``: the endpoints over HTTP, a Starlette (ASGI) application on uvicorn.

Routes (see :data:`OPENAPI`, served at ``/openapi.json``):

- ``GET /companies/{cik}`` and ``GET /funds/{cik}``: exactly the documents of ``secfilings
  company CIK --json`` and ``secfilings fund CIK --json`` (same bytes), answered as the index
  roll-out stage (``--index-mode``) says;
- ``GET /healthz``: ``{"status": "ok", ...}``, without touching a backend.

Errors are JSON ``{"error": "<the CLI's one-line message>"}``: 400 for a bad CIK, 404 for an
unknown one (or a path the API does not have), 405 for another method, 503 when a backend (SQL
engine, AWS, the lake's storage) fails, 500 for anything else; never a traceback.

Every response carries ``X-Costguard-Requests: s3.GET=0, ..., dynamodb.read_units=1, ...``: the
billable requests made for that request alone (a meter scoped to the request's context, so
requests served at the same time are not mixed).

The server runs under the runtime guard (``runtime_guard.install()``, the policy found from the
working directory upward, else the copy bundled with the package); before it listens it imports
every module of the platform it serves, and refuses to start when one of them trips the guard.
Why Starlette + uvicorn: the smallest real ASGI stack (no validation layer we do not need, a
hand-written OpenAPI document instead), sync endpoints run in a thread pool so a slow SQL
fallback never blocks an index hit, and uvicorn with httptools/uvloop is the fastest pure-pip
server on loopback.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import socket
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Mapping, TextIO

from secfilings.errors import ConfigError, NotFound, SecfilingsError, one_line

if TYPE_CHECKING:  # pragma: no cover
    from secfilings.config import Platform, Settings

__all__ = [
    "build_app",
    "run_server",
    "serve_address",
    "requests_header",
    "OPENAPI",
    "HEADER",
    "ENV_HOST",
    "ENV_PORT",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
]

HEADER = "X-Costguard-Requests"
ENV_HOST = "SECFILINGS_HOST"
ENV_PORT = "SECFILINGS_PORT"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# always in the header, in this order (zeros included); any other kind counted follows, sorted
HEADER_KINDS = (
    "s3.GET",
    "s3.PUT",
    "s3.LIST",
    "s3.HEAD",
    "athena.query",
    "athena.bytes_scanned",
    "dynamodb.read_units",
    "dynamodb.write_units",
)
# the platform modules the server may load: all imported under the guard before it listens
SERVED_PACKAGES = (
    "secfilings.services",
    "secfilings.ingest",
    "secfilings.index",
    "secfilings.sql",
    "secfilings.lake",
)

_CIK_PARAMETER = {
    "name": "cik",
    "in": "path",
    "required": True,
    "description": "1 to 10 digits, with or without leading zeros",
    "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
}
_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": {"description": "not a CIK", "content": {"application/json": {"schema": _ERROR}}},
    "404": {"description": "unknown CIK", "content": {"application/json": {"schema": _ERROR}}},
    "500": {"description": "unexpected failure", "content": {"application/json": {"schema": _ERROR}}},
    "503": {"description": "a backend is unavailable", "content": {"application/json": {"schema": _ERROR}}},
}
_COST_HEADER = {
    HEADER: {
        "description": "billable requests made for this request, e.g. s3.GET=0, dynamodb.read_units=1",
        "schema": {"type": "string"},
    }
}
_FUND_OPTIONS = {"period": "a stored quarter, YYYY-MM-DD (default: the latest)",
                 "history": "true: every stored quarter with its filings",
                 "aggregate": "true: rows of one position summed across sub-managers"}


_NUMBER = {"type": ["number", "null"]}
_TEXT = {"type": ["string", "null"]}
_BOOL = {"type": "boolean"}
_OPTIONAL_BOOL = {"type": ["boolean", "null"]}
_IDS = {"type": "array", "items": {"type": "string"}}


def _object(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-schema object with exactly ``fields`` (every one present, null where the document
    has no value: docs/fields.md)."""
    return {"type": "object", "required": list(fields), "additionalProperties": False, "properties": dict(fields)}


_DERIVATIVE_FIELDS = {
    "conversion_or_exercise_price": _NUMBER, "exercise_date": _TEXT, "expiration_date": _TEXT,
    "underlying_security_title": _TEXT, "underlying_shares": _NUMBER,
}
_HOLDING_FIELDS = {
    "security_title": _TEXT, "derivative": _BOOL, "shares_owned_following": _NUMBER,
    "value_owned_following": _NUMBER, "direct_indirect": _TEXT, "nature_of_ownership": _TEXT,
    "footnote_ids": _IDS, **_DERIVATIVE_FIELDS,
}
_TRANSACTION_FIELDS = {
    "security_title": _TEXT, "date": _TEXT, "code": _TEXT, "shares": _NUMBER, "price_per_share": _NUMBER,
    "acquired_disposed": _TEXT, "shares_owned_following": _NUMBER, "value_owned_following": _NUMBER,
    "derivative": _BOOL, "is_10b5_1": _OPTIONAL_BOOL, "direct_indirect": _TEXT, "nature_of_ownership": _TEXT,
    "footnote_ids": _IDS, **_DERIVATIVE_FIELDS,
}
_OWNER_FIELDS = {
    "cik": _TEXT, "name": _TEXT, "is_director": _BOOL, "is_officer": _BOOL, "is_ten_percent_owner": _BOOL,
    "is_other": _BOOL, "officer_title": _TEXT,
}
_INT = {"type": ["integer", "null"]}
_FUND_FILING_FIELDS = {
    "accession_number": {"type": "string"}, "form_type": {"type": "string"}, "filed": _TEXT,
    "report_type": _TEXT, "amendment_type": _TEXT, "table_entry_total": _INT, "table_value_total": _INT,
    "value_unit": _TEXT,
}
_FUND_HOLDING_FIELDS = {
    "issuer": _TEXT, "title_of_class": _TEXT, "cusip": _TEXT, "value": _INT, "value_usd": _INT, "shares": _INT,
    "share_type": _TEXT, "put_call": _TEXT, "investment_discretion": _TEXT, "other_managers": _TEXT,
    "voting_sole": _INT, "voting_shared": _INT, "voting_none": _INT, "accession_number": {"type": "string"},
}
_AGGREGATE_FIELDS = {
    "issuer": _TEXT, "title_of_class": _TEXT, "cusip": _TEXT, "share_type": _TEXT, "put_call": _TEXT,
    "value_usd": _INT, "shares": _INT, "voting_sole": _INT, "voting_shared": _INT, "voting_none": _INT,
    "rows": {"type": "integer"},
}
_FILING_FIELDS = {
    "accession_number": {"type": "string"}, "form_type": {"type": "string"}, "filed": _TEXT, "period": _TEXT,
    "date_of_original_submission": _TEXT, "amends": _TEXT, "remarks": _TEXT,
    "footnotes": {"type": "object", "additionalProperties": {"type": "string"}},
    "reporting_owners": {"type": "array", "items": _object(_OWNER_FIELDS)},
    "transactions": {"type": "array", "items": _object(_TRANSACTION_FIELDS)},
    "holdings": {"type": "array", "items": _object(_HOLDING_FIELDS)},
}
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "secfilings", "version": "1", "description": "SEC insider (Forms 3/4/5) and 13F filings"},
    "paths": {
        "/companies/{cik}": {
            "get": {
                "summary": "a company's insider filings (as `secfilings company CIK --json`)",
                "operationId": "getCompany",
                "parameters": [_CIK_PARAMETER],
                "responses": {
                    "200": {
                        "description": "the company",
                        "headers": _COST_HEADER,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Company"}}},
                    },
                    **_ERRORS,
                },
            }
        },
        "/funds/{cik}": {
            "get": {
                "summary": "a fund's latest 13F holdings (as `secfilings fund CIK --json`)",
                "operationId": "getFund",
                "parameters": [_CIK_PARAMETER, *(
                    {"name": name, "in": "query", "required": False, "description": text,
                     "schema": {"type": "string"} if name == "period" else {"type": "boolean"}}
                    for name, text in _FUND_OPTIONS.items()
                )],
                "responses": {
                    "200": {
                        "description": "the fund",
                        "headers": _COST_HEADER,
                        "content": {"application/json": {"schema": {"oneOf": [
                            {"$ref": "#/components/schemas/Fund"}, {"$ref": "#/components/schemas/FundHistory"},
                        ]}}},
                    },
                    **_ERRORS,
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "the server is up (touches no backend)",
                "operationId": "getHealth",
                "responses": {"200": {"description": "ok", "headers": _COST_HEADER}},
            }
        },
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string", "description": "the CLI's one-line message"}},
            },
            "Company": {
                "type": "object",
                "required": ["cik", "name", "filings"],
                "properties": {
                    "cik": {"type": "string"},
                    "name": _TEXT,
                    "filings": {"type": "array", "items": _object(_FILING_FIELDS)},
                },
            },
            "Fund": {
                "description": "one quarter (default: the latest); ?aggregate=true gives AggregateHolding rows",
                **_object({
                    "cik": {"type": "string"}, "name": _TEXT, "period": _TEXT, **_FUND_FILING_FIELDS,
                    "table_missing": _BOOL,
                    "filings": {"type": "array", "items": _object({**_FUND_FILING_FIELDS, "has_table": _BOOL, "role": {"type": "string"}})},
                    "holdings": {"type": "array", "items": {"oneOf": [_object(_FUND_HOLDING_FIELDS), _object(_AGGREGATE_FIELDS)]}},
                }),
            },
            "FundHistory": {
                "description": "?history=true: every stored quarter with its filings",
                **_object({
                    "cik": {"type": "string"}, "name": _TEXT,
                    "quarters": {"type": "array", "items": _object({
                        "period": _TEXT, "holding_count": {"type": "integer"}, "table_missing": _BOOL,
                        "filings": {"type": "array", "items": _object({**_FUND_FILING_FIELDS, "has_table": _BOOL, "role": {"type": "string"}})},
                    })},
                }),
            },
        }
    },
}


def requests_header(counts: Mapping[str, float]) -> str:
    """``s3.GET=0, s3.PUT=0, ..., dynamodb.read_units=1, ...`` (see :data:`HEADER_KINDS`)."""
    kinds = list(HEADER_KINDS) + sorted(k for k in counts if k not in HEADER_KINDS and not k.startswith("calls."))
    return ", ".join(f"{kind}={counts.get(kind, 0):g}" for kind in kinds)


def document(value: Any) -> bytes:
    """The bytes ``secfilings company/fund --json`` prints for ``value``."""
    from secfilings.fastjson import indented

    return (indented(value) + "\n").encode("utf-8")


def _error_body(message: str) -> bytes:
    return json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")


def _is_backend_error(error: BaseException) -> bool:
    """Failures of a backend (SQL engine, AWS, storage): 503, as the CLI's exit status 4."""
    from secfilings.model import InvalidIdentifier

    if isinstance(error, (NotFound, ConfigError, InvalidIdentifier)):
        return False
    if type(error).__module__.startswith("secfilings.sql") or type(error).__name__ == "SqlError":
        return True
    module = type(error).__module__ or ""
    if module.split(".")[0] in ("botocore", "boto3", "duckdb", "sqlite3", "urllib3"):
        return True
    import sqlite3

    return isinstance(error, (OSError, sqlite3.Error, ConnectionError))


def query_options(command: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The query parameters of ``GET /funds/{cik}`` as ``get_fund`` keywords (``period``,
    ``history``, ``aggregate``: the CLI's ``--period``, ``--history``, ``--aggregate``);
    ``/companies`` takes none. ``ValueError`` (HTTP 400) names an unknown or bad parameter."""
    allowed = _FUND_OPTIONS if command == "fund" else {}
    options: dict[str, Any] = {}
    for name, value in params.items():
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise ValueError(f"unknown query parameter {name!r} (accepted: {known})")
        if name == "period":
            options["period"] = value
        elif value.lower() in ("1", "true", "yes", ""):
            options[name] = True
        elif value.lower() in ("0", "false", "no"):
            options[name] = False
        else:
            raise ValueError(f"query parameter {name}={value!r}: expected true or false")
    if options.get("history") and ("period" in options or options.get("aggregate")):
        raise ValueError("history lists every quarter: it takes neither period nor aggregate")
    return options


class Bodies:
    """The response bytes of remembered answers (``AnswerMemo``), by the answer object itself:
    an answer the memo hands back again is the same object, so its body is reused rather than
    encoded again. Each entry holds its answer, so no object id is reused while it lives."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        from secfilings.services.api.athena.read_through import AnswerMemo

        self._memo = AnswerMemo(max_entries, max_bytes)  # the same bounded LRU, keyed by id

    def body(self, value: Any) -> bytes:
        found = self._memo.get(id(value))
        if found is not None and found[0] is value:
            return found[1]  # type: ignore[no-any-return]
        body = document(value)
        self._memo.put(id(value), (value, body), len(body))
        return body


def answer(
    platform: Platform, command: str, raw_cik: str, stage: str = "all", options: Mapping[str, Any] | None = None,
    memo: Any = None, bodies: Bodies | None = None,
) -> tuple[int, bytes, Any]:
    """One lookup, counted on its own: ``(status, body, counts)``.

    ``stage="index"`` answers only what the index can (an index hit, a read-only miss, a bad
    CIK) and returns status 0 when the answer must come from SQL; ``stage="sql"`` continues
    from there (see :func:`~secfilings.services.api.athena.read_through.read_through`).
    """
    from secfilings.config import backend_error_message
    from secfilings.meter import scoped_meter
    from secfilings.model import InvalidIdentifier, normalize_cik
    from secfilings.services.api.athena.companies import get_company
    from secfilings.services.api.athena.funds import get_fund
    from secfilings.services.api.athena.read_through import NeedsSql

    lookup = get_company if command == "company" else get_fund
    with scoped_meter() as meter:
        try:
            cik = normalize_cik(raw_cik)
            result = lookup(platform, cik, stage=stage, memo=memo, **(options or {}))
            if result is None:
                raise NotFound(f"{command} CIK {cik}: not found")
            status, body = 200, (bodies.body(result) if bodies is not None else document(result))
        except NeedsSql:
            status, body = 0, b""
        except InvalidIdentifier as error:
            status, body = 400, _error_body(f"secfilings {command}: {one_line(error)}")
        except NotFound as error:
            status, body = 404, _error_body(f"secfilings {command}: {one_line(error)}")
        except Exception as error:  # noqa: BLE001 - one line, never a traceback
            if _is_backend_error(error):
                # the CLI's wording: its own errors in one line, a backend's named by the backend
                if isinstance(error, (SecfilingsError, ImportError, OSError, ValueError)):
                    message = one_line(error)
                else:
                    message = backend_error_message(error, platform.settings)
                status, body = 503, _error_body(f"secfilings {command}: {message}")
            else:
                status, body = 500, _error_body(f"secfilings {command}: internal error ({type(error).__name__})")
    return status, body, meter.counts


def build_app(platform: Platform, *, guard_description: str = "off") -> Any:
    """The ASGI application over an open platform (closed when the application shuts down)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from secfilings.services.api.athena.read_through import AnswerMemo

    zero = requests_header({})
    # index hits whose stored documents are unchanged reuse their answer and its bytes (the
    # index is still read, and billed, on every request); used on the event loop only
    memo, bodies = AnswerMemo(), Bodies()

    def respond(status: int, body: bytes, cost: str) -> Response:
        return Response(body, status_code=status, media_type="application/json", headers={HEADER: cost})

    def lookup(command: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            cik = request.path_params["cik"]
            try:
                options = query_options(command, request.query_params)
            except ValueError as error:
                return respond(400, _error_body(f"secfilings {command}: {one_line(error)}"), zero)
            # the index answers on the event loop (a hit costs well under a millisecond); only
            # what needs SQL goes to a worker thread, so a slow miss never holds a hit up
            status, body, counts = answer(platform, command, cik, "index", options, memo, bodies)
            if status == 0:
                status, body, more = await run_in_threadpool(answer, platform, command, cik, "sql", options)
                counts = counts + more
            return respond(status, body, requests_header(counts))

        return endpoint

    async def healthz(request: Request) -> Response:
        body = {
            "status": "ok",
            "lake": platform.store.url,
            "index_mode": platform.settings.index_mode,
            "runtime_guard": guard_description,
        }
        return respond(200, json.dumps(body).encode(), zero)

    openapi_body = json.dumps(OPENAPI, indent=2).encode()

    async def openapi(request: Request) -> Response:
        return respond(200, openapi_body, zero)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            message = f"secfilings serve: no such path {request.url.path!r} (see /openapi.json)"
        elif error.status_code == 405:
            message = f"secfilings serve: method {request.method} not allowed on {request.url.path!r}"
        else:
            message = f"secfilings serve: {error.detail}"
        return respond(error.status_code, _error_body(message), zero)

    async def server_error(request: Request, error: Exception) -> Response:
        return respond(500, _error_body(f"secfilings serve: internal error ({type(error).__name__})"), zero)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            platform.close()

    return Starlette(
        routes=[
            Route("/companies/{cik}", lookup("company"), methods=["GET"]),
            Route("/funds/{cik}", lookup("fund"), methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )


def serve_address(
    host: str | None, port: str | int | None, environ: Mapping[str, str] | None = None
) -> tuple[str, int]:
    """``(host, port)`` from the flags, else ``SECFILINGS_HOST``/``SECFILINGS_PORT``, else
    127.0.0.1:8000; a ConfigError names the flag or variable. Port 0 picks a free port."""
    env = os.environ if environ is None else environ
    if host is None:
        host, host_source = env.get(ENV_HOST) or DEFAULT_HOST, ENV_HOST
    else:
        host_source = "--host"
    host = host.strip()
    if not host or any(c.isspace() or c == "\x00" for c in host):
        raise ConfigError(f"{host_source}: invalid host {host!r}")
    if port is None:
        text, port_source = env.get(ENV_PORT) or str(DEFAULT_PORT), ENV_PORT
    else:
        text, port_source = str(port), "--port"
    if not text.strip().isascii() or not text.strip().isdigit() or not 0 <= int(text) <= 65535:
        raise ConfigError(f"{port_source}: expected a port number 0 to 65535, got {text!r}")
    return host, int(text)


def _install_guard() -> Any:
    """The runtime guard, on for this process: the policy near the working directory, the
    program's location, else the one the installed distribution ships (``costguard.policy``)."""
    import runtime_guard
    from runtime_guard.config import resolve_policy

    return runtime_guard.install(resolve_policy())


def _import_served_modules() -> None:
    """Import every module the server may load, so a forbidden import shows before it listens."""
    for package_name in SERVED_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            importlib.import_module(info.name)


def run_server(
    settings: Settings,
    host: str | None,
    port: str | int | None,
    *,
    out: TextIO,
    err: TextIO,
) -> int:
    """Start the server and serve until interrupted; returns the exit status (the CLI's)."""
    from runtime_guard import ForbiddenImportError
    from runtime_guard.policy import PolicyError

    address = serve_address(host, port)
    try:
        guard = _install_guard()
    except PolicyError as error:
        err.write(f"secfilings serve: runtime guard: {one_line(error)}\n")
        return 2
    try:
        _import_served_modules()
    except ForbiddenImportError as error:
        err.write(f"secfilings serve: refusing to start: the platform trips its own runtime guard: {one_line(error)}\n")
        return 4
    import uvicorn

    from secfilings.config import open_platform

    platform = open_platform(settings, create=False)
    try:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            sock.close()
            raise ConfigError(f"--host/--port: cannot listen on {address[0]}:{address[1]}: {error.strerror}") from None
        sock.listen(2048)
        sock.set_inheritable(True)
    except BaseException:
        platform.close()
        raise
    app = build_app(platform, guard_description=f"on (mode {guard.mode}, policy {guard.policy.source})")
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        backlog=2048,
    )
    server = uvicorn.Server(config)
    bound_host, bound_port = sock.getsockname()[:2]
    out.write(
        f"secfilings serve: listening on http://{bound_host}:{bound_port} (lake {platform.store.url},"
        f" index mode {settings.index_mode}, runtime guard {guard.mode})\n"
    )
    out.flush()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    sys.stdout.flush()
    return 0
