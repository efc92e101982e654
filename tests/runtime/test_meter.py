"""runtime_guard.meter / ``costguard meter``: exact counts of a job whose requests are known (moto server)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime_guard import meter as meter_module
from runtime_guard.cli import main as cli_main
from tests.runtime.conftest import clean_env
from tests.runtime.moto_recording import moto_endpoint  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "infra" / "terraform"

READER = '''
def read_three(s3):
    for _ in range(3):
        s3.get_object(Bucket="job-bucket", Key="k0")["Body"].read()
    s3.head_object(Bucket="job-bucket", Key="k1")
'''

JOB = '''
import subprocess, sys
import boto3
from jobpkg import reader

endpoint, role = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
s3 = boto3.client("s3", **kw)
if role == "parent":
    s3.create_bucket(Bucket="job-bucket")
    s3.put_object(Bucket="job-bucket", Key="k0", Body=b"hello")
    s3.put_object(Bucket="job-bucket", Key="k1", Body=b"world!")
    db = boto3.client("dynamodb", **kw)
    db.create_table(TableName="job-table", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    db.put_item(TableName="job-table", Item={"pk": {"S": "a"}})
    try:
        db.put_item(TableName="job-table", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
    except db.exceptions.ConditionalCheckFailedException:
        pass
    db.get_item(TableName="job-table", Key={"pk": {"S": "a"}})
    reader.read_three(s3)
    athena = boto3.client("athena", **kw)
    query = athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://job-bucket/q/"})
    athena.get_query_execution(QueryExecutionId=query["QueryExecutionId"])
    subprocess.run([sys.executable, __file__, endpoint, "child"], check=True)  # a child process
    s3.list_objects_v2(Bucket="job-bucket")
    sys.exit(7)
else:
    reader.read_three(s3)
'''

# What the job sends: the parent reads three times and heads once, and so does its child.
EXPECTED_REQUESTS = {
    "dynamodb.CreateTable": 1,
    "dynamodb.GetItem": 1,
    "dynamodb.PutItem": 2,
    "athena.StartQueryExecution": 1,
    "athena.GetQueryExecution": 1,
    "s3.CreateBucket": 1,
    "s3.GetObject": 6,
    "s3.HeadObject": 2,
    "s3.ListObjectsV2": 1,
    "s3.PutObject": 2,
}


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("job")
    (root / "jobpkg").mkdir()
    (root / "jobpkg" / "__init__.py").write_text("")
    (root / "jobpkg" / "reader.py").write_text(READER)
    (root / "job.py").write_text(JOB)
    return root


def run_meter(job: Path, endpoint: str, *options: str) -> subprocess.CompletedProcess[str]:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST"), timeout=30).read()
    return subprocess.run(
        [sys.executable, "-m", "runtime_guard.meter", *options, "--", sys.executable, str(job / "job.py"), endpoint, "parent"],
        cwd=REPO, env=clean_env(PYTHONPATH=str(job)), capture_output=True, text=True, timeout=180,
    )


@pytest.fixture(scope="module")
def metered(job: Path, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("out")
    done = run_meter(job, moto_endpoint, "--json", "--per-day", "1000", "--output", str(out / "report.json"),
                     "--infracost-usage", str(out / "usage.yml"))
    assert done.returncode == 7, done.stderr  # the program's exit status
    return {"report": json.loads((out / "report.json").read_text()), "usage": (out / "usage.yml").read_text(), "stdout": done.stdout}


def test_exact_counts_by_operation_caller_and_kind_children_included(metered: dict[str, Any]) -> None:
    report = metered["report"]
    assert report["requests"] == EXPECTED_REQUESTS
    assert report["by_caller"]["jobpkg.reader"] == {"s3.GetObject": 6, "s3.HeadObject": 2}
    assert report["by_caller"]["job"]["s3.PutObject"] == 2
    units = report["units"]
    assert (units["s3.GET"], units["s3.HEAD"], units["s3.PUT"], units["s3.LIST"]) == (6, 2, 3, 1)  # CreateBucket is PUT class
    assert units["s3.bytes_out"] == 6 * len(b"hello") and units["s3.bytes_in"] == len(b"hello") + len(b"world!")
    assert units["dynamodb.write_units"] == 2  # one item written, one failed condition (billed)
    assert units["dynamodb.read_units"] > 0
    assert units["athena.query"] == 1 and units["athena.bytes_scanned"] == 0  # moto executes no query: 0 bytes
    assert metered["stdout"] == ""  # --output took the report


def test_dollars_follow_the_price_table_and_scale_per_day(metered: dict[str, Any]) -> None:
    from runtime_guard.prices import LIST_PRICES

    report = metered["report"]
    units = report["units"]
    expected = sum(units.get(k, 0) * LIST_PRICES.prices[k] for k in ("s3.GET", "s3.HEAD", "s3.PUT", "s3.LIST", "dynamodb.read_units", "dynamodb.write_units"))
    expected += 10 * 10**6 / 10**12 * 5.0  # the one Athena query: billed its 10 MB minimum at $5/TB
    assert report["usd"] == pytest.approx(expected)
    assert report["prices"] == "list" and report["region"] == "us-east-1" and "2024-11-01" in report["prices_date"]
    assert report["per_day"]["requests"]["s3.GetObject"] == 6000
    assert report["per_day"]["usd"] == pytest.approx(expected * 1000)


def test_the_infracost_usage_file_follows_infracost_schema_and_names_real_resources(metered: dict[str, Any]) -> None:
    import hcl2
    import yaml

    usage = yaml.safe_load(metered["usage"])
    assert set(usage) == {"version", "resource_usage"} and str(usage["version"]) == "0.1"
    addresses = set()
    for path in TERRAFORM.glob("*.tf"):
        for block in hcl2.load(path.open()).get("resource", []):
            for kind, named in block.items():
                addresses.update(f"{kind.strip(chr(34))}.{name.strip(chr(34))}" for name in named)
    assert set(usage["resource_usage"]) == {"aws_s3_bucket.lake", "aws_dynamodb_table.lookup_index"}
    assert set(usage["resource_usage"]) <= addresses
    # The keys Infracost documents for these resources (infracost-usage-example.yml).
    bucket = usage["resource_usage"]["aws_s3_bucket.lake"]
    assert set(bucket) == {"standard"}
    assert bucket["standard"] == {"monthly_tier_1_requests": (3 + 1) * 1000 * 30, "monthly_tier_2_requests": (6 + 2) * 1000 * 30}
    table = usage["resource_usage"]["aws_dynamodb_table.lookup_index"]
    assert set(table) == {"monthly_read_request_units", "monthly_write_request_units"}
    assert table["monthly_write_request_units"] == 2 * 1000 * 30
    assert all(isinstance(v, int) and v >= 0 for v in table.values())
    assert "aws_athena_workgroup.lake: Infracost has no Athena pricing; 0.000000 TB scanned a month (30000 queries)" in metered["usage"]


def test_the_text_report_names_the_price_table_and_the_command(job: Path, moto_endpoint: str) -> None:
    done = run_meter(job, moto_endpoint)
    assert done.returncode == 7, done.stderr
    out = done.stdout
    assert "prices: list (current us-east-1 list prices" in out and "in effect since 2024-11-01" in out
    assert "  s3.GetObject" in out and "jobpkg.reader: s3.GetObject 6, s3.HeadObject 2" in out
    assert "(exit status 7)" in out


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["meter", "--prices", str(tmp_path / "nope.toml"), "--", "true"]) == 2
    assert cli_main(["meter"]) == 2
    assert cli_main(["meter", "--", str(tmp_path / "no-such-program")]) == 127
    assert cli_main(["frobnicate"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 4 and all(line.startswith("costguard") for line in errors)
    assert "nope.toml" in errors[0] and "no-such-program" in errors[2]


def test_an_in_process_meter_counts_only_while_open(moto_endpoint: str) -> None:
    from tests.runtime.moto_recording import s3_client

    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket="inproc")
    with meter_module.Meter() as meter:
        client.list_objects_v2(Bucket="inproc")
        client.list_objects_v2(Bucket="inproc")
    client.list_objects_v2(Bucket="inproc")
    assert meter.requests == {"s3.ListObjectsV2": 2}
    assert meter.by_caller == {__name__: {"s3.ListObjectsV2": 2}}
