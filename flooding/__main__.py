"""`python -m flooding` runs the command line."""

from flooding.cli import main

raise SystemExit(main())
