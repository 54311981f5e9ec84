"""The notifier a session uses: the desktop, the chime and the remote targets together.

`choose_notifier` picks the desktop backends that work here (buttons where supported,
plyer as the fallback) and adds the chime and the person's remote targets as configured.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from flooding.core.notice import ActionHandler, Message, Notifier, NullNotifier
from flooding.core.settings import NotifySettings, Settings
from flooding.io.notify.bus import BUS_TIMEOUT_S
from flooding.io.notify.buttons import (
    OPEN_APP_LABEL,
    ButtonBackend,
    DesktopConnection,
    OpenApp,
    buttons_supported,
)
from flooding.io.notify.plyer_backend import PlyerBackend
from flooding.io.notify.remote import RemoteTargets
from flooding.io.notify.resilient import Backend, ResilientNotifier
from flooding.io.notify.sound import ChimePlayer, chime_file, server_plays_sounds

log = logging.getLogger(__name__)


class NotifierGroup:
    """Tells a message on the desktop, with its chime, and to remote targets, all at once.

    The chime is left to the notification server when the desktop notification carried it
    as a sound hint (`hint_sent`), was shown, and the server plays sounds; otherwise the
    platform's player plays it. `send` answers whether the desktop showed the message.
    """

    def __init__(
        self,
        desktop: Notifier,
        *,
        chimes: ChimePlayer | None = None,
        remote: RemoteTargets | None = None,
        hint_sent: bool = False,
    ) -> None:
        self.desktop = desktop
        self.chimes = chimes
        self.remote = remote
        self._hint_sent = hint_sent

    @property
    def budget_s(self) -> float:
        """The longest a send takes: its slowest part (the chime may wait for the desktop)."""
        chime_s = 0.0
        if self.chimes is not None:
            chime_s = self.desktop.budget_s + BUS_TIMEOUT_S + self.chimes.budget_s
        remote_s = self.remote.budget_s if self.remote else 0.0
        return max(self.desktop.budget_s, chime_s, remote_s)

    async def send(self, message: Message) -> bool:
        desktop = asyncio.ensure_future(self.desktop.send(message))
        parts: list[asyncio.Future[bool]] = [desktop]
        if self.chimes is not None and message.chime is not None:
            parts.append(asyncio.ensure_future(self._chime(message, desktop)))
        if self.remote:
            parts.append(asyncio.ensure_future(self.remote.send(message)))
        await asyncio.gather(*parts, return_exceptions=True)
        return not desktop.cancelled() and desktop.exception() is None and desktop.result()

    async def problem(self) -> str | None:
        """The desktop's (the chime and the remote targets tell what they can around it)."""
        return await self.desktop.problem()

    async def _chime(self, message: Message, desktop: asyncio.Future[bool]) -> bool:
        assert self.chimes is not None
        if self._hint_sent and await server_plays_sounds() and await asyncio.shield(desktop):
            log.debug("the notification server plays the %s chime", message.chime)
            return False
        return await self.chimes.send(message)


def remote_targets(settings: Settings, people: Sequence[str] = ()) -> list[str]:
    """Where a session's messages go beyond this computer: `notify.targets`, and in couple
    mode (`people` named) each partner's own `notify_targets`, each URL once."""
    urls = list(settings.notify.targets)
    for name in people:
        profile = settings.profiles.get(name)
        if profile is not None:
            urls.extend(profile.notify_targets)
    return list(dict.fromkeys(urls))


def choose_notifier(
    settings: NotifySettings,
    *,
    on_action: ActionHandler | None = None,
    targets: Sequence[str] | None = None,
    open_app: OpenApp | None = None,
    open_app_label: str = OPEN_APP_LABEL,
    connection: DesktopConnection | None = None,
) -> Notifier:
    """The notifier for these settings; Null when notifications are off.

    Desktop: buttons where supported, falling back to plyer. With `settings.sound`, the
    chimes. Remote: `targets` (default: `settings.targets`; couple mode passes both
    partners' own), nothing at all (not even Apprise loaded) when there are none. With
    `open_app`, the desktop's alert and ready-to-return also offer "Open the app" (in the
    words `open_app_label`). A process
    that makes a notifier per session passes its one desktop `connection` to each.
    """
    if not settings.enabled:
        return NullNotifier()
    backends: list[Backend] = []
    with_buttons = buttons_supported()
    # the sound hint only where its meaning is known (the freedesktop spec): elsewhere the
    # platform's player alone plays the chime, so it never sounds twice
    hint = settings.sound and sys.platform.startswith("linux")
    if with_buttons:
        backends.append(
            ButtonBackend(
                on_action,
                chime_file=chime_file if hint else None,
                open_app=open_app,
                open_app_label=open_app_label,
                connection=connection,
            )
        )
    backends.append(PlyerBackend())
    desktop = ResilientNotifier(backends)
    log.debug("desktop notifications via %s", " then ".join(desktop.backend_names))
    remote = RemoteTargets(
        settings.targets if targets is None else targets, details=settings.remote_details
    )
    remote.warm_up()  # loading Apprise takes about half a second: not at the first alert
    return NotifierGroup(
        desktop,
        chimes=ChimePlayer(settings.volume) if settings.sound and settings.volume > 0 else None,
        remote=remote if remote else None,
        hint_sent=with_buttons and hint,
    )
