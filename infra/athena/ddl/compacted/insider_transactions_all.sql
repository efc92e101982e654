-- Athena view `insider_transactions_all`: every row of `insider_transactions`, compacted or not. Athena cannot mix JSON and
-- Parquet files in one table, so it is the Parquet table plus the NDJSON rows whose
-- (form, year, month, accession) no compacted file holds yet (rows ingested since the last
-- `secfilings compact`, or files a compaction has not deleted yet): no row counted twice.
CREATE OR REPLACE VIEW insider_transactions_all AS
SELECT
  "accession_number",
  "position",
  "form_type",
  "filed",
  "period",
  "issuer_cik",
  "issuer_name",
  "reporting_owner_cik",
  "reporting_owner_name",
  "derivative",
  "is_transaction",
  "security_title",
  "transaction_date",
  "code",
  "is_10b5_1",
  "shares",
  "price_per_share",
  "acquired_disposed",
  "shares_owned_following",
  "value_owned_following",
  "direct_indirect",
  "nature_of_ownership",
  "underlying_security_title",
  "underlying_shares",
  "conversion_or_exercise_price",
  "exercise_date",
  "expiration_date",
  "footnote_ids",
  "field_footnotes",
  "form",
  "year",
  "month"
FROM insider_transactions_compacted
UNION ALL
SELECT
  j."accession_number",
  j."position",
  j."form_type",
  j."filed",
  j."period",
  j."issuer_cik",
  j."issuer_name",
  j."reporting_owner_cik",
  j."reporting_owner_name",
  j."derivative",
  j."is_transaction",
  j."security_title",
  j."transaction_date",
  j."code",
  j."is_10b5_1",
  j."shares",
  j."price_per_share",
  j."acquired_disposed",
  j."shares_owned_following",
  j."value_owned_following",
  j."direct_indirect",
  j."nature_of_ownership",
  j."underlying_security_title",
  j."underlying_shares",
  j."conversion_or_exercise_price",
  j."exercise_date",
  j."expiration_date",
  j."footnote_ids",
  j."field_footnotes",
  j."form",
  j."year",
  j."month"
FROM insider_transactions AS j
WHERE NOT EXISTS (
  SELECT 1 FROM insider_transactions_compacted AS c
  WHERE c."form" = j."form" AND c."year" = j."year" AND c."month" = j."month"
    AND c."accession_number" = j."accession_number"
);
