"""Count real AWS requests from botocore's event system, so code under test is not changed.

The counting itself lives with the meter (:mod:`secfilings.meter`): the first meter opened
attaches one listener to the tool's botocore layer (``runtime_guard.operations``), which
registers its handlers on every botocore session as it is made and on the sessions and clients
that already exist, through botocore's public ``register``, and bills each answered HTTP attempt
with the tool's billing kinds (``runtime_guard.billing``, the same as ``costguard meter``):

* ``response-received.*`` -- once per HTTP attempt (retries are billed requests too): S3
  GET/HEAD/PUT/LIST/DELETE class by operation, ``s3.bytes_out`` from GetObject's ContentLength
  and ``s3.bytes_in`` from the request body's length; Athena: one ``athena.query`` per accepted
  StartQueryExecution and, once per query id (and meter), ``athena.bytes_scanned`` from
  ``Statistics.DataScannedInBytes`` when GetQueryExecution (or the batch form) reports a finished
  query; DynamoDB: read and write units from ``ConsumedCapacity``. Every attempt is also counted
  as ``calls.<service>.<Operation>`` (not priced), e.g. ``calls.dynamodb.BatchGetItem``.
* ``before-parameter-build.dynamodb.*`` -- asks DynamoDB for ``ReturnConsumedCapacity=TOTAL``
  (unless the caller asked for something already) so the units are the service's own figures.
  A request that fails its condition (``ConditionalCheckFailedException``) returns no capacity
  but is billed: it is counted as 1 write unit. A data request answered without
  ``ConsumedCapacity`` is counted as 1 unit (per item for batch requests).

Each request goes to the meters open in the context (thread, task) that made it, only those.
This module keeps the names the cost package has always offered.
"""

from __future__ import annotations

from runtime_guard.billing import s3_kind
from secfilings.meter import meter_client, switch_on_boto3_metering

__all__ = ["meter_boto3", "meter_client", "s3_kind"]


def meter_boto3() -> None:
    """Count every boto3 client of this process, made before or after (idempotent; each request
    is counted only by the meters open in the context that makes it)."""
    switch_on_boto3_metering()
