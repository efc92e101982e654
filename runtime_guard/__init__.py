"""costguard runtime side: an import guard that enforces [tool.costguard] bans while programs run."""
