"""SQL over the lake: DuckDB locally, Athena on AWS (``secfilings.sql.engine``)."""
