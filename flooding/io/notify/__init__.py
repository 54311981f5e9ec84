"""Telling the person: desktop notifications, the chimes, and their own remote targets.

One module per job: `bus` (the desktop's notification server), `buttons` (desktop-notifier,
with buttons), `plyer_backend` (the fallback), `resilient` (timeouts, one retry, dedup,
quiet failure), `sound` (the chimes), `remote` (Apprise targets) and `choice` (putting
them together). The message types live in `flooding.core.notice`.
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
from flooding.core.settings import mask_target
from flooding.io.notify.bus import probe_notification_server, server_capabilities
from flooding.io.notify.buttons import (
    ACTION_OPEN_APP,
    OPEN_APP_LABEL,
    ButtonBackend,
    DesktopConnection,
    OpenApp,
    buttons_supported,
)
from flooding.io.notify.choice import NotifierGroup, choose_notifier, remote_targets
from flooding.io.notify.plyer_backend import APP_NAME, NotificationFailed, PlyerBackend, plyer_show
from flooding.io.notify.remote import RemoteTargets, TargetResult
from flooding.io.notify.resilient import Backend, ResilientNotifier
from flooding.io.notify.sound import ChimePlayer, chime_file, find_player

__all__ = [
    "ACTION_NOT_FLOODED",
    "ACTION_OPEN_APP",
    "ACTION_START_PAUSE",
    "ALERT_ACTIONS",
    "APP_NAME",
    "OPEN_APP_LABEL",
    "URGENT_KINDS",
    "Action",
    "ActionHandler",
    "Backend",
    "ButtonBackend",
    "ChimePlayer",
    "DesktopConnection",
    "Message",
    "NotificationFailed",
    "Notifier",
    "NotifierGroup",
    "NullNotifier",
    "OpenApp",
    "PlyerBackend",
    "RemoteTargets",
    "ResilientNotifier",
    "TargetResult",
    "buttons_supported",
    "chime_file",
    "choose_notifier",
    "find_player",
    "mask_target",
    "plyer_show",
    "probe_notification_server",
    "remote_targets",
    "server_capabilities",
]
