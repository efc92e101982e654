"""costguard static side: a flake8 plugin whose rules, written with libcst, enforce [tool.costguard] bans."""
