"""A moto server (127.0.0.1, random port) with its request recorder: what really reached it."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _post(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30).read()


@pytest.fixture
def received(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """``received()`` lists the requests moto's recorder saw since the test began (method, url).

    The recorder appends to ``moto_recording`` in the working directory, so the test runs in
    its own temporary folder.
    """
    monkeypatch.chdir(tmp_path)
    _post(f"{moto_endpoint}/moto-api/recorder/reset-recording")
    _post(f"{moto_endpoint}/moto-api/recorder/start-recording")

    def read() -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{moto_endpoint}/moto-api/recorder/download-recording", timeout=30) as answer:
            text = answer.read().decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    try:
        yield read
    finally:
        _post(f"{moto_endpoint}/moto-api/recorder/stop-recording")


def s3_client(endpoint: str, session: Any = None) -> Any:
    import boto3

    session = session or boto3.session.Session()
    return session.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
