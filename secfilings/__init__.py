"""secfilings: the SEC filings platform that costguard protects."""
