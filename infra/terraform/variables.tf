variable "region" {
  description = "AWS region of the secfilings platform."
  type        = string
  default     = "us-east-1"
}

variable "lookup_index_table_name" {
  description = "Name of the DynamoDB lookup index (secfilings --index-table / SECFILINGS_INDEX_TABLE)."
  type        = string
  default     = "lookup-index"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default = {
    project = "secfilings"
    owner   = "data-platform"
  }
}
