"""runtime_guard.operations: banned AWS operations refused before they are sent (real boto3, moto server)."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from runtime_guard import ForbiddenOperationError, operations
from runtime_guard.errors import CostguardWarning
from runtime_guard.policy import load_policy
from tests.runtime.conftest import clean_env
from tests.runtime.moto_recording import moto_endpoint, received, s3_client  # noqa: F401 - fixtures

BUCKET = "ops-bucket"

CALLS = '''
from concurrent.futures import ThreadPoolExecutor

import boto3


def get(client, key):
    return client.get_object(Bucket="ops-bucket", Key=key)["Body"].read()


def head(client, key):
    return client.head_object(Bucket="ops-bucket", Key=key)["ContentLength"]


def put(client, key, body):
    client.put_object(Bucket="ops-bucket", Key=key, Body=body)


def download(client, key, path):
    client.download_file("ops-bucket", key, path)


def resource_get(endpoint, key):
    s3 = boto3.resource("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    return s3.Object("ops-bucket", key).get()["Body"].read()


def submit_get(client, key):
    with ThreadPoolExecutor(2) as pool:
        return pool.submit(client.get_object, Bucket="ops-bucket", Key=key).result()["Body"].read()
'''

POLICY = '''
[[tool.costguard.operation]]
service = "s3"
operations = ["GetObject", "HeadObject", "ListObjectsV2"]
within = ["opsacme.jobs"]
allow = ["opsacme.jobs.allowed"]
reason = "each call is a billed S3 request"
use_instead = "opsacme.index"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("opsacme")
    for package in ("opsacme", "opsacme/jobs", "opsacme/tools", "opsacme/jobs/allowed"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    for package in ("jobs", "tools", "jobs/allowed"):
        (root / "opsacme" / package / "calls.py").write_text(CALLS)
    (root / "pyproject.toml").write_text(POLICY)
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "opsacme" or n.startswith("opsacme.")]:
            del sys.modules[name]


@pytest.fixture
def modules(project: Path) -> dict[str, Any]:
    return {name: importlib.import_module(f"opsacme.{name}.calls") for name in ("jobs", "tools", "jobs.allowed")}


@pytest.fixture
def bucket(moto_endpoint: str) -> Any:
    client = s3_client(moto_endpoint)
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"hello")
    return client


def start(project: Path, mode: str = "raise") -> Callable[[], None]:
    state = {"mode": mode}
    checker = operations.OperationChecker(load_policy(project / "pyproject.toml"), lambda: state["mode"])
    operations.attach(checker)
    return lambda: operations.detach(checker)


@pytest.fixture
def guarded(project: Path) -> Iterator[None]:
    stop = start(project)
    try:
        yield
    finally:
        stop()


def object_requests(entries: list[dict[str, Any]], key: str) -> list[str]:
    return [entry["method"] for entry in entries if entry["url"].split("?")[0].endswith(f"/{BUCKET}/{key}")]


def test_a_client_made_before_the_guard_is_refused_and_nothing_is_sent(bucket: Any, modules: dict[str, Any], project: Path, received: Any) -> None:
    stop = start(project)  # bucket's client already exists
    try:
        with pytest.raises(ForbiddenOperationError) as caught:
            modules["jobs"].get(bucket, "a.txt")
        assert modules["tools"].get(bucket, "a.txt") == b"hello"  # an unguarded caller still reads
    finally:
        stop()
    error = caught.value
    assert (error.service, error.operation, error.caller) == ("s3", "GetObject", "opsacme.jobs.calls")
    assert error.scope == "opsacme.jobs" and error.reason == "each call is a billed S3 request"
    assert "use opsacme.index" in str(error)
    assert object_requests(received(), "a.txt") == ["GET"]  # only the unguarded read reached moto


def test_a_client_made_after_the_guard_and_a_resource_are_refused(bucket: Any, moto_endpoint: str, modules: dict[str, Any], guarded: None, received: Any) -> None:
    fresh = s3_client(moto_endpoint)
    with pytest.raises(ForbiddenOperationError):
        modules["jobs"].head(fresh, "a.txt")
    with pytest.raises(ForbiddenOperationError) as caught:
        modules["jobs"].resource_get(moto_endpoint, "a.txt")
    assert caught.value.operation == "GetObject"
    modules["jobs"].put(fresh, "b.txt", b"x")  # PutObject is not banned
    assert modules["jobs.allowed"].head(fresh, "a.txt") == 5  # allow wins
    assert object_requests(received(), "a.txt") == ["HEAD"]
    assert object_requests(received(), "b.txt") == ["PUT"]


def test_work_handed_to_threads_belongs_to_the_code_that_handed_it_over(bucket: Any, modules: dict[str, Any], guarded: None, received: Any, tmp_path: Path) -> None:
    with pytest.raises(ForbiddenOperationError) as caught:
        modules["jobs"].download(bucket, "a.txt", str(tmp_path / "out"))  # s3transfer's executor threads
    assert caught.value.caller == "opsacme.jobs.calls"
    with pytest.raises(ForbiddenOperationError) as submitted:
        modules["jobs"].submit_get(bucket, "a.txt")  # pool.submit(client.get_object, ...)
    assert submitted.value.caller == "opsacme.jobs.calls"
    assert not (tmp_path / "out").exists()
    assert object_requests(received(), "a.txt") == []
    modules["tools"].download(bucket, "a.txt", str(tmp_path / "free"))
    assert (tmp_path / "free").read_bytes() == b"hello"


def test_warn_mode_reports_once_per_caller_and_operation_and_sends(bucket: Any, modules: dict[str, Any], project: Path, received: Any) -> None:
    stop = start(project, mode="warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):
                assert modules["jobs"].get(bucket, "a.txt") == b"hello"
            modules["jobs"].head(bucket, "a.txt")
    finally:
        stop()
    messages = [str(w.message) for w in caught if issubclass(w.category, CostguardWarning)]
    assert len(messages) == 2
    assert messages[0].startswith("s3.GetObject is banned in opsacme.jobs (called by opsacme.jobs.calls)")
    assert object_requests(received(), "a.txt") == ["GET", "GET", "GET", "HEAD"]


def test_log_mode_logs_once_per_caller_and_operation(bucket: Any, modules: dict[str, Any], project: Path, caplog: pytest.LogCaptureFixture) -> None:
    stop = start(project, mode="log")
    try:
        with caplog.at_level("WARNING", logger="runtime_guard"):
            for _ in range(2):
                modules["jobs"].get(bucket, "a.txt")
                modules["jobs.allowed"].get(bucket, "a.txt")
    finally:
        stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "runtime_guard"]
    assert lines == ["costguard: s3.GetObject is banned in opsacme.jobs (called by opsacme.jobs.calls): each call is a billed S3 request; use opsacme.index"]


DETACH = """
import sys
from concurrent.futures import ThreadPoolExecutor
import botocore.session
from runtime_guard import operations
from runtime_guard.policy import load_policy

