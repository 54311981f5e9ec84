"""One module per `flooding` command."""
