"""`python -m flooding` runs the command line."""

from flooding.cli.main import main

raise SystemExit(main())
