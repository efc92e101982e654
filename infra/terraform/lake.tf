# The lake of secfilings (secfilings --lake s3://<lake_bucket_name>) and the Athena workgroup
# that queries it (--athena-workgroup). Athena writes its results under _athena-results/ of the
# lake, the platform's default --athena-output for an s3:// lake.
#
# Requests to the bucket are billed per request (GET/HEAD tier 2, PUT/COPY/POST/LIST tier 1) and
# Athena per byte scanned: `costguard meter --infracost-usage FILE -- <job>` writes the usage
# Infracost needs to price them (Infracost prices the bucket's requests; it has no Athena pricing).

resource "aws_s3_bucket" "lake" {
  bucket = var.lake_bucket_name

  tags = merge(var.tags, {
    Name      = var.lake_bucket_name
    component = "lake"
  })
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_athena_workgroup" "lake" {
  name = var.athena_workgroup_name

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    # A query that would scan more than this is cancelled (and billed for what it scanned).
    bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${aws_s3_bucket.lake.bucket}/_athena-results/"
    }
  }

  tags = merge(var.tags, {
    component = "lake-sql"
  })
}

output "lake_url" {
  description = "Pass to secfilings as --lake."
  value       = "s3://${aws_s3_bucket.lake.bucket}"
}

output "athena_workgroup_name" {
  description = "Pass to secfilings as --athena-workgroup."
  value       = aws_athena_workgroup.lake.name
}