init, submit = botocore.session.Session.__init__, ThreadPoolExecutor.submit
checker = operations.OperationChecker(load_policy(sys.argv[1]), lambda: "raise")
operations.attach(checker)
print("hooked", botocore.session.Session.__init__ is not init, ThreadPoolExecutor.submit is not submit)
session = botocore.session.Session()
print("registered", session in operations._registered)
operations.detach(checker)
print("restored", botocore.session.Session.__init__ is init, ThreadPoolExecutor.submit is submit, len(operations._registered))
"""


def test_detach_restores_botocore_and_the_thread_pool(project: Path) -> None:
    # A fresh interpreter: the pytest plugin's guard keeps the layer attached in this one.
    done = subprocess.run([sys.executable, "-c", DETACH, str(project / "pyproject.toml")], capture_output=True, text=True, timeout=120, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["hooked True True", "registered True", "restored True True 0"]


INSTALL = """
import sys
import boto3
import botocore.session
import runtime_guard
from runtime_guard import operations
from opsacme.jobs import calls

init = botocore.session.Session.__init__
client = boto3.session.Session().client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                                        aws_access_key_id="testing", aws_secret_access_key="testing")
guard = runtime_guard.install(sys.argv[2], mode="raise", inherit=False)
try:
    calls.get(client, "a.txt")
except runtime_guard.ForbiddenOperationError as exc:
    print("refused", exc.operation)
guard.uninstall()
print("after uninstall", calls.get(client, "a.txt"), botocore.session.Session.__init__ is init, operations.attached())
"""


def test_install_starts_the_operation_bans_and_uninstall_removes_them(bucket: Any, moto_endpoint: str, project: Path, received: Any) -> None:
    done = subprocess.run([sys.executable, "-c", INSTALL, moto_endpoint, str(project / "pyproject.toml")], cwd=project,
                          capture_output=True, text=True, timeout=120, env=clean_env(PYTHONPATH=str(project)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["refused GetObject", "after uninstall b'hello' True False"]
    assert object_requests(received(), "a.txt") == ["GET"]  # only the read after uninstall


def test_the_error_pickles() -> None:
    error = ForbiddenOperationError("s3", "GetObject", "a.b", "billed", "a.index", "a")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.service, copy.operation, copy.caller, copy.reason, copy.use_instead, copy.scope) == ("s3", "GetObject", "a.b", "billed", "a.index", "a")
    assert str(copy) == str(error)


CHILD = '''
import sys
print("botocore before:", "botocore" in sys.modules)
import boto3
from opsacme.jobs import calls
client = boto3.session.Session().client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                                         aws_access_key_id="testing", aws_secret_access_key="testing")
try:
    calls.get(client, "a.txt")
except Exception as exc:
    print("refused:", type(exc).__name__, exc.caller)
'''


def test_a_child_process_guarded_at_start_up_hooks_botocore_when_it_is_imported(bucket: Any, moto_endpoint: str, project: Path, received: Any) -> None:
    script = project / "child.py"
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), moto_endpoint], cwd=project, capture_output=True, text=True, timeout=120,
        env=clean_env(COSTGUARD_RUNTIME="raise", COSTGUARD_CONFIG=str(project / "pyproject.toml"), PYTHONPATH=str(project)),
    )
    assert done.returncode == 0, done.stderr
    assert "botocore before: False" in done.stdout  # the guard itself imports no botocore
    assert "refused: ForbiddenOperationError opsacme.jobs.calls" in done.stdout
    assert object_requests(received(), "a.txt") == []
