-- Athena table `ownership_filings`: one row per ownership filing (Forms 3, 4, 5 and amendments).
-- NDJSON files written by secfilings (one file per filing):
--   <lake>/tables/ownership_filings/form=<form>/year=<YYYY>/month=<MM>/<accession>.json
-- Columns are secfilings.lake.layout.TABLE_COLUMNS["ownership_filings"] (a test checks they agree).
-- Partitions come from partition projection (no MSCK REPAIR / crawler needed). Replace
-- s3://secfilings-lake/ with the lake's bucket/prefix when deploying.
CREATE EXTERNAL TABLE IF NOT EXISTS ownership_filings (
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
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://secfilings-lake/tables/ownership_filings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '3,3A,4,4A,5,5A',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/tables/ownership_filings/form=${form}/year=${year}/month=${month}'
);
