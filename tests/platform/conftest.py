"""Shared fixtures of the platform tests: a moto server, AWS settings pointing at it, a bucket,
a DynamoDB table made from the Terraform definition, and platforms (local and AWS).

The moto server runs in moto's server mode (``ThreadedMotoServer``) on 127.0.0.1 and a random
port, once per test process (xdist-safe); every test gets its own bucket and table names, so
tests never see each other's data. boto3 is never patched: it talks HTTP to the server.
"""

from __future__ import annotations

import functools
import json
import logging
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_TABLE = REPO / "infra" / "terraform" / "dynamodb_indexes.tf"
TERRAFORM_VARIABLES = REPO / "infra" / "terraform" / "variables.tf"


def hcl_value(value: Any) -> Any:
    """A python-hcl2 value without HCL's quotes (``'"pk"'`` -> ``"pk"``)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def load_hcl(path: Path) -> dict[str, Any]:
    import hcl2

    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


@functools.lru_cache(maxsize=1)
def terraform_lookup_table() -> dict[str, Any]:
    """The ``aws_dynamodb_table`` block of dynamodb_indexes.tf, quotes removed (one level)."""
    resources = load_hcl(TERRAFORM_TABLE)["resource"]
    for block in resources:
        for kind, named in block.items():
            if hcl_value(kind) == "aws_dynamodb_table":
                (body,) = named.values()
                return body
    raise AssertionError(f"no aws_dynamodb_table in {TERRAFORM_TABLE}")


def create_table_request(table_name: str) -> dict[str, Any]:
    """A DynamoDB CreateTable request built from the Terraform definition (not retyped)."""
    table = terraform_lookup_table()
    request: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": hcl_value(a["name"]), "AttributeType": hcl_value(a["type"])}
            for a in table["attribute"]
        ],
        "KeySchema": [
            {"AttributeName": hcl_value(table["hash_key"]), "KeyType": "HASH"},
            {"AttributeName": hcl_value(table["range_key"]), "KeyType": "RANGE"},
        ],
        "BillingMode": hcl_value(table["billing_mode"]),
    }
    if table.get("server_side_encryption", [{}])[0].get("enabled"):
        request["SSESpecification"] = {"Enabled": True}
    return request


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a moto server running for this test process."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point boto3 at the moto server with fake credentials; returns the endpoint URL."""
    for name in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_ATHENA", "AWS_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    # no real profile, config or credentials file can leak in
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_endpoint


@pytest.fixture
def s3_client(aws_env: str) -> Any:
    from secfilings import aws

    return aws.client("s3")


@pytest.fixture
def dynamodb_client(aws_env: str) -> Any:
    from secfilings import aws

    return aws.client("dynamodb")


@pytest.fixture
def athena_client(aws_env: str) -> Any:
    from secfilings import aws

    return aws.client("athena")


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    """A new, empty bucket on the moto server (unique name per test)."""
    name = f"secfilings-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def dynamo_table(dynamodb_client: Any) -> str:
    """A new lookup-index table created from infra/terraform/dynamodb_indexes.tf."""
    name = f"lookup-index-{uuid.uuid4().hex[:12]}"
    dynamodb_client.create_table(**create_table_request(name))
    dynamodb_client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
    )
    if terraform_lookup_table().get("point_in_time_recovery", [{}])[0].get("enabled"):
        dynamodb_client.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    return name


@pytest.fixture
def local_platform(tmp_path: Path) -> Iterator[Any]:
    """The embedded default: a folder lake, SQLite index and DuckDB, under tmp_path."""
    from secfilings.config import Settings, open_platform

    with open_platform(Settings(lake=str(tmp_path / "lake"))) as platform:
        yield platform


@pytest.fixture
def aws_settings(aws_env: str, s3_bucket: str, dynamo_table: str) -> Any:
    """Settings of an S3 lake (bucket prefix ``lake``) on the moto server."""
    from secfilings.config import Settings

    return Settings(
        lake=f"s3://{s3_bucket}/lake",
        index_table=dynamo_table,
        athena_output=f"s3://{s3_bucket}/athena-results/",
    )


@pytest.fixture
def aws_platform(aws_settings: Any) -> Iterator[Any]:
    """The AWS backends (S3, DynamoDB, Athena) on the moto server."""
    from secfilings.config import open_platform

    with open_platform(aws_settings) as platform:
        yield platform


def moto_api_post(endpoint: str, path: str, body: dict[str, Any]) -> int:
    """POST JSON to one of moto's own API endpoints (``/moto-api/...``); returns the status."""
    request = urllib.request.Request(
        endpoint + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local moto only
        return response.status


def queue_athena_results(endpoint: str, results: list[dict[str, Any]]) -> None:
    """Queue canned Athena results on the moto server, taken by the next queries in order.

    Each result is ``{"rows": [{"Data": [{"VarCharValue": ...}]}], "column_info": [...]}``.
    """
    status = moto_api_post(
        endpoint,
        "/moto-api/static/athena/query-results",
        {"region": "us-east-1", "results": results},
    )
    assert status == 201, status


@pytest.fixture
def athena_results(aws_env: str) -> Any:
    """``queue(results)``: queue canned Athena results on this test's moto server."""
    return lambda results: queue_athena_results(aws_env, results)
