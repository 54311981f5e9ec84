"""The `flooding` command: argument parsing and terminal views only."""
