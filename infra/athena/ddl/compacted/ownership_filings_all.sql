-- Athena view `ownership_filings_all`: every row of `ownership_filings`, compacted or not. Athena cannot mix JSON and
-- Parquet files in one table, so it is the Parquet table plus the NDJSON rows whose
-- (form, year, month, accession) no compacted file holds yet (rows ingested since the last
-- `secfilings compact`, or files a compaction has not deleted yet): no row counted twice.
CREATE OR REPLACE VIEW ownership_filings_all AS
SELECT
  "accession_number",
  "form_type",
  "filed",
  "period",
  "issuer_cik",
  "issuer_name",
  "issuer_ticker",
  "reporting_owner_cik",
  "reporting_owner_name",
  "reporting_owners",
  "date_of_original_submission",
  "no_securities_owned",
  "transaction_count",
  "holding_count",
  "footnotes",
  "remarks",
  "accession_source",
  "raw_key",
  "form",
  "year",
  "month"
FROM ownership_filings_compacted
UNION ALL
SELECT
  j."accession_number",
  j."form_type",
  j."filed",
  j."period",
  j."issuer_cik",
  j."issuer_name",
  j."issuer_ticker",
  j."reporting_owner_cik",
  j."reporting_owner_name",
  j."reporting_owners",
  j."date_of_original_submission",
  j."no_securities_owned",
  j."transaction_count",
  j."holding_count",
  j."footnotes",
  j."remarks",
  j."accession_source",
  j."raw_key",
  j."form",
  j."year",
  j."month"
FROM ownership_filings AS j
WHERE NOT EXISTS (
  SELECT 1 FROM ownership_filings_compacted AS c
  WHERE c."form" = j."form" AND c."year" = j."year" AND c."month" = j."month"
    AND c."accession_number" = j."accession_number"
);
