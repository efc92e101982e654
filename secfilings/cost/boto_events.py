"""Count real AWS requests from botocore's event system, so code under test is not changed.

``meter_boto3()`` (idempotent; ``cost_meter()`` calls it) attaches a listener to the tool's
botocore layer (``runtime_guard.operations``), the same one the operation bans and
``costguard meter`` use: it registers its handlers on every botocore session as it is made and on
the sessions and clients that already exist, through botocore's public ``register``.

What is counted (nothing unless a meter is open):

* ``response-received.*`` -- fires once per HTTP attempt (retries are billed requests too):
  S3 GET/HEAD/PUT/LIST/DELETE class by operation, ``s3.bytes_out`` from GetObject's
  ContentLength and ``s3.bytes_in`` from the request body's length; Athena: one
  ``athena.query`` per accepted StartQueryExecution and, once per query id, ``athena.bytes_scanned``
  from ``Statistics.DataScannedInBytes`` when GetQueryExecution (or the batch form) reports a
  finished query; DynamoDB: read and write units from ``ConsumedCapacity``.
  Every attempt is also counted as ``calls.<service>.<Operation>`` (not priced), e.g.
  ``calls.dynamodb.BatchGetItem``.
* ``before-parameter-build.dynamodb.*`` -- asks DynamoDB for ``ReturnConsumedCapacity=TOTAL``
  (unless the caller asked for something already) so the units are the service's own figures.
  A request that fails its condition (``ConditionalCheckFailedException``) returns no capacity
  but is billed: it is counted as 1 write unit. A data request answered without
  ``ConsumedCapacity`` is counted as 1 unit (per item for batch requests).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from secfilings import meter

__all__ = ["meter_boto3", "meter_client", "s3_kind"]

_install_lock = threading.Lock()
_installed = False
_seen_queries: "OrderedDict[str, None]" = OrderedDict()
_SEEN_LIMIT = 100_000

_DYNAMO_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement", "BatchExecuteStatement"})
_DYNAMO_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteTransaction"})
_DYNAMO_CAPACITY_OPS = (_DYNAMO_READS | _DYNAMO_WRITES) - {"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}
_FINISHED = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


def s3_kind(operation: str) -> str:
    """The billing class of an S3 operation: s3.GET, s3.HEAD, s3.LIST, s3.DELETE or s3.PUT."""
    if operation.startswith("Head"):
        return "s3.HEAD"
    if operation.startswith("List"):
        return "s3.LIST"
    if operation.startswith("Delete"):
        return "s3.DELETE"
    if operation.startswith("Get"):
        return "s3.GET"
    return "s3.PUT"  # PUT, COPY, POST, create/complete multipart, ...


def _split(event_name: str) -> tuple[str, str]:
    # "response-received.<service-id>.<Operation>"
    parts = event_name.split(".")
    return (parts[1], parts[2]) if len(parts) >= 3 else ("", "")


def _status(response_dict: Any) -> int:
    if isinstance(response_dict, dict):
        return int(response_dict.get("status_code") or 0)
    return 0


def on_response_received(event_name: str = "", parsed_response: Any = None, response_dict: Any = None,
                         context: Any = None, **_: Any) -> None:
    """Count one HTTP attempt that got an answer (connection failures are not billed)."""
    if not meter.active() or parsed_response is None:
        return
    service, operation = _split(event_name)
    caller = meter.calling_module(1)
    status = _status(response_dict)
    meter.record(f"calls.{service}.{operation}", 1, caller)  # unpriced: one per HTTP request
    if service == "s3":
        _count_s3(operation, parsed_response, status, context, caller)
    elif service == "dynamodb":
        _count_dynamodb(operation, parsed_response, status, caller)
    elif service == "athena":
        _count_athena(operation, parsed_response, status, caller)


def _count_s3(operation: str, parsed: dict[str, Any], status: int, context: Any, caller: str) -> None:
    kind = s3_kind(operation)
    meter.record(kind, 1, caller)
    if operation == "GetObject" and status < 300:
        meter.record("s3.bytes_out", int(parsed.get("ContentLength") or 0), caller)
    if kind == "s3.PUT" and isinstance(context, dict) and "costguard_bytes_in" in context:
        meter.record("s3.bytes_in", context["costguard_bytes_in"], caller)


def _capacity(parsed: dict[str, Any], write: bool) -> float | None:
    consumed = parsed.get("ConsumedCapacity")
    if consumed is None:
        return None
    entries = consumed if isinstance(consumed, list) else [consumed]
    total = 0.0
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        specific = entry.get("WriteCapacityUnits" if write else "ReadCapacityUnits")
        total += float(specific if specific is not None else entry.get("CapacityUnits") or 0.0)
    return total


def _estimated_units(operation: str, parsed: dict[str, Any]) -> float:
    if operation == "BatchGetItem":
        return float(sum(len(items) for items in (parsed.get("Responses") or {}).values())) or 1.0
    return 1.0


def _count_dynamodb(operation: str, parsed: dict[str, Any], status: int, caller: str) -> None:
    if operation not in _DYNAMO_READS and operation not in _DYNAMO_WRITES:
        return  # control plane (CreateTable, DescribeTable...) is not billed per request
    write = operation in _DYNAMO_WRITES
    kind = "dynamodb.write_units" if write else "dynamodb.read_units"
    if status >= 300:
        code = str((parsed.get("Error") or {}).get("Code", ""))
        if write and code.endswith(("ConditionalCheckFailedException", "TransactionCanceledException")):
            meter.record(kind, 1.0, caller)  # a failed condition is still a billed write
        return
    units = _capacity(parsed, write)
    if units is None:
        units = _estimated_units(operation, parsed)
    meter.record(kind, units, caller)


def _first_report(query_id: str) -> bool:
    with _install_lock:
        if query_id in _seen_queries:
            return False
        _seen_queries[query_id] = None
        if len(_seen_queries) > _SEEN_LIMIT:
            _seen_queries.popitem(last=False)
        return True


def _count_scan(execution: Any, caller: str) -> None:
    if not isinstance(execution, dict):
        return
    state = (execution.get("Status") or {}).get("State")
    query_id = execution.get("QueryExecutionId")
    if state not in _FINISHED or not query_id or not _first_report(str(query_id)):
        return
    scanned = (execution.get("Statistics") or {}).get("DataScannedInBytes") or 0
    meter.record("athena.bytes_scanned", float(scanned), caller)


def _count_athena(operation: str, parsed: dict[str, Any], status: int, caller: str) -> None:
    if status >= 300:
        return
    if operation == "StartQueryExecution":
        meter.record("athena.query", 1, caller)
    elif operation == "GetQueryExecution":
        _count_scan(parsed.get("QueryExecution"), caller)
    elif operation == "BatchGetQueryExecution":
        for execution in parsed.get("QueryExecutions") or ():
            _count_scan(execution, caller)


def on_dynamodb_parameters(params: Any = None, event_name: str = "", **_: Any) -> None:
    """Ask DynamoDB to report the capacity each data request consumes."""
    if not meter.active() or not isinstance(params, dict):
        return
    _, operation = _split(event_name)
    if operation in _DYNAMO_CAPACITY_OPS:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")


def on_s3_parameters(params: Any = None, context: Any = None, **_: Any) -> None:
    """Remember the request body's size for ``s3.bytes_in`` (PUT class requests)."""
    if not meter.active() or not isinstance(params, dict) or not isinstance(context, dict):
        return
    body = params.get("Body")
    size: int | None = None
    if isinstance(body, (bytes, bytearray)):
        size = len(body)
    elif isinstance(body, str):
        size = len(body.encode())
    elif body is not None and hasattr(body, "seek") and hasattr(body, "tell"):
        try:
            here = body.tell()
            size = body.seek(0, 2) - here
            body.seek(here)
        except (OSError, ValueError):
            size = None
    if size is not None:
        context["costguard_bytes_in"] = size


