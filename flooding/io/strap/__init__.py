"""The chest strap over Bluetooth LE: scanning, connecting, streaming and reconnecting."""
