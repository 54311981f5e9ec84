"""The edges: one module (or package) per outside thing.

The strap (Bleak), notifications, the SQLite store, the control channel, the operating
system's service files, config files on disk and readers of other apps' files.
"""
