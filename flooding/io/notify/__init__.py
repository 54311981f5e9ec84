"""Telling the person: desktop notifications.

One module per job: `bus` (the desktop's notification server), `buttons` (desktop-notifier,
with buttons), `plyer_backend` (the fallback), `resilient` (timeouts, one retry, dedup,
quiet failure) and `choice` (the notifier for the settings). The message types live in
`flooding.core.notice`.
"""

from flooding.core.notice import (
    ACTION_NOT_FLOODED,
    ACTION_START_PAUSE,
    ALERT_ACTIONS,
    URGENT_KINDS,
    Action,
    ActionHandler,
    Message,
    Notifier,
    NullNotifier,
)
from flooding.io.notify.bus import probe_notification_server
from flooding.io.notify.buttons import ButtonBackend, buttons_supported
from flooding.io.notify.choice import choose_notifier
from flooding.io.notify.plyer_backend import APP_NAME, NotificationFailed, PlyerBackend
from flooding.io.notify.resilient import (
    Backend,
    ButtonNotifier,
    PlyerNotifier,
    ResilientNotifier,
)

__all__ = [
    "ACTION_NOT_FLOODED",
    "ACTION_START_PAUSE",
    "ALERT_ACTIONS",
    "APP_NAME",
    "URGENT_KINDS",
    "Action",
    "ActionHandler",
    "Backend",
    "ButtonBackend",
    "ButtonNotifier",
    "Message",
    "NotificationFailed",
    "Notifier",
    "NullNotifier",
    "PlyerBackend",
    "PlyerNotifier",
    "ResilientNotifier",
    "buttons_supported",
    "choose_notifier",
    "probe_notification_server",
]
