-- Athena table `fund_filings_compacted`: the Parquet files `secfilings compact` writes, one per partition,
-- sorted by the lookup CIK:
--   <lake>/compacted/fund_filings/form=<form>/year=<YYYY>/month=<MM>/compacted.parquet
-- Same columns as `fund_filings` (../fund_filings.sql; a test checks both against the layout). Parquet
-- columns are read by name, so a column added later reads as null from older files.
-- Query the view `fund_filings_all` (./fund_filings_all.sql), which adds the rows not compacted yet.
CREATE EXTERNAL TABLE IF NOT EXISTS fund_filings_compacted (
  `accession_number`  string,
  `form_type`         string,
  `filed`             date,
  `period`            date,
  `filer_cik`         string,
  `filer_name`        string,
  `table_value_total` bigint,
  `table_entry_total` bigint,
  `holding_count`     int,
  `signed`            date,
  `is_amendment`      boolean,
  `amendment_type`    string,
  `value_unit`        string,
  `accession_source`  string,
  `raw_key`           string,
  `report_type`       string,
  `has_table`         boolean
)
PARTITIONED BY (`form` string, `year` string, `month` string)
STORED AS PARQUET
LOCATION 's3://secfilings-lake/compacted/fund_filings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '13F-HR,13F-HRA,13F-NT,13F-NTA',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/compacted/fund_filings/form=${form}/year=${year}/month=${month}'
);
