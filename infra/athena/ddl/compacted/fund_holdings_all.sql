-- Athena view `fund_holdings_all`: every row of `fund_holdings`, compacted or not. Athena cannot mix JSON and
-- Parquet files in one table, so it is the Parquet table plus the NDJSON rows whose
-- (form, year, month, accession) no compacted file holds yet (rows ingested since the last
-- `secfilings compact`, or files a compaction has not deleted yet): no row counted twice.
CREATE OR REPLACE VIEW fund_holdings_all AS
SELECT
  "accession_number",
  "position",
  "form_type",
  "filed",
  "period",
  "filer_cik",
  "filer_name",
  "issuer",
  "title_of_class",
  "cusip",
  "value",
  "shares",
  "share_type",
  "put_call",
  "investment_discretion",
  "voting_sole",
  "voting_shared",
  "voting_none",
  "other_managers",
  "form",
  "year",
  "month"
FROM fund_holdings_compacted
UNION ALL
SELECT
  j."accession_number",
  j."position",
  j."form_type",
  j."filed",
  j."period",
  j."filer_cik",
  j."filer_name",
  j."issuer",
  j."title_of_class",
  j."cusip",
  j."value",
  j."shares",
  j."share_type",
  j."put_call",
  j."investment_discretion",
  j."voting_sole",
  j."voting_shared",
  j."voting_none",
  j."other_managers",
  j."form",
  j."year",
  j."month"
FROM fund_holdings AS j
WHERE NOT EXISTS (
  SELECT 1 FROM fund_holdings_compacted AS c
  WHERE c."form" = j."form" AND c."year" = j."year" AND c."month" = j."month"
    AND c."accession_number" = j."accession_number"
);
