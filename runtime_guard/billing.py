"""Billing kinds of AWS requests: what one HTTP attempt of ``service.Operation`` is billed as.

Standard library only; the meter (``runtime_guard.meter``) calls these from botocore's events.

* S3: each request is one ``s3.GET`` / ``s3.HEAD`` / ``s3.LIST`` / ``s3.DELETE`` / ``s3.PUT``
  (PUT, COPY, POST, create/complete multipart...); ``s3.bytes_out`` is GetObject's
  ContentLength and ``s3.bytes_in`` the request body's size (noted before the request is built).
* DynamoDB data requests: ``dynamodb.read_units`` / ``dynamodb.write_units`` from the answer's
  ``ConsumedCapacity`` (the meter asks for ``ReturnConsumedCapacity=TOTAL`` unless the caller
  asked for something); a failed condition is billed as 1 write unit; an answer without
  capacity counts 1 unit (per item for BatchGetItem). Control-plane calls are not billed.
* Athena: one ``athena.query`` per accepted StartQueryExecution; ``athena.bytes_scanned`` once per
  query id, when GetQueryExecution (or the batch form) reports it finished.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

__all__ = ["s3_kind", "kinds", "prepare", "tier_of", "DYNAMO_READS", "DYNAMO_WRITES"]

DYNAMO_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement", "BatchExecuteStatement"})
DYNAMO_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteTransaction"})
_CAPACITY_OPS = (DYNAMO_READS | DYNAMO_WRITES) - {"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}
_FINISHED = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
BYTES_IN = "costguard_bytes_in"


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
    return "s3.PUT"


def tier_of(kind: str) -> str | None:
    """S3's request tiers as Infracost names them: tier 1 = PUT/COPY/POST/LIST, tier 2 = GET and the rest."""
    if kind in ("s3.PUT", "s3.LIST"):
        return "monthly_tier_1_requests"
    if kind in ("s3.GET", "s3.HEAD"):
        return "monthly_tier_2_requests"
    return None


def kind_of(service: str, operation: str) -> str | None:
    """The request-priced kind of an operation, if it has one (CG201's messages quote its price)."""
    if service == "s3":
        return s3_kind(operation)
    if service == "dynamodb":
        if operation in DYNAMO_WRITES:
            return "dynamodb.write_units"
        if operation in DYNAMO_READS:
            return "dynamodb.read_units"
    if service == "athena" and operation == "StartQueryExecution":
        return "athena.tb_scanned"
    return None


def _status(response_dict: Any) -> int:
    if isinstance(response_dict, dict):
        return int(response_dict.get("status_code") or 0)
    return 0


def _capacity(parsed: dict[str, Any], write: bool) -> float | None:
    consumed = parsed.get("ConsumedCapacity")
    if consumed is None:
        return None
    entries = consumed if isinstance(consumed, list) else [consumed]
    total = 0.0
    for entry in entries:
        if isinstance(entry, dict):
            specific = entry.get("WriteCapacityUnits" if write else "ReadCapacityUnits")
            total += float(specific if specific is not None else entry.get("CapacityUnits") or 0.0)
    return total


def kinds(service: str, operation: str, parsed: Any, response_dict: Any, context: Any,
          first_report: Callable[[str], bool]) -> Iterator[tuple[str, float]]:
    """``(kind, amount)`` pairs one answered HTTP attempt is billed as.

    ``first_report(query_id)`` is True the first time an Athena query's scan is seen.
    """
    if not isinstance(parsed, dict):
        return
    status = _status(response_dict)
    if service == "s3":
        kind = s3_kind(operation)
        yield kind, 1
        if operation == "GetObject" and status < 300:
            yield "s3.bytes_out", int(parsed.get("ContentLength") or 0)
        if kind == "s3.PUT" and isinstance(context, dict) and BYTES_IN in context:
            yield "s3.bytes_in", context[BYTES_IN]
    elif service == "dynamodb":
        if operation not in DYNAMO_READS and operation not in DYNAMO_WRITES:
            return
        write = operation in DYNAMO_WRITES
        kind = "dynamodb.write_units" if write else "dynamodb.read_units"
        if status >= 300:
            code = str((parsed.get("Error") or {}).get("Code", ""))
            if write and code.endswith(("ConditionalCheckFailedException", "TransactionCanceledException")):
                yield kind, 1.0
            return
        units = _capacity(parsed, write)
        if units is None:
            if operation == "BatchGetItem":
                units = float(sum(len(items) for items in (parsed.get("Responses") or {}).values())) or 1.0
            else:
                units = 1.0
        yield kind, units
    elif service == "athena" and status < 300:
        if operation == "StartQueryExecution":
            yield "athena.query", 1
        elif operation in ("GetQueryExecution", "BatchGetQueryExecution"):
            executions = [parsed.get("QueryExecution")] if operation == "GetQueryExecution" else list(parsed.get("QueryExecutions") or ())
            for execution in executions:
                if not isinstance(execution, dict):
                    continue
                state = (execution.get("Status") or {}).get("State")
                query_id = execution.get("QueryExecutionId")
                if state in _FINISHED and query_id and first_report(str(query_id)):
                    yield "athena.bytes_scanned", float((execution.get("Statistics") or {}).get("DataScannedInBytes") or 0)


def prepare(service: str, operation: str, params: Any, context: Any) -> None:
    """Before the request is built: ask DynamoDB for its capacity; note an S3 body's size."""
    if not isinstance(params, dict):
        return
    if service == "dynamodb":
        if operation in _CAPACITY_OPS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        return
    if service != "s3" or not isinstance(context, dict):
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
        context[BYTES_IN] = size
