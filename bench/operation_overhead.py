"""What the botocore operation layer (runtime_guard.operations) adds to each AWS request. Not a test.

    python bench/operation_overhead.py [--runs 15] [--calls 2000]

One real boto3 S3 client runs its whole request pipeline (parameter validation, serialisation,
signing, response parsing) for ``HeadObject``; the HTTP send is answered in-process by a
``before-send`` handler returning a canned 200 (botocore's public way to skip the network), so
the figure is the SDK's own cost per call, not a network's. Configurations, alternated per round
(order rotated), median of ``--runs`` rounds of ``--calls`` calls each:

* ``none``: no layer;
* ``bans, not banned``: an operation ban on other operations (the handler's fast path: one set look-up);
* ``bans, banned, unguarded caller``: HeadObject banned, the caller outside ``within``: frame walk,
  then allowed;
* ``meter``: a ``runtime_guard.meter.Meter`` counting every call (frame walk, billing kinds, counters).

Also the one-off cost of attaching while botocore is already imported (the ``gc.get_objects()``
scan for sessions and clients that existed before), with the number of objects in the heap.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

from runtime_guard import operations  # noqa: E402
from runtime_guard.meter import Meter  # noqa: E402
from runtime_guard.policy import parse_policy  # noqa: E402


class _Raw:
    def __init__(self) -> None:
        self._data = b""

    def stream(self, **_: object):  # type: ignore[no-untyped-def]
        yield b""

    def read(self, *_: object) -> bytes:
        return b""


def canned(request: object = None, **_: object) -> AWSResponse:
    headers = {"Content-Length": "5", "ETag": '"abc"', "Content-Type": "text/plain", "x-amz-request-id": "bench"}
    return AWSResponse("https://bench.invalid/b/k", 200, headers, _Raw())


def policy(operations_list: list[str]):  # type: ignore[no-untyped-def]
    data = {"operation": [{"service": "s3", "operations": operations_list, "within": ["benchguarded"]}]}
    return parse_policy(data, None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    client = boto3.session.Session().client("s3", region_name="us-east-1", endpoint_url="https://bench.invalid")
    client.meta.events.register("before-send.s3.HeadObject", canned)
    assert client.head_object(Bucket="b", Key="k")["ContentLength"] == 5

    configs = {
        "none": None,
        "bans, not banned": lambda: operations.OperationChecker(policy(["GetObject"]), lambda: "raise"),
        "bans, banned, unguarded caller": lambda: operations.OperationChecker(policy(["HeadObject"]), lambda: "raise"),
        "meter": Meter,
    }
    times: dict[str, list[float]] = {name: [] for name in configs}
    names = list(configs)
    for round_index in range(args.runs):
        order = names[round_index % len(names):] + names[: round_index % len(names)]
        for name in order:
            make = configs[name]
            listener = make() if make is not None else None
            if listener is not None:
                operations.attach(listener)
            start = time.perf_counter()
            for _ in range(args.calls):
                client.head_object(Bucket="b", Key="k")
            elapsed = time.perf_counter() - start
            if listener is not None:
                operations.detach(listener)
            times[name].append(elapsed / args.calls * 1e6)
    base = statistics.median(times["none"])
    print(f"python {sys.version.split()[0]}, boto3 {boto3.__version__}; {args.runs} rounds x {args.calls} HeadObject calls, in-process send")
    print(f"{'configuration':<34}{'us/call (median)':>18}{'added us':>10}{'ratio':>8}   min..max")
    for name in names:
        med = statistics.median(times[name])
        print(f"{name:<34}{med:>18.1f}{med - base:>10.1f}{med / base:>8.3f}   {min(times[name]):.1f}..{max(times[name]):.1f}")

    # The layer's own handlers, called directly as botocore calls them for one request (less noisy
    # than the whole pipeline): before-parameter-build, before-call, response-received.
    model = client.meta.service_model.operation_model("HeadObject")
    parsed = {"ContentLength": 5, "ResponseMetadata": {"HTTPStatusCode": 200}}
    handler_times: dict[str, list[float]] = {name: [] for name in configs}
    for round_index in range(args.runs):
        order = names[round_index % len(names):] + names[: round_index % len(names)]
        for name in order:
            make = configs[name]
            listener = make() if make is not None else None
            if listener is not None:
                operations.attach(listener)
            start = time.perf_counter()
            for _ in range(args.calls * 10):
                context: dict[str, object] = {}
                operations._on_parameters(params={"Bucket": "b", "Key": "k"}, context=context, model=model, event_name="before-parameter-build.s3.HeadObject")
                operations._on_before_call(model=model, context=context, event_name="before-call.s3.HeadObject")
                operations._on_response(event_name="response-received.s3.HeadObject", parsed_response=parsed,
                                        response_dict={"status_code": 200}, context=context)
            handler_times[name].append((time.perf_counter() - start) / (args.calls * 10) * 1e6)
            if listener is not None:
                operations.detach(listener)
    hbase = statistics.median(handler_times["none"])
    print(f"the layer's three handlers per request, called directly ({args.runs} rounds x {args.calls * 10}):")
    for name in names:
        med = statistics.median(handler_times[name])
        print(f"  {name:<32}{med:>8.2f} us/request (added {med - hbase:.2f})   min..max {min(handler_times[name]):.2f}..{max(handler_times[name]):.2f}")

    scans = []
    for _ in range(5):
        listener = operations.OperationChecker(policy(["GetObject"]), lambda: "raise")
        start = time.perf_counter()
        operations.attach(listener)
        scans.append((time.perf_counter() - start) * 1e3)
        operations.detach(listener)
    print(f"attach with botocore already imported ({len(gc.get_objects()):,} gc-tracked objects): median {statistics.median(scans):.1f} ms")


if __name__ == "__main__":
    main()
