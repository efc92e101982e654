"""``python -m secfilings``: the ``secfilings`` command line."""

from secfilings.cli import main

raise SystemExit(main())
