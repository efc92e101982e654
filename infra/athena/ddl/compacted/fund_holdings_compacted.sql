-- Athena table `fund_holdings_compacted`: the Parquet files `secfilings compact` writes, one per partition,
-- sorted by the lookup CIK:
--   <lake>/compacted/fund_holdings/form=<form>/year=<YYYY>/month=<MM>/compacted.parquet
-- Same columns as `fund_holdings` (../fund_holdings.sql; a test checks both against the layout). Parquet
-- columns are read by name, so a column added later reads as null from older files.
-- Query the view `fund_holdings_all` (./fund_holdings_all.sql), which adds the rows not compacted yet.
CREATE EXTERNAL TABLE IF NOT EXISTS fund_holdings_compacted (
  `accession_number`      string,
  `position`              int,
  `form_type`             string,
  `filed`                 date,
  `period`                date,
  `filer_cik`             string,
  `filer_name`            string,
  `issuer`                string,
  `title_of_class`        string,
  `cusip`                 string,
  `value`                 bigint,
  `shares`                bigint,
  `share_type`            string,
  `put_call`              string,
  `investment_discretion` string,
  `voting_sole`           bigint,
  `voting_shared`         bigint,
  `voting_none`           bigint,
  `other_managers`        string
)
PARTITIONED BY (`form` string, `year` string, `month` string)
STORED AS PARQUET
LOCATION 's3://secfilings-lake/compacted/fund_holdings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '13F-HR,13F-HRA,13F-NT,13F-NTA',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/compacted/fund_holdings/form=${form}/year=${year}/month=${month}'
);
