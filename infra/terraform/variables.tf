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

variable "lake_bucket_name" {
  description = "S3 bucket of the lake (secfilings --lake s3://<name>)."
  type        = string
  default     = "secfilings-lake"
}

variable "athena_workgroup_name" {
  description = "Athena workgroup that queries the lake (secfilings --athena-workgroup)."
  type        = string
  default     = "secfilings"
}

variable "athena_bytes_scanned_cutoff" {
  description = "Bytes a single Athena query may scan before it is cancelled (at least 10 MB)."
  type        = number
  default     = 10737418240 # 10 GiB
}
