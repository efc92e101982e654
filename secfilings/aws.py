"""boto3 clients for the AWS backends, configured only by boto3's own environment.

``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``), ``AWS_DEFAULT_REGION``/``AWS_REGION``
and the usual credential chain point the clients anywhere, moto's server included. boto3 is
imported when a client is first asked for, so the embedded default never needs it.
"""

from __future__ import annotations

import os
from typing import Any

from secfilings import meter
from secfilings.errors import ConfigError

__all__ = ["client", "DEFAULT_REGION"]

DEFAULT_REGION = "us-east-1"


def client(service_name: str, **kwargs: Any) -> Any:
    """A boto3 client for ``service_name`` (``s3``, ``dynamodb``, ``athena``...).

    Recent botocore reads ``AWS_ENDPOINT_URL`` itself; it is passed explicitly as well so that
    older botocore releases honour it too. The region is boto3's (``AWS_DEFAULT_REGION``, the
    profile), else ``AWS_REGION``, else us-east-1.
    """
    try:
        import boto3  # noqa: PLC0415 - lazy: only the AWS backends need it
    except ImportError:  # pragma: no cover - boto3 is in the platform extra
        raise ConfigError(
            "an s3:// lake needs boto3: pip install 'costguard[platform]'"
        ) from None
    if "endpoint_url" not in kwargs:
        specific = os.environ.get(f"AWS_ENDPOINT_URL_{service_name.upper().replace('-', '_')}")
        endpoint = specific or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            kwargs["endpoint_url"] = endpoint
    # Every client the platform makes can be metered (counts only while a cost meter is open).
    meter.switch_on_boto3_metering()
    session = boto3.session.Session()
    if "region_name" not in kwargs and not session.region_name:
        kwargs["region_name"] = os.environ.get("AWS_REGION") or DEFAULT_REGION
    return session.client(service_name, **kwargs)
