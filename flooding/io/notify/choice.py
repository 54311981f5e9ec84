"""The notifier a session uses: the desktop backends that work here.

`choose_notifier` picks buttons where supported (desktop-notifier) and plyer as the
fallback, behind the guarantees of `ResilientNotifier`.
"""

from __future__ import annotations

import logging

from flooding.core.notice import ActionHandler, Notifier, NullNotifier
from flooding.core.settings import NotifySettings
from flooding.io.notify.buttons import ButtonBackend, buttons_supported
from flooding.io.notify.plyer_backend import PlyerBackend
from flooding.io.notify.resilient import Backend, ResilientNotifier

log = logging.getLogger(__name__)


def choose_notifier(
    settings: NotifySettings, *, on_action: ActionHandler | None = None
) -> Notifier:
    """The best notifier here: buttons where supported, falling back to plyer; Null if off."""
    if not settings.enabled:
        return NullNotifier()
    backends: list[Backend] = []
    if buttons_supported():
        backends.append(ButtonBackend(on_action))
    backends.append(PlyerBackend())
    notifier = ResilientNotifier(backends)
    log.debug("desktop notifications via %s", " then ".join(notifier.backend_names))
    return notifier
