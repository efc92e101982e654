"""infra/terraform/dynamodb_indexes.tf defines the table the lookup index code uses."""

from __future__ import annotations

from typing import Any

from secfilings.config import Settings
from secfilings.services.api.athena import lookup_index

from .conftest import TERRAFORM_VARIABLES, hcl_value, load_hcl, terraform_lookup_table


def _variable(name: str) -> dict[str, Any]:
    for block in load_hcl(TERRAFORM_VARIABLES)["variable"]:
        for key, body in block.items():
            if hcl_value(key) == name:
                return body
    raise AssertionError(f"variable {name} not in {TERRAFORM_VARIABLES}")


def test_key_schema_matches_the_code() -> None:
    table = terraform_lookup_table()
    assert hcl_value(table["hash_key"]) == lookup_index.PARTITION_KEY == "pk"
    assert hcl_value(table["range_key"]) == lookup_index.SORT_KEY == "sk"
    attributes = {hcl_value(a["name"]): hcl_value(a["type"]) for a in table["attribute"]}
    # only key attributes are declared (doc is a plain attribute), all strings
    assert attributes == {
        lookup_index.PARTITION_KEY: lookup_index.KEY_ATTRIBUTE_TYPE,
        lookup_index.SORT_KEY: lookup_index.KEY_ATTRIBUTE_TYPE,
    }
    assert lookup_index.DOC_ATTRIBUTE not in attributes


def test_table_name_is_the_code_and_cli_default() -> None:
    table = terraform_lookup_table()
    assert table["name"] == "${var.lookup_index_table_name}"
    default = hcl_value(_variable("lookup_index_table_name")["default"])
    assert default == lookup_index.TABLE_NAME_DEFAULT == Settings().index_table == "lookup-index"


def test_on_demand_encrypted_recoverable_and_tagged() -> None:
    table = terraform_lookup_table()
    assert hcl_value(table["billing_mode"]) == "PAY_PER_REQUEST"
    assert "read_capacity" not in table and "write_capacity" not in table
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert "var.tags" in table["tags"]


def test_table_created_from_terraform_accepts_the_code(dynamo_table: str, dynamodb_client: Any) -> None:
    description = dynamodb_client.describe_table(TableName=dynamo_table)["Table"]
    assert description["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    backups = dynamodb_client.describe_continuous_backups(TableName=dynamo_table)
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
    index = lookup_index.DynamoLookupIndex(dynamo_table, dynamodb_client)
    assert index.put_lookup("ledger#1", "filing", {"state": "committed"}, if_absent=True)
    assert index.get_item("ledger#1", "filing") == {"state": "committed"}
