-- Athena table `fund_holdings`: one row per 13F information-table entry; key (accession_number, position); value as filed (unit in fund_filings.value_unit).
-- NDJSON files written by secfilings (one file per filing):
--   <lake>/tables/fund_holdings/form=<form>/year=<YYYY>/month=<MM>/<accession>.json
-- Columns are secfilings.lake.layout.TABLE_COLUMNS["fund_holdings"] (a test checks they agree).
-- Partitions come from partition projection (no MSCK REPAIR / crawler needed). Replace
-- s3://secfilings-lake/ with the lake's bucket/prefix when deploying.
CREATE EXTERNAL TABLE IF NOT EXISTS fund_holdings (
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
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://secfilings-lake/tables/fund_holdings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '13F-HR,13F-HRA,13F-NT,13F-NTA',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/tables/fund_holdings/form=${form}/year=${year}/month=${month}'
);
