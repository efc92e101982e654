-- Athena view `fund_filings_all`: every row of `fund_filings`, compacted or not. Athena cannot mix JSON and
-- Parquet files in one table, so it is the Parquet table plus the NDJSON rows whose
-- (form, year, month, accession) no compacted file holds yet (rows ingested since the last
-- `secfilings compact`, or files a compaction has not deleted yet): no row counted twice.
CREATE OR REPLACE VIEW fund_filings_all AS
SELECT
  "accession_number",
  "form_type",
  "filed",
  "period",
  "filer_cik",
  "filer_name",
  "table_value_total",
  "table_entry_total",
  "holding_count",
  "signed",
  "is_amendment",
  "amendment_type",
  "value_unit",
  "accession_source",
  "raw_key",
  "report_type",
  "has_table",
  "form",
  "year",
  "month"
FROM fund_filings_compacted
UNION ALL
SELECT
  j."accession_number",
  j."form_type",
  j."filed",
  j."period",
  j."filer_cik",
  j."filer_name",
  j."table_value_total",
  j."table_entry_total",
  j."holding_count",
  j."signed",
  j."is_amendment",
  j."amendment_type",
  j."value_unit",
  j."accession_source",
  j."raw_key",
  j."report_type",
  j."has_table",
  j."form",
  j."year",
  j."month"
FROM fund_filings AS j
WHERE NOT EXISTS (
  SELECT 1 FROM fund_filings_compacted AS c
  WHERE c."form" = j."form" AND c."year" = j."year" AND c."month" = j."month"
    AND c."accession_number" = j."accession_number"
);
