"""Settings from flags and SECFILINGS_* variables, and the platform each kind of lake opens."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from secfilings import aws
from secfilings.cli import main
from secfilings.config import ENV_VARS, Settings, open_platform
from secfilings.data import FORM4_DIR
from secfilings.errors import ConfigError
from secfilings.lake.objects import LocalObjectStore, S3ObjectStore
from secfilings.services.api.athena.lookup_index import DynamoLookupIndex, SqliteLookupIndex
from secfilings.sql.engine import AthenaEngine, DuckDBEngine


def test_defaults() -> None:
    settings = Settings.from_env({}, environ={})
    assert settings.lake == "./secfilings-lake"
    assert settings.index_table == "lookup-index"
    assert Path(settings.index_path) == Path("./secfilings-lake/_index/lookup-index.sqlite")  # type: ignore[arg-type]
    assert (settings.athena_database, settings.athena_workgroup) == ("secfilings", "primary")
    assert settings.index_mode == "read-fallback"
    assert (settings.batch_size, settings.window_days) == (100, 90)
    assert not settings.is_s3


def test_environment_then_flags() -> None:
    environ = {
        "SECFILINGS_LAKE": "s3://my-bucket/lake/v1/",
        "SECFILINGS_INDEX_TABLE": "prod-lookup",
        "SECFILINGS_ATHENA_DATABASE": "sec",
        "SECFILINGS_ATHENA_WORKGROUP": "analytics",
        "SECFILINGS_INDEX_MODE": "write",
        "SECFILINGS_BATCH_SIZE": "25",
        "SECFILINGS_WINDOW_DAYS": "30",
    }
    settings = Settings.from_env({"index_mode": "read-only", "batch_size": None}, environ=environ)
    assert settings.lake == "s3://my-bucket/lake/v1"
    assert settings.index_table == "prod-lookup"
    assert settings.index_path is None
    assert settings.athena_output == "s3://my-bucket/lake/v1/_athena-results/"
    assert (settings.athena_database, settings.athena_workgroup) == ("sec", "analytics")
    assert settings.index_mode == "read-only"  # the flag wins
    assert settings.batch_size == 25  # an unset flag (None) leaves the variable
    assert settings.window_days == 30


def test_every_setting_has_a_variable() -> None:
    assert set(ENV_VARS) == {f for f in Settings.__dataclass_fields__}
    assert all(v == "SECFILINGS_" + k.upper() for k, v in ENV_VARS.items())


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("index_mode", "x", "expected one of off, write, read-fallback, read-only, got 'x'"),
        ("batch_size", "500", "expected 1 to 100 (DynamoDB's batch limit), got 500"),
        ("batch_size", "ten", "expected a whole number, got 'ten'"),
        ("window_days", "0", "expected 1 to 36500 days, got 0"),
        ("lake", "gs://bucket/x", "expected a folder or an s3://bucket/prefix URL, got 'gs://bucket/x'"),
        ("lake", "s3://B/x", "invalid S3 bucket name 'B'"),
        ("lake", "s3://bucket/a/../b", "invalid S3 prefix 'a/../b'"),
        ("athena_output", "/tmp/out", "expected an s3://bucket/prefix URL, got '/tmp/out'"),
        ("index_table", "x", "invalid DynamoDB table name 'x'"),
        ("athena_database", "a;drop", "invalid Athena database name 'a;drop'"),
    ],
)
def test_bad_values_name_the_flag_or_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as from_env:
        Settings.from_env({}, environ={ENV_VARS[name]: value})
    assert str(from_env.value).startswith(f"{ENV_VARS[name]}: {message}")
    with pytest.raises(ConfigError) as from_flag:
        Settings.from_env({name: value}, environ={})
    assert str(from_flag.value).startswith(f"--{name.replace('_', '-')}: {message}")
    assert "\n" not in str(from_flag.value)


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'lak'"):
        Settings.from_env({"lak": "x"}, environ={})


def test_folder_lake_opens_the_embedded_engines(tmp_path: Path) -> None:
    settings = Settings.from_env({"lake": str(tmp_path / "new" / "lake")}, environ={})
    with open_platform(settings) as platform:
        assert isinstance(platform.store, LocalObjectStore)
        assert isinstance(platform.index, SqliteLookupIndex)
        assert isinstance(platform.sql, DuckDBEngine)
        assert platform.settings is settings
        platform.store.put("raw/a.xml", b"a")
        platform.index.put_lookup("p", "s", {"a": 1})
        assert platform.sql.query("SELECT count(*) AS n FROM fund_holdings") == [{"n": 0}]
    assert (tmp_path / "new" / "lake" / "raw" / "a.xml").read_bytes() == b"a"
    assert (tmp_path / "new" / "lake" / "_index" / "lookup-index.sqlite").is_file()


def test_folder_lake_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="--lake"):
        open_platform(Settings(lake=str(tmp_path / "file")))


def test_open_platform_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECFILINGS_LAKE", str(tmp_path / "env-lake"))
    monkeypatch.setenv("SECFILINGS_INDEX_PATH", str(tmp_path / "elsewhere" / "index.sqlite"))
    with open_platform() as platform:
        assert platform.store.root == (tmp_path / "env-lake").resolve()
        platform.index.put_lookup("p", "s", {})
    assert (tmp_path / "elsewhere" / "index.sqlite").is_file()


def test_s3_lake_opens_the_aws_backends_on_moto(aws_platform: Any, s3_client: Any) -> None:
    assert isinstance(aws_platform.store, S3ObjectStore)
    assert isinstance(aws_platform.index, DynamoLookupIndex)
    assert isinstance(aws_platform.sql, AthenaEngine)
    aws_platform.store.put("raw/form=4/year=2025/month=05/a.xml", b"<a/>")
    bucket = aws_platform.store.bucket
    stored = s3_client.get_object(Bucket=bucket, Key="lake/raw/form=4/year=2025/month=05/a.xml")
    assert stored["Body"].read() == b"<a/>"
    assert aws_platform.index.put_lookup("company#0000000042", "filing#1", {"a": 1}, if_absent=True)
    assert aws_platform.index.get_lookup("company#0000000042") == [{"a": 1}]
    assert aws_platform.sql.query("SELECT 1") == []  # moto runs no SQL; the flow completes


def test_aws_clients_follow_the_environment(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = aws.client("s3")
    assert s3.meta.endpoint_url == aws_env
    assert s3.meta.region_name == "us-east-1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", aws_env + "/")
    assert aws.client("dynamodb").meta.endpoint_url.rstrip("/") == aws_env
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert aws.client("athena").meta.region_name == "eu-west-1"


def test_config_module_does_not_import_boto3() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tempfile\n"
        "from secfilings.config import Settings, open_platform\n"
        "with open_platform(Settings(lake=tempfile.mkdtemp())) as p:\n"
        "    p.index.put_lookup('p', 's', {})\n"
        "print('boto3' in sys.modules, 'botocore' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("name", ["a,b", "back\\slash", "{a,b}", "brace{"])
def test_a_lake_path_duckdb_would_misread_is_refused_in_one_line(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    with pytest.raises(ConfigError, match=r"--lake: a folder lake's path may not contain '.{1,2}' \(DuckDB reads it"):
        Settings(lake=str(folder))
    out, err = io.StringIO(), io.StringIO()
    assert main(["--lake", str(folder), "ingest", str(FORM4_DIR)], out=out, err=err) == 2
    assert len(err.getvalue().splitlines()) == 1 and not folder.exists()


@pytest.mark.parametrize("name", ["lake[1]", "with space", "dots.and-dash", "ünïcode", "semi;colon", "star*q?"])
def test_other_odd_folder_names_work_as_a_lake(tmp_path: Path, name: str) -> None:
    from secfilings.services.api.athena.companies import get_company
    from secfilings.workers.form4_parser.worker import ingest_paths

    settings = Settings(lake=str(tmp_path / name), index_mode="off")  # answers from SQL over the lake
    with open_platform(settings) as platform:
        ingest_paths(platform, [FORM4_DIR / "374WaterForm4.xml"])
        answer = get_company(platform, "933972")
    assert answer is not None and answer["name"] == "374Water Inc."
