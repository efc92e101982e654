"""``secfilings serve`` (issue 11, item 1): the real server in a subprocess on a random loopback
port, asked with a real HTTP client (httpx)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import httpx
import pytest

from secfilings.cli import main
from secfilings.data import FORM4_DIR, THIRTEENF_DIR
from secfilings.errors import ConfigError
from secfilings.serve import HEADER, serve_address

COMPANY = "1640147"  # Snowflake, in the bundled filings
FUND = "1894188"  # LTS One Management
UNKNOWN = "42"
LISTENING = re.compile(r"listening on (http://\S+?) ")


def _cost(response: httpx.Response) -> dict[str, float]:
    value = response.headers[HEADER]
    return {key: float(number) for key, number in (part.split("=") for part in value.split(", "))}


@contextmanager
def running_server(
    lake: str, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Iterator[str]:
    """Start ``secfilings --lake LAKE serve --port 0 ARGS``; yield its base URL; stop it."""
    environment = {**os.environ, **(env or {})}
    command = [sys.executable, "-m", "secfilings", "--lake", lake, "serve", *args]
    if "--port" not in args and "SECFILINGS_PORT" not in (env or {}):
        command += ["--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, cwd=cwd
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = LISTENING.search(line)
        if not match:
            process.kill()
            _, err = process.communicate(timeout=30)
            raise AssertionError(f"server did not start: {line!r} {err!r}")
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder lake holding the bundled real filings."""
    folder = tmp_path_factory.mktemp("serve") / "lake"
    status, _, err = _run_cli("--lake", str(folder), "ingest", str(FORM4_DIR), str(THIRTEENF_DIR))
    assert status in (0, 1), err  # 1: the bundled set holds one rejected-on-purpose document
    return str(folder)


@pytest.fixture(scope="module")
def server(lake: str) -> Iterator[str]:
    with running_server(lake) as url:
        yield url


