"""The application: use cases (a session, the monitor, review, report, calibrate, tune,
import, export) built from the core and the edges, and wired in one composition root.
"""