class _PlatformListener:
    """The platform meter's listener on the tool's botocore layer (``runtime_guard.operations``)."""

    def wants(self, service: str, operation: str) -> bool:
        return meter.active()

    def before_call(self, *args: Any) -> None:
        return None

    def parameters(self, service: str, operation: str, params: Any, context: Any) -> None:
        event = f"before-parameter-build.{service}.{operation}"
        if service == "dynamodb":
            on_dynamodb_parameters(params=params, event_name=event)
        elif service == "s3":
            on_s3_parameters(params=params, context=context)

    def response(self, service: str, operation: str, caller: str, parsed: Any, response_dict: Any, context: Any) -> None:
        on_response_received(f"response-received.{service}.{operation}", parsed, response_dict, context)


_LISTENER = _PlatformListener()


def meter_client(client: Any) -> Any:
    """Make sure ``client``'s requests are counted (idempotent; clients made before are found
    when the layer attaches, so this is only needed for clients of an unusual origin)."""
    meter_boto3()
    from runtime_guard import operations

    operations.register_client(client)
    return client


def meter_boto3() -> None:
    """Count every boto3 client of this process, made before or after (idempotent).

    The handlers are registered on each botocore session and client by the tool's layer
    (``runtime_guard.operations``: public ``Session.register`` / ``client.meta.events``), not by
    editing botocore's built-in handler list.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        from runtime_guard import operations

        operations.attach(_LISTENER)
        _installed = True
