-- Athena table `fund_filings`: one row per 13F filing (cover page and summary).
-- NDJSON files written by secfilings (one file per filing):
--   <lake>/tables/fund_filings/form=<form>/year=<YYYY>/month=<MM>/<accession>.json
-- Columns are secfilings.lake.layout.TABLE_COLUMNS["fund_filings"] (a test checks they agree).
-- Partitions come from partition projection (no MSCK REPAIR / crawler needed). Replace
-- s3://secfilings-lake/ with the lake's bucket/prefix when deploying.
CREATE EXTERNAL TABLE IF NOT EXISTS fund_filings (
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
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://secfilings-lake/tables/fund_filings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '13F-HR,13F-HRA,13F-NT,13F-NTA',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/tables/fund_filings/form=${form}/year=${year}/month=${month}'
);
