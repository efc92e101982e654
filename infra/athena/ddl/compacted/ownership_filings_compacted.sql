-- Athena table `ownership_filings_compacted`: the Parquet files `secfilings compact` writes, one per partition,
-- sorted by the lookup CIK:
--   <lake>/compacted/ownership_filings/form=<form>/year=<YYYY>/month=<MM>/compacted.parquet
-- Same columns as `ownership_filings` (../ownership_filings.sql; a test checks both against the layout). Parquet
-- columns are read by name, so a column added later reads as null from older files.
-- Query the view `ownership_filings_all` (./ownership_filings_all.sql), which adds the rows not compacted yet.
CREATE EXTERNAL TABLE IF NOT EXISTS ownership_filings_compacted (
  `accession_number`            string,
  `form_type`                   string,
  `filed`                       date,
  `period`                      date,
  `issuer_cik`                  string,
  `issuer_name`                 string,
  `issuer_ticker`               string,
  `reporting_owner_cik`         string,
  `reporting_owner_name`        string,
  `reporting_owners`            string,
  `date_of_original_submission` date,
  `no_securities_owned`         boolean,
  `transaction_count`           int,
  `holding_count`               int,
  `footnotes`                   string,
  `remarks`                     string,
  `accession_source`            string,
  `raw_key`                     string
)
PARTITIONED BY (`form` string, `year` string, `month` string)
STORED AS PARQUET
LOCATION 's3://secfilings-lake/compacted/ownership_filings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '3,3A,4,4A,5,5A',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/compacted/ownership_filings/form=${form}/year=${year}/month=${month}'
);
