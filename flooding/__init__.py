"""flooding: notices when a hard conversation floods your heart, and helps you take a good break."""

__version__ = "0.1.0"
