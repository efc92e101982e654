-- Athena (Trino) DDL of the top_companies view. GENERATED from secfilings/sql/top_companies.sql,
-- the view's one source: this header, the CREATE line, then that file's text with each table
-- read through its <table>_all view (./compacted/<table>_all.sql: compacted and fresh rows).
-- Regenerate: python -m secfilings.scripts.render_athena_view infra/athena/ddl/top_companies.sql
CREATE OR REPLACE VIEW top_companies AS
-- top_companies: the top 100 issuers by insider-transaction activity over a window.
--
-- Window: the 365 days ending at the latest filing in the lake (the greatest filing date, or
-- period of report for a bare document, in ownership_filings), not at today's date, so a lake of
-- old filings still has an answer. A transaction counts on its transaction date (its filing
-- date, then its period, when the document gives none).
-- Activity: the number of transactions (rows with a transaction code, non-derivative and
-- derivative). Ties are broken by shares traded, then by CIK, so the ranking is deterministic.
-- Columns: rank, issuer_cik, issuer_name, transactions, filings, insiders (distinct first
-- reporting owners), acquisitions (A rows), disposals (D rows), shares_acquired, shares_disposed,
-- window_start (exclusive), window_end (inclusive).
--
-- This file is the one source of the view: DuckDB loads it as it is, and
-- infra/athena/ddl/top_companies.sql is "CREATE OR REPLACE VIEW top_companies AS" + this text,
-- each table read through its <table>_all view (a test checks that they agree). Portable SQL: it
-- runs on DuckDB and on Athena (Trino).
WITH latest AS (
    SELECT max(coalesce(filed, period)) AS window_end
    FROM ownership_filings_all
),
activity AS (
    SELECT
        t.issuer_cik,
        t.issuer_name,
        t.accession_number,
        t.reporting_owner_cik,
        t.acquired_disposed,
        coalesce(t.shares, 0) AS shares,
        coalesce(t.transaction_date, t.filed, t.period) AS activity_date,
        l.window_end
    FROM insider_transactions_all t
    CROSS JOIN latest l
    WHERE t.is_transaction
),
ranked AS (
    SELECT
        issuer_cik,
        max(issuer_name) AS issuer_name,
        count(*) AS transactions,
        count(DISTINCT accession_number) AS filings,
        count(DISTINCT reporting_owner_cik) AS insiders,
        CAST(sum(CASE WHEN acquired_disposed = 'A' THEN 1 ELSE 0 END) AS BIGINT) AS acquisitions,
        CAST(sum(CASE WHEN acquired_disposed = 'D' THEN 1 ELSE 0 END) AS BIGINT) AS disposals,
        sum(CASE WHEN acquired_disposed = 'A' THEN shares ELSE 0 END) AS shares_acquired,
        sum(CASE WHEN acquired_disposed = 'D' THEN shares ELSE 0 END) AS shares_disposed,
        sum(shares) AS shares_traded,
        max(window_end) AS window_end
    FROM activity
    WHERE activity_date > CAST(window_end - INTERVAL '365' DAY AS DATE)
      AND activity_date <= window_end
    GROUP BY issuer_cik
)
SELECT
    CAST(row_number() OVER (ORDER BY transactions DESC, shares_traded DESC, issuer_cik) AS INTEGER) AS rank,
    issuer_cik,
    issuer_name,
    transactions,
    filings,
    insiders,
    acquisitions,
    disposals,
    shares_acquired,
    shares_disposed,
    CAST(window_end - INTERVAL '365' DAY AS DATE) AS window_start,
    window_end
FROM ranked
ORDER BY rank
LIMIT 100
