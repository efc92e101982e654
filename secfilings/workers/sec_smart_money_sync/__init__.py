"""``sec_smart_money_sync``: insider activity of the top issuers, fetched in batches."""

from secfilings.workers.sec_smart_money_sync.worker import (
    FilingRef,
    InsiderFilings,
    SyncReport,
    activity_key,
    process_insider_filings,
    run_sync,
)

__all__ = [
    "FilingRef",
    "InsiderFilings",
    "SyncReport",
    "activity_key",
    "process_insider_filings",
    "run_sync",
]