def test_answers_are_the_cli_json_documents(lake: str, server: str) -> None:
    for path, command, cik in (("companies", "company", COMPANY), ("funds", "fund", FUND)):
        response = httpx.get(f"{server}/{path}/{cik}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        status, out, _ = _run_cli("--lake", lake, command, cik, "--json")
        assert status == 0
        assert response.content == out.encode("utf-8")


def test_each_response_counts_its_own_requests(server: str) -> None:
    hit = httpx.get(f"{server}/companies/{COMPANY}")
    assert _cost(hit)["dynamodb.read_units"] >= 1
    assert _cost(hit)["s3.GET"] == 0 and _cost(hit)["athena.query"] == 0
    miss = httpx.get(f"{server}/companies/99")
    assert miss.status_code == 404
    assert _cost(miss)["athena.query"] == 1 and _cost(miss)["s3.GET"] == 0
    again = httpx.get(f"{server}/companies/99")  # remembered: one index read, no query
    assert again.status_code == 404 and again.content == miss.content
    assert _cost(again)["athena.query"] == 0 and _cost(again)["dynamodb.read_units"] == 1


def test_concurrent_requests_are_not_mixed_in_the_counts(server: str) -> None:
    """Hits served while misses run SQL next to them still count no query of their own."""
    results: list[tuple[str, httpx.Response]] = []
    lock = threading.Lock()

    def ask(kind: str, path: str) -> None:
        with httpx.Client() as client:
            for number in range(5):
                # a new unknown CIK for each miss: a repeated one would be a remembered miss
                response = client.get(f"{server}{path}{number}" if kind == "miss" else f"{server}{path}")
                with lock:
                    results.append((kind, response))

    threads = [threading.Thread(target=ask, args=("hit", f"/companies/{COMPANY}")) for _ in range(4)]
    threads += [threading.Thread(target=ask, args=("miss", f"/funds/77{n}")) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 30
    for kind, response in results:
        cost = _cost(response)
        if kind == "hit":
            assert response.status_code == 200 and cost["athena.query"] == 0
        else:
            assert response.status_code == 404 and cost["athena.query"] == 1


def test_errors_are_one_json_line_with_the_status_of_the_issue(server: str) -> None:
    bad = httpx.get(f"{server}/companies/12x")
    assert bad.status_code == 400
    assert bad.json() == {"error": "secfilings company: invalid CIK '12x': expected 1 to 10 digits 0-9, not all zeros"}
    zeros = httpx.get(f"{server}/funds/0000000000")
    assert zeros.status_code == 400 and zeros.json()["error"].startswith("secfilings fund: invalid CIK")
    missing = httpx.get(f"{server}/funds/{UNKNOWN}")
    assert missing.status_code == 404
    assert missing.json() == {"error": "secfilings fund: fund CIK 0000000042: not found"}
    nowhere = httpx.get(f"{server}/nowhere")
    assert nowhere.status_code == 404 and "no such path '/nowhere'" in nowhere.json()["error"]
    post = httpx.post(f"{server}/healthz")
    assert post.status_code == 405 and post.json()["error"].startswith("secfilings serve: method POST")
    for response in (bad, missing, nowhere, post):
        assert "Traceback" not in response.text and "\n" not in response.text.strip()


def test_the_cli_says_the_same_line_on_stderr(lake: str, server: str) -> None:
    status, _, err = _run_cli("--lake", lake, "fund", UNKNOWN)
    assert status == 3
    assert err.strip() == httpx.get(f"{server}/funds/{UNKNOWN}").json()["error"]


def test_healthz_and_openapi(server: str) -> None:
    health = httpx.get(f"{server}/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["index_mode"] == "read-fallback"
    assert body["runtime_guard"].startswith("on (mode raise")
    assert _cost(health)["dynamodb.read_units"] == 0
    spec = httpx.get(f"{server}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/companies/{cik}", "/funds/{cik}", "/healthz"}
    assert set(spec["paths"]["/companies/{cik}"]["get"]["responses"]) == {"200", "400", "404", "500", "503"}


def test_fund_query_parameters_are_the_cli_flags(lake: str, server: str) -> None:
    for query, flags in (("?period=2023-09-30", ("--period", "2023-09-30")), ("?history=true", ("--history",)),
                         ("?aggregate=1", ("--aggregate",))):
        response = httpx.get(f"{server}/funds/{FUND}{query}")
        status, out, _ = _run_cli("--lake", lake, "fund", FUND, *flags, "--json")
        assert response.status_code == 200 and status == 0
        assert response.content == out.encode("utf-8"), query
    for query, status, text in (
        ("?period=2023-06-30", 404, "no 13F for period 2023-06-30 (stored: 2023-09-30)"),
        ("?period=June", 400, "invalid period 'June'"),
        ("?history=maybe", 400, "expected true or false"),
        ("?colour=red", 400, "unknown query parameter 'colour'"),
        ("?history=true&period=2023-09-30", 400, "takes neither period nor aggregate"),
    ):
        response = httpx.get(f"{server}/funds/{FUND}{query}")
        assert response.status_code == status and text in response.json()["error"], query
    assert httpx.get(f"{server}/companies/{COMPANY}?period=2023-09-30").status_code == 400


def test_every_served_answer_fits_the_openapi_schema(lake: str, server: str) -> None:
    """The published schema names every field (and no other) of every bundled issuer's and fund's answer."""
    import jsonschema

    spec = httpx.get(f"{server}/openapi.json").json()
    schemas = spec["components"]["schemas"]
    jsonschema.Draft202012Validator.check_schema(schemas["Company"])
    ciks = {"companies": set(), "funds": set()}
    for table, column, path in (("ownership_filings", "issuer_cik", "companies"), ("fund_filings", "filer_cik", "funds")):
        for row_file in Path(lake, "tables", table).rglob("*.json"):
            ciks[path].update(json.loads(line)[column] for line in row_file.read_text().splitlines() if line)
    assert len(ciks["companies"]) >= 5 and len(ciks["funds"]) >= 3
    for path, schema, query in (("companies", "Company", ""), ("funds", "Fund", ""), ("funds", "Fund", "?aggregate=true"),
                                ("funds", "FundHistory", "?history=true")):
        for cik in sorted(ciks[path]):
            answer = httpx.get(f"{server}/{path}/{cik}{query}").json()
            jsonschema.validate(answer, schemas[schema], cls=jsonschema.Draft202012Validator)


def test_index_mode_is_honoured(lake: str) -> None:
    with running_server(lake, "--index-mode", "read-only") as url:
        miss = httpx.get(f"{url}/companies/{UNKNOWN}")
        assert miss.status_code == 404 and _cost(miss)["athena.query"] == 0
    with running_server(lake, env={"SECFILINGS_INDEX_MODE": "off"}) as url:
        answer = httpx.get(f"{url}/companies/{COMPANY}")
        assert answer.status_code == 200
        assert _cost(answer)["athena.query"] == 1 and _cost(answer)["dynamodb.read_units"] == 0


def test_host_and_port_come_from_the_environment_too(lake: str) -> None:
    with running_server(lake, env={"SECFILINGS_HOST": "127.0.0.1", "SECFILINGS_PORT": "0"}) as url:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/healthz").status_code == 200
    assert serve_address(None, None, {}) == ("127.0.0.1", 8000)
    assert serve_address("::1", "9", {"SECFILINGS_PORT": "1"}) == ("::1", 9)
    with pytest.raises(ConfigError, match="SECFILINGS_PORT: expected a port number 0 to 65535, got '99999'"):
        serve_address(None, None, {"SECFILINGS_PORT": "99999"})


def test_a_bad_port_is_one_line_and_exit_2(lake: str) -> None:
    status, _, err = _run_cli("--lake", lake, "serve", "--port", "http")
    assert status == 2
    assert err == "secfilings serve: --port: expected a port number 0 to 65535, got 'http'\n"


def test_refuses_to_start_when_the_platform_trips_its_own_guard(lake: str, tmp_path: Path) -> None:
    policy = tmp_path / "pyproject.toml"
    policy.write_text(
        "[[tool.costguard.ban]]\n"
        'module = "secfilings.sql.queries"\n'
        'within = ["secfilings.services"]\n'
        'reason = "test: the endpoints may not use the SQL text"\n'
        "[tool.costguard.runtime]\n"
        'mode = "raise"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "secfilings", "--lake", lake, "serve", "--port", "0"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "COSTGUARD_CONFIG": str(policy)},
    )
    assert result.returncode == 4
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("secfilings serve: refusing to start: the platform trips its own runtime guard: ")
    assert "secfilings.sql.queries" in lines[0]


def test_backend_unavailable_is_503(aws_env: str, s3_bucket: str) -> None:
    """An S3 lake whose DynamoDB table does not exist (moto server): 503, the table named."""
    table = f"missing-{uuid.uuid4().hex[:8]}"
    with running_server(f"s3://{s3_bucket}/lake", "--index-table", table) as url:
        response = httpx.get(f"{url}/companies/{COMPANY}", timeout=60)
    assert response.status_code == 503
    assert response.json() == {
        "error": f"secfilings company: DynamoDB table {table!r} not found (--index-table / "
        "SECFILINGS_INDEX_TABLE; create it from infra/terraform/dynamodb_indexes.tf)"
    }


def test_aws_hits_are_counted_from_botocore(aws_settings: Any, aws_env: str) -> None:
    """On an S3 lake (moto server) a hit costs DynamoDB reads and no S3 GET, counted per request."""
    from secfilings.config import open_platform
    from secfilings.workers.form4_parser.worker import ingest_paths

    with open_platform(aws_settings) as platform:
        ingest_paths(platform, [FORM4_DIR])
    with running_server(
        aws_settings.lake, "--index-table", aws_settings.index_table,
        "--athena-output", aws_settings.athena_output,
    ) as url:
        response = httpx.get(f"{url}/companies/{COMPANY}", timeout=60)
    assert response.status_code == 200
    assert json.loads(response.content)["name"] == "Snowflake Inc."
    cost = _cost(response)
    assert cost["dynamodb.read_units"] >= 1 and cost["s3.GET"] == 0 and cost["athena.query"] == 0


def _readme_requests() -> list[tuple[str, str]]:
    """``(command, expected output)`` of each ``$ curl`` line in the README's serve example."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The HTTP API: `secfilings serve`", 1)[1]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    pairs: list[tuple[str, str]] = []
    lines = block.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("$ curl"):
            output = []
            for follow in lines[number + 1 :]:
                if follow.startswith("$ "):
                    break
                output.append(follow)
            pairs.append((line[2:], "\n".join(output)))
    return pairs


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's example uses curl")
def test_the_readme_requests_answer_as_shown(server: str) -> None:
    requests = _readme_requests()
    assert len(requests) >= 4
    for command, expected in requests:
        shell = command.replace("http://127.0.0.1:8000", server)
        result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
        assert result.stdout.strip() == expected.strip(), command


def test_a_repeated_hit_is_the_same_bytes_and_a_new_filing_shows_at_once(tmp_path: Path) -> None:
    """The server remembers an answer by the stored index documents it was made from: the same
    request again gives the same bytes (and is still billed its index read), and a filing
    ingested while the server runs is in the very next answer."""
    lake = str(tmp_path / "lake")
    assert _run_cli("--lake", lake, "ingest", str(FORM4_DIR / "form4.snow.xml"))[0] == 0
    with running_server(lake) as url:
        first = httpx.get(f"{url}/companies/{COMPANY}")
        again = httpx.get(f"{url}/companies/{COMPANY}")
        assert first.status_code == again.status_code == 200
        assert again.content == first.content and _cost(again) == _cost(first)
        assert _cost(again)["dynamodb.read_units"] >= 1
        assert _run_cli("--lake", lake, "ingest", str(FORM4_DIR / "form3.snow.xml"))[0] == 0
        after = httpx.get(f"{url}/companies/{COMPANY}")
        assert len(after.json()["filings"]) == len(first.json()["filings"]) + 1
        status, out, _ = _run_cli("--lake", lake, "company", COMPANY, "--json")
        assert status == 0 and after.content == out.encode("utf-8")


def test_bodies_are_reused_for_the_same_answer_object_only() -> None:
    from secfilings.serve import Bodies, document

    bodies = Bodies(max_entries=2)
    answer = {"cik": "0000000001", "filings": [{"shares": 1.0}]}
    first = bodies.body(answer)
    assert first == document(answer) and bodies.body(answer) is first  # encoded once
    equal = {"cik": "0000000001", "filings": [{"shares": 1.0}]}
    assert bodies.body(equal) == first and bodies.body(equal) is not first  # another object: encoded again
    assert bodies.body(answer) is first  # both kept (two entries)
    bodies.body({"cik": "0000000002"})  # a third: the least recently used (equal) goes
    assert bodies.body(answer) is first
