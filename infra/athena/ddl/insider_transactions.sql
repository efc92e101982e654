-- Athena table `insider_transactions`: every ownership row: transactions (code not null) and holdings (code null); key (accession_number, position).
-- NDJSON files written by secfilings (one file per filing):
--   <lake>/tables/insider_transactions/form=<form>/year=<YYYY>/month=<MM>/<accession>.json
-- Columns are secfilings.lake.layout.TABLE_COLUMNS["insider_transactions"] (a test checks they agree).
-- Partitions come from partition projection (no MSCK REPAIR / crawler needed). Replace
-- s3://secfilings-lake/ with the lake's bucket/prefix when deploying.
CREATE EXTERNAL TABLE IF NOT EXISTS insider_transactions (
  `accession_number`             string,
  `position`                     int,
  `form_type`                    string,
  `filed`                        date,
  `period`                       date,
  `issuer_cik`                   string,
  `issuer_name`                  string,
  `reporting_owner_cik`          string,
  `reporting_owner_name`         string,
  `derivative`                   boolean,
  `is_transaction`               boolean,
  `security_title`               string,
  `transaction_date`             date,
  `code`                         string,
  `is_10b5_1`                    boolean,
  `shares`                       double,
  `price_per_share`              double,
  `acquired_disposed`            string,
  `shares_owned_following`       double,
  `value_owned_following`        double,
  `direct_indirect`              string,
  `nature_of_ownership`          string,
  `underlying_security_title`    string,
  `underlying_shares`            double,
  `conversion_or_exercise_price` double,
  `exercise_date`                date,
  `expiration_date`              date,
  `footnote_ids`                 string,
  `field_footnotes`              string
)
PARTITIONED BY (`form` string, `year` string, `month` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://secfilings-lake/tables/insider_transactions/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '3,3A,4,4A,5,5A',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/tables/insider_transactions/form=${form}/year=${year}/month=${month}'
);
