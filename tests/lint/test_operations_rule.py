"""flake8_costguard.operations: CG201 / CG202, banned AWS operations in guarded modules."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_costguard import operations
from flake8_costguard.checker import CostguardChecker
from runtime_guard.policy import PolicyError, load_policy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"
SECTIONS = ("## What it does", "## Why it costs money", "## Example", "## Use instead", "## Options", "## Limits")
_BLOCK = re.compile(r"^## (Example|Use instead)\n```python\n(.*?)^```", re.S | re.M)
_EXPECT = re.compile(r"#\s*expect:\s*((?:CG\d{3}:\d+\s*)+)")

POLICY = """
[[tool.costguard.operation]]
service = "s3"
operations = ["GetObject", "HeadObject", "ListObjectsV2", "ListObjects"]
within = ["app.services", "app.workers"]
allow = ["app.services.backfill"]
reason = "each call is a billed S3 request"
use_instead = "app.services.api.athena.lookup_index"

[[tool.costguard.operation]]
service = "dynamodb"
operations = ["Scan"]
within = ["app.workers"]
"""


def lint(root: Path, relative: str, code: str, policy: str = POLICY) -> list[tuple[int, int, str]]:
    (root / "pyproject.toml").write_text(policy)
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(code)
    directory = target.parent
    while directory != root:
        (directory / "__init__.py").touch()
        directory = directory.parent
    CostguardChecker.config_policy = None
    checker = CostguardChecker(ast.parse(code), str(target), code.splitlines(keepends=True))
    return [(line, col + 1, message) for line, col, message, _ in checker.run()]


def codes(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    return [(line, col, message.split()[0]) for line, col, message in found]


@pytest.mark.parametrize("code", ["CG201", "CG202"])
def test_rule_page_has_every_section_and_its_examples_hold(code: str, tmp_path: Path) -> None:
    page = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {code}: ")
    assert [s for s in SECTIONS if s in page] == list(SECTIONS)
    blocks = _BLOCK.findall(page)
    assert {kind for kind, _ in blocks} == {"Example", "Use instead"}
    assert code in (DOCS / "README.md").read_text()
    for index, (kind, block) in enumerate(blocks):
        root = tmp_path / str(index)
        root.mkdir()
        relative = re.match(r"#\s*path:\s*(\S+)", block).group(1)  # type: ignore[union-attr]
        found = sorted(codes(lint(root, relative, block)))
        want = sorted(
            (number, int(item.split(":")[1]), item.split(":")[0])
            for number, line in enumerate(block.splitlines(), start=1)
            if (match := _EXPECT.search(line))
            for item in match.group(1).split()
        )
        if kind == "Example":
            assert found == want and found, block
        else:
            assert found == [], block


FORMS = '''
import boto3
from boto3 import client as make
from boto3.session import Session

glob = make("s3")


def factory():
    return boto3.Session(region_name="us-east-1").client("s3")


def forms(session_arg, bucket):
    a = boto3.client(service_name="s3")
    a.get_object(Bucket=bucket, Key="k")
    factory().list_objects_v2(Bucket=bucket)
    glob.list_objects(Bucket=bucket)
    Session().client("s3").head_object(Bucket=bucket, Key="k")
    session_arg.client(service_name="s3").get_object(Bucket=bucket, Key="k")
    a.download_fileobj(bucket, "k", None)
    a.get_paginator("list_objects").paginate(Bucket=bucket)
    boto3.resource("s3").Bucket(bucket).objects.filter(Prefix="p")
    boto3.resource("s3").Object(bucket, "k").load()
    boto3.resource("s3").meta.client.get_object(Bucket=bucket, Key="k")
    boto3.client("dynamodb").scan(TableName="t")
'''

NEVER = '''
import boto3


class NotBoto:
    def get_object(self, **kw):
        return kw


def fine(bucket, thing):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="k", Body=b"")       # another operation
    s3.get_paginator("list_objects_v2")                   # no request until paginate
    boto3.client("athena").get_query_results(QueryExecutionId="x")  # another service
    NotBoto().get_object(Bucket=bucket)                   # not a boto3 client
    thing.get_object(Bucket=bucket)                       # unknown object
    text = "s3.get_object(Bucket=bucket)"
    return text
'''


def test_every_form_is_flagged_once_with_operation_and_price(tmp_path: Path) -> None:
    found = lint(tmp_path, "app/workers/forms.py", FORMS)
    lines = FORMS.splitlines()
    flagged = {lines[line - 1].strip().split("(")[0]: message for line, _, message in found}
    assert sorted(line for line, _, _ in found) == list(range(15, 26)), found  # each form line, once
    assert all(message.startswith("CG201 ") for message in flagged.values())
    assert "s3.GetObject is banned in app.services, app.workers: each call is a billed S3 request; use app.services.api.athena.lookup_index" in flagged["a.get_object"]
    assert "(s3.GET list price $0.0004 per 1,000 requests)" in flagged["a.get_object"]
    assert "s3.ListObjectsV2" in flagged["factory"] and "$0.005 per 1,000 requests" in flagged["factory"]
    assert "s3.HeadObject" in flagged["a.download_fileobj"]
    by_line = {line: message for line, _, message in found}
    assert "s3.ListObjects " in flagged["a.get_paginator"] and "s3.ListObjects " in by_line[22]
    assert "s3.HeadObject" in by_line[23] and "s3.GetObject" in by_line[24]
    assert "dynamodb.Scan is banned in app.workers" in flagged["boto3.client"]
    assert "$0.125 per million units" in flagged["boto3.client"]


def test_positions_point_at_the_method(tmp_path: Path) -> None:
    found = codes(lint(tmp_path, "app/services/x.py", "import boto3\nc = boto3.client('s3')\nc.get_object(Bucket='b', Key='k')\n"))
    assert found == [(3, 3, "CG201")]


def test_not_flagged_other_operations_services_objects_and_callers(tmp_path: Path) -> None:
    for sub in "abc":
        (tmp_path / sub).mkdir()
    assert lint(tmp_path / "a", "app/workers/fine.py", NEVER) == []
    assert lint(tmp_path / "b", "app/services/backfill/run.py", FORMS) == []  # allowed caller
    assert lint(tmp_path / "c", "app/scripts/run.py", FORMS) == []  # outside within


def test_a_loop_gives_cg202_only_and_the_iterable_stays_cg201(tmp_path: Path) -> None:
    code = (
        "import boto3\n"
        "s3 = boto3.client('s3')\n"
        "for page in s3.get_paginator('list_objects_v2').paginate(Bucket='b'):\n"
        "    for item in page['Contents']:\n"
        "        s3.get_object(Bucket='b', Key=item['Key'])\n"
        "bodies = {k: s3.get_object(Bucket='b', Key=k) for k in ['x']}\n"
        "for key in ['x']:\n"
        "    def later():\n"
        "        return s3.head_object(Bucket='b', Key=key)\n"
    )
    found = lint(tmp_path, "app/workers/loop.py", code)
    assert codes(found) == [(3, 49, "CG201"), (5, 12, "CG202"), (6, 17, "CG202"), (9, 19, "CG201")]
    assert "one request per iteration" in found[1][2]


def test_an_unknown_operation_is_a_policy_error_with_botocore(tmp_path: Path) -> None:
    policy = POLICY.replace('"ListObjects"]', '"ListObject"]', 1)
    found = lint(tmp_path, "app/workers/x.py", "import boto3\nboto3.client('s3').get_object(Bucket='b', Key='k')\n", policy)
    assert len(found) == 1 and found[0][2].startswith("CG100 invalid costguard policy:")
    assert "tool.costguard.operation[0].operations[3]" in found[0][2] and "'ListObject'" in found[0][2]
    with pytest.raises(PolicyError, match="has no service 's4'"):
        (tmp_path / "p.toml").write_text(POLICY.replace('service = "s3"', 'service = "s4"'))
        operations.check_policy_operations(load_policy(tmp_path / "p.toml"))


def test_without_botocore_the_names_cannot_be_checked_and_that_is_a_warning(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['botocore'] = None\n"
        "from flake8_costguard import operations\n"
        "from runtime_guard.policy import load_policy\n"
        f"print(operations.check_policy_operations(load_policy({str(tmp_path / 'p.toml')!r})))\n"
        "print(operations.operation_name('s3', 'list_objects_v2'))\n"
    )
    (tmp_path / "p.toml").write_text(POLICY.replace('"ListObjects"]', '"ListObject"]', 1))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "botocore is not installed, the operation names of 's3' are not checked" in done.stdout
    assert done.stdout.splitlines()[-1] == "ListObjectsV2"


def test_real_flake8_reports_and_noqa_silences(tmp_path: Path) -> None:
    lint(tmp_path, "app/services/y.py", "import boto3\nc = boto3.client('s3')\nc.get_object(Bucket='b', Key='k')\nc.head_object(Bucket='b', Key='k')  # noqa: CG201\n")
    done = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "CG", "app"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "app/services/y.py:3:3: CG201 s3.GetObject is banned in app.services, app.workers: each call is a billed S3 request; "
        "use app.services.api.athena.lookup_index (s3.GET list price $0.0004 per 1,000 requests)"
    ]


FUZZ_PREFIX = (
    "import boto3\n"
    "s3 = boto3.client('s3')\n"
    "r = boto3.resource('s3')\n"
    "s3.get_object(Bucket='b', Key='k')\n"
)


def test_generated_programs_never_make_the_rule_raise() -> None:
    import warnings

    import hypothesmith
    from hypothesis import HealthCheck, assume, given, settings

    from runtime_guard.policy import OperationBan, Policy

    policy = Policy(operations=(OperationBan("s3", ("GetObject", "ListObjects"), ("fuzz",)),))

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hypothesmith.from_grammar())
    def run(source: str) -> None:
        code = FUZZ_PREFIX + source
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                tree = ast.parse(code)
            except (SyntaxError, ValueError):
                assume(False)
                return
        found = operations.operation_findings(tree, "fuzz.svc.generated", code.splitlines(keepends=True), policy)
        assert (4, 3, found[0][2]) == found[0] and found[0][2].startswith("CG201 s3.GetObject")

    run()
