"""The after path on the AWS backends (moto server): counted from the real boto3 calls."""

from __future__ import annotations

import math
from typing import Any

from secfilings.cost import meter_boto3
from secfilings.cost.workload import bundle_documents, copy_document
from secfilings.meter import cost_meter
from tests.platform.conftest import (  # noqa: F401 - the platform's moto fixtures
    aws_env,
    aws_settings,
    dynamo_table,
    dynamodb_client,
    moto_endpoint,
    s3_bucket,
    s3_client,
)


def test_after_path_on_s3_and_dynamodb_counts_real_requests(aws_settings: Any) -> None:
    from secfilings.config import open_platform
    from secfilings.services.api.athena.companies import get_company
    from secfilings.workers.form4_parser.worker import ingest_document
    from secfilings.workers.sec_smart_money_sync.worker import FilingRef, process_insider_filings

    meter_boto3()  # before the platform makes its clients
    docs = [d for d in bundle_documents() if d.kind == "ownership"]
    with open_platform(aws_settings) as platform:
        with cost_meter() as ingest:
            for index, doc in enumerate(docs):
                data, accession = copy_document(doc, 0, index)
                assert ingest_document(platform, data, doc.name, accession=accession).outcome == "new"
        assert ingest.counts["s3.PUT"] >= 2 * len(docs)  # raw + rows, through real PutObject calls
        assert ingest.counts["calls.s3.PutObject"] == ingest.counts["s3.PUT"]
        assert ingest.counts["dynamodb.write_units"] > 0  # ledger claims and lookup items
        assert ingest.counts["s3.GET"] == 0

        with cost_meter() as again:  # a re-delivery: one failed conditional write per document
            for index, doc in enumerate(docs):
                data, accession = copy_document(doc, 0, index)
                assert ingest_document(platform, data, doc.name, accession=accession).outcome == "duplicate"
        assert again.counts["s3.PUT"] == 0

        ciks = sorted({d.cik for d in docs})
        with cost_meter() as lookups:
            for cik in ciks:
                assert get_company(platform, cik) is not None
        assert lookups.counts["s3.GET"] == 0 and lookups.counts["athena.query"] == 0
        assert lookups.counts["calls.dynamodb.Query"] == len(ciks)
        assert lookups.counts["dynamodb.read_units"] > 0

        refs = [FilingRef(item["accession_number"], cik, item.get("filed"), item.get("period"))
                for cik in ciks for item in platform.index.get_lookup(f"company#{cik}")]
        with cost_meter() as sync:
            fetched = process_insider_filings(platform, refs, batch_size=3)
        assert len(fetched.filings) == len(refs) > 3
        assert sync.counts["calls.dynamodb.BatchGetItem"] == math.ceil(len(refs) / 3)
        assert sync.counts["s3.GET"] == 0 and sync.counts["athena.query"] == 0
