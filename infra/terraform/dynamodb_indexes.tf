# The lookup index of secfilings (secfilings/services/api/athena/lookup_index.py).
#
# One table serves the company and fund endpoints and the write path's de-dup ledger:
#   pk = "company#<cik10>" | "fund#<cik10>" | "ledger#<accession>"   (HASH, string)
#   sk = "filing#<date>#<accession>" | "filing"                     (RANGE, string)
#   doc = the item as a JSON string (not a key: no attribute definition)
# Reads are Query (all items of a pk), GetItem and BatchGetItem (<= 100 keys); writes are PutItem,
# conditional (attribute_not_exists(pk)) for the ledger. On-demand billing: the traffic follows
# the API and the ingestion runs, with no capacity to plan.

resource "aws_dynamodb_table" "lookup_index" {
  name         = var.lookup_index_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  server_side_encryption {
    enabled = true
  }

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = true

  tags = merge(var.tags, {
    Name      = var.lookup_index_table_name
    component = "lookup-index"
  })
}

output "lookup_index_table_name" {
  description = "Pass to secfilings as --index-table."
  value       = aws_dynamodb_table.lookup_index.name
}

output "lookup_index_table_arn" {
  value = aws_dynamodb_table.lookup_index.arn
}
