"""The botocore event handlers count real boto3 requests against a moto server."""

from __future__ import annotations

import pytest

from secfilings.cost import meter_boto3
from secfilings.cost.boto_events import meter_client, s3_kind
from secfilings.meter import OTHER_CALLER, cost_meter
from tests.cost.cost_moto import aws_env, moto_endpoint, new_client  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("moto_endpoint")


def test_s3_requests_and_bytes_are_counted_per_http_request(moto_endpoint: str) -> None:
    meter_boto3()
    s3 = new_client("s3", moto_endpoint)
    s3.create_bucket(Bucket="metered")
    with cost_meter() as meter:
        for i in range(3):
            s3.put_object(Bucket="metered", Key=f"p/k{i}", Body=b"x" * (10 + i))
        pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="metered", Prefix="p/", PaginationConfig={"PageSize": 2}))
        body = s3.get_object(Bucket="metered", Key="p/k1")["Body"].read()
        assert s3.head_object(Bucket="metered", Key="p/k2")["ContentLength"] == 12
        with pytest.raises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket="metered", Key="p/absent")  # a 404 GET is billed too
        s3.delete_object(Bucket="metered", Key="p/k0")
    assert len(pages) == 2 and body == b"x" * 11
    assert meter.counts["s3.PUT"] == 3
    assert meter.counts["s3.LIST"] == 2
    assert meter.counts["s3.GET"] == 2
    assert meter.counts["s3.HEAD"] == 1
    assert meter.counts["s3.DELETE"] == 1
    assert meter.counts["s3.bytes_out"] == 11
    assert meter.counts["s3.bytes_in"] == 10 + 11 + 12
    # called from this test, not from a platform module
    assert meter.callers("s3.GET") == {OTHER_CALLER: 2}


def test_nothing_is_counted_without_an_open_meter(moto_endpoint: str) -> None:
    meter_boto3()
    s3 = new_client("s3", moto_endpoint)
    s3.create_bucket(Bucket="quiet")
    with cost_meter() as first:
        s3.put_object(Bucket="quiet", Key="a", Body=b"1")
    s3.get_object(Bucket="quiet", Key="a")  # no meter open
    with cost_meter() as second:
        s3.list_objects_v2(Bucket="quiet")
    assert dict(first.counts) == {"s3.PUT": 1, "s3.bytes_in": 1, "calls.s3.PutObject": 1}
    assert dict(second.counts) == {"s3.LIST": 1, "calls.s3.ListObjectsV2": 1}


def test_dynamodb_units_come_from_consumed_capacity(moto_endpoint: str) -> None:
    meter_boto3()
    ddb = new_client("dynamodb", moto_endpoint)
    ddb.create_table(
        TableName="units",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with cost_meter() as meter:
        for sk in ("a", "b", "c"):
            response = ddb.put_item(TableName="units", Item={"pk": {"S": "p"}, "sk": {"S": sk}},
                                    ConditionExpression="attribute_not_exists(pk)")
            # the handler asked for the capacity; the caller did not
            assert response["ConsumedCapacity"]["CapacityUnits"] == 1.0
        with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
            ddb.put_item(TableName="units", Item={"pk": {"S": "p"}, "sk": {"S": "a"}},
                         ConditionExpression="attribute_not_exists(pk)")
        ddb.get_item(TableName="units", Key={"pk": {"S": "p"}, "sk": {"S": "a"}})
        ddb.batch_get_item(RequestItems={"units": {"Keys": [{"pk": {"S": "p"}, "sk": {"S": s}} for s in "abc"]}})
        ddb.query(TableName="units", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    assert meter.counts["dynamodb.write_units"] == 3 + 1  # the failed condition is billed
    # moto's figures: GetItem 0.5, BatchGetItem one per key, Query 1.0
    assert meter.counts["dynamodb.read_units"] == 0.5 + 3 + 1.0


def test_athena_counts_queries_once_and_each_scan_once(moto_endpoint: str) -> None:
    meter_boto3()
    athena = new_client("athena", moto_endpoint)
    with cost_meter() as meter:
        ids = [
            athena.start_query_execution(
                QueryString=f"SELECT {i}", ResultConfiguration={"OutputLocation": "s3://results/"}
            )["QueryExecutionId"]
            for i in range(2)
        ]
        for _ in range(3):  # polling does not multiply the scans
            for query_id in ids:
                athena.get_query_execution(QueryExecutionId=query_id)
    assert meter.counts["athena.query"] == 2
    assert meter.athena_scans == [0.0, 0.0]  # moto reports 0 bytes; the 10 MB minimum prices them
    usd = meter.cost("list")
    assert usd["athena.tb_scanned"] == pytest.approx(2 * 10 * 10**6 / 10**12 * 5.0)


def test_clients_from_the_default_session_and_older_clients(moto_endpoint: str, aws_env: str) -> None:
    import boto3

    meter_boto3()
    s3 = boto3.client("s3")  # module-level boto3.client: the default session
    s3.create_bucket(Bucket="default-session")
    with cost_meter() as meter:
        s3.list_objects_v2(Bucket="default-session")
    assert meter.counts["s3.LIST"] == 1
    # registering twice on a client does not double count
    meter_client(meter_client(s3))
    with cost_meter() as again:
        s3.list_objects_v2(Bucket="default-session")
    assert again.counts["s3.LIST"] == 1


def test_requests_are_charged_to_the_calling_platform_module(moto_endpoint: str) -> None:
    meter_boto3()
    s3 = new_client("s3", moto_endpoint)
    s3.create_bucket(Bucket="callers")
    s3.put_object(Bucket="callers", Key="k", Body=b"abc")
    # scripts may read S3 themselves (services and workers may not: [[tool.costguard.operation]])
    namespace = {"__name__": "secfilings.scripts.fake_script", "s3": s3}
    exec(compile("def read():\n    return s3.get_object(Bucket='callers', Key='k')['Body'].read()\n",
                 "fake_script.py", "exec"), namespace)
    with cost_meter() as meter:
        assert namespace["read"]() == b"abc"
        s3.get_object(Bucket="callers", Key="k")
    assert meter.callers("s3.GET") == {"secfilings.scripts.fake_script": 1, OTHER_CALLER: 1}
    assert meter.from_callers(["secfilings.scripts"], "s3.GET") == 1
    assert meter.from_callers(["secfilings.services", "secfilings.workers"], "s3.GET") == 0


@pytest.mark.parametrize(
    ("operation", "kind"),
    [("GetObject", "s3.GET"), ("HeadObject", "s3.HEAD"), ("ListObjectsV2", "s3.LIST"),
     ("PutObject", "s3.PUT"), ("CopyObject", "s3.PUT"), ("DeleteObjects", "s3.DELETE")],
)
def test_s3_billing_classes(operation: str, kind: str) -> None:
    assert s3_kind(operation) == kind
