-- Athena table `insider_transactions_compacted`: the Parquet files `secfilings compact` writes, one per partition,
-- sorted by the lookup CIK:
--   <lake>/compacted/insider_transactions/form=<form>/year=<YYYY>/month=<MM>/compacted.parquet
-- Same columns as `insider_transactions` (../insider_transactions.sql; a test checks both against the layout). Parquet
-- columns are read by name, so a column added later reads as null from older files.
-- Query the view `insider_transactions_all` (./insider_transactions_all.sql), which adds the rows not compacted yet.
CREATE EXTERNAL TABLE IF NOT EXISTS insider_transactions_compacted (
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
STORED AS PARQUET
LOCATION 's3://secfilings-lake/compacted/insider_transactions/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.form.type' = 'enum',
  'projection.form.values' = '3,3A,4,4A,5,5A',
  'projection.year.type' = 'integer',
  'projection.year.range' = '1993,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://secfilings-lake/compacted/insider_transactions/form=${form}/year=${year}/month=${month}'
);
