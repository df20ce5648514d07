"""The last line of defence: a crisis reply when the database cannot take one.

Normally every reply goes through the outbox. When a turn could not be
recorded at all (the database is down or stayed busy), a message that matched
the crisis screen is still answered at once, straight through the platform's
sender, built from configuration alone. Nothing else takes this path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.config import ProgramConfig
from bot.crisis import crisis_card_for
from bot.delivery import Delivery, Outcome, PlatformSender
from bot.i18n import Catalogs, negotiate
from bot.messages import Inbound, Platform, Priority
from bot.outbox import idempotency_key

log = logging.getLogger("peerlink.failsafe")


class Failsafe:
    def __init__(
        self,
        config: ProgramConfig,
        catalogs: Catalogs,
        senders: Mapping[Platform, PlatformSender],
    ) -> None:
        self._config = config
        self._catalogs = catalogs
        self._senders = dict(senders)

    async def send_crisis(self, inbound: Inbound) -> bool:
        """Send the crisis card directly to the author; True when the platform took it."""
        author = inbound.author
        sender = self._senders.get(author.platform)
        if sender is None:
            log.critical("crisis reply could not be sent: no direct sender",
                         extra={"platform": author.platform.value})
            return False
        lang = negotiate(author.locale)
        _ = self._catalogs.gettext(lang)
        source = f"failsafe|{author.platform}|{author.tenant}|{inbound.event_id}"
        delivery = Delivery(
            key=idempotency_key(source, 0),
            platform=author.platform,
            address={"tenant": author.tenant, "user_id": author.user_id},
            body=crisis_card_for(_, self._config, self._config.default_country, lang),
            notification=_("New message from Peerlink"),
            priority=Priority.CRISIS,
            locale=lang,
        )
        try:
            result = await sender.send(delivery)
        except Exception:
            log.critical("crisis reply could not be sent", exc_info=True,
                         extra={"platform": author.platform.value})
            return False
        sent = result.outcome is Outcome.SENT
        log.log(logging.WARNING if sent else logging.CRITICAL, "crisis reply sent directly",
                extra={"platform": author.platform.value, "status": result.outcome.value})
        return sent
