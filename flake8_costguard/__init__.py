"""costguard static side: a flake8 plugin whose rules, written with libcst, enforce [tool.costguard] bans."""

__version__ = "0.1.0"
