"""Cost metering and the before/after cost report.

``with cost_meter() as meter: ...`` counts every billable request made in this context (thread,
task) while the block runs -- embedded backends record what they stand in for, boto3 clients are
counted from botocore's events (:mod:`secfilings.cost.boto_events`); ``meter.counts`` holds the counts and
``meter.cost(prices)`` their price in USD per kind (:mod:`secfilings.cost.prices`).
"""

from __future__ import annotations

from secfilings.cost.prices import LIST_PRICES, SEED_PRICES, PriceTable, load_prices
from secfilings.meter import Meter, cost_meter, record

__all__ = ["Meter", "cost_meter", "record", "PriceTable", "LIST_PRICES", "SEED_PRICES", "load_prices", "meter_boto3"]


def meter_boto3() -> None:
    """Count every boto3 client created from now on (see :mod:`secfilings.cost.boto_events`)."""
    from secfilings.meter import switch_on_boto3_metering

    switch_on_boto3_metering()
