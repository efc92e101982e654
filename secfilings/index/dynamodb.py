"""The lookup index in a DynamoDB table (production): the table of infra/terraform/dynamodb_indexes.tf."""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from secfilings.index.base import (
    BATCH_GET_LIMIT,
    COMPRESSED_ATTRIBUTE,
    DOC_ATTRIBUTE,
    PARTITION_KEY,
    SORT_KEY,
    TABLE_NAME_DEFAULT,
    check_key,
    decode_item,
    encode_item,
)

__all__ = ["DynamoLookupIndex"]


class DynamoLookupIndex:
    """The index in a DynamoDB table (key ``pk`` HASH + ``sk`` RANGE, strings) via boto3."""

    def __init__(
        self,
        table_name: str = TABLE_NAME_DEFAULT,
        client: Any = None,
        *,
        max_batch_retries: int = 8,
        query_page_size: int | None = None,
    ) -> None:
        """``query_page_size``: a Query's ``Limit`` (None: DynamoDB's 1 MB pages)."""
        if not table_name:
            raise ValueError("invalid DynamoDB table name '': empty")
        if client is None:
            from secfilings.aws import client as make_client

            client = make_client("dynamodb")
        self.table_name = table_name
        self.client = client
        self.max_batch_retries = max_batch_retries
        self.query_page_size = query_page_size

    def __repr__(self) -> str:
        return f"DynamoLookupIndex({self.table_name!r})"

    def close(self) -> None:
        """Nothing to release: boto3 clients close their pools when collected."""

    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, dict[str, str]]:
        return {PARTITION_KEY: {"S": pk}, SORT_KEY: {"S": sk}}

    @staticmethod
    def _doc(item: Mapping[str, Any]) -> dict[str, Any]:
        return decode_item(DynamoLookupIndex._stored_doc(item))

    @staticmethod
    def _stored_doc(item: Mapping[str, Any]) -> str | bytes:
        if COMPRESSED_ATTRIBUTE in item:
            return bytes(item[COMPRESSED_ATTRIBUTE]["B"])
        return str(item[DOC_ATTRIBUTE]["S"])

    @staticmethod
    def _stored(doc: str | bytes) -> dict[str, dict[str, Any]]:
        if isinstance(doc, bytes):
            return {COMPRESSED_ATTRIBUTE: {"B": doc}}
        return {DOC_ATTRIBUTE: {"S": doc}}

    def put_lookup(
        self, pk: str, sk: str, item: Mapping[str, Any], *, if_absent: bool = False
    ) -> bool:
        check_key(pk, sk)
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {**self._key(pk, sk), **self._stored(encode_item(pk, sk, item))},
        }
        if if_absent:
            request["ConditionExpression"] = "attribute_not_exists(#pk)"
            request["ExpressionAttributeNames"] = {"#pk": PARTITION_KEY}
        try:
            self.client.put_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        check_key(pk, sk)
        response = self.client.get_item(
            TableName=self.table_name, Key=self._key(pk, sk), ConsistentRead=True
        )
        item = response.get("Item")
        return self._doc(item) if item else None

    def get_lookup(self, pk: str) -> list[dict[str, Any]]:
        return [decode_item(doc) for doc in self.get_lookup_docs(pk)]

    def get_lookup_docs(self, pk: str) -> list[str | bytes]:
        """The stored documents under ``pk`` in sort-key order, not decoded (one query, paged)."""
        if not isinstance(pk, str) or not pk:
            raise ValueError(f"invalid lookup key {PARTITION_KEY}={pk!r}: expected a non-empty string")
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
            "ScanIndexForward": True,
        }
        if self.query_page_size:
            request["Limit"] = self.query_page_size
        items: list[str | bytes] = []
        while True:
            response = self.client.query(**request)
            items.extend(self._stored_doc(item) for item in response.get("Items", ()))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            request["ExclusiveStartKey"] = last

    def batch_get_lookup(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        unique = list(dict.fromkeys((pk, sk) for pk, sk in keys))  # DynamoDB refuses duplicates
        for pk, sk in unique:
            check_key(pk, sk)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            pending: list[dict[str, Any]] = [
                self._key(pk, sk) for pk, sk in unique[start : start + BATCH_GET_LIMIT]
            ]
            attempt = 0
            while pending:
                response = self.client.batch_get_item(
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}}
                )
                for item in response.get("Responses", {}).get(self.table_name, ()):
                    key = (item[PARTITION_KEY]["S"], item[SORT_KEY]["S"])
                    found[key] = self._doc(item)
                unprocessed = response.get("UnprocessedKeys", {}).get(self.table_name)
                pending = list(unprocessed["Keys"]) if unprocessed else []
                if pending:
                    attempt += 1
                    if attempt > self.max_batch_retries:
                        raise RuntimeError(
                            f"DynamoDB table {self.table_name!r}: {len(pending)} keys still"
                            f" unprocessed after {self.max_batch_retries} retries"
                        )
                    time.sleep(min(1.0, 0.02 * 2**attempt))
        return found

    def delete_lookup(self, pk: str, sk: str) -> None:
        check_key(pk, sk)
        self.client.delete_item(TableName=self.table_name, Key=self._key(pk, sk))
