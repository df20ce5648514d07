"""Privacy: what Peerlink keeps, the limits of confidentiality, "my data", "forget me".

| input                         | answer                                               |
|-------------------------------|------------------------------------------------------|
| "privacy"                     | what is kept and who sees what                       |
| "my data" / "mes données"     | everything held about you, with "Forget me"          |
| Forget me                     | what it erases, and a confirm button                 |
| Erase everything (confirmed)  | a goodbye; everything erased a minute later          |
| pressed twice                 | the same goodbye; erased once                        |
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages import Outbound
from bot.privacy import Privacy, schedule_forget
from bot.turn import Turn
from bot.ui import Button, Card, Fact


async def privacy(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    text = "\n\n".join(
        [
            _("Peerlink does not keep what you write to it. It keeps your name, email, "
              "department, location, language and timezone from your organisation's "
              "directory, and the settings you choose."),
            _("Who you talk to is private: only you and the person you meet can see it, "
              "and it is stored encrypted. The program office sees only anonymous totals, "
              "never a group smaller than five people."),
            _("Confidentiality can be broken only for an imminent threat of harm to yourself "
              "or to others, or for suspected or known child abuse or serious neglect. "
              "Anything else is shared only with your written consent."),
            _escalation_note(turn),
        ]
    )
    card = Card(
        title=_("Your privacy"),
        text=text,
        buttons=(Button(_("My data"), "privacy.mydata"),
                 Button(_("Back to the menu"), "menu.help")),
    )
    return [turn.reply(card)]


def _escalation_note(turn: Turn) -> str:
    """When a person on call learns who you are (bot/escalation.py), as the policy says."""
    _ = turn.gettext
    if turn.config.escalation.policy == "imminent":
        return _("If you press *Talk to someone now*, or if a message shows an imminent "
                 "danger, a trained person on call is told your name and how to reach you, "
                 "never what you wrote.")
    return _("If you press *Talk to someone now*, a trained person on call is told your name "
             "and how to reach you, never what you wrote.")


async def my_data(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    held = await Privacy(turn.config, turn.catalogs).holdings(
        turn.uow, turn.person, turn.lang)
    return [turn.reply(Card(
        title=_("Your data"),
        text=_("Everything Peerlink holds about you. It never keeps what you write to it. "
               "Anonymous counts (survey answers, check-in scores) name nobody and are not "
               "listed."),
        facts=tuple(Fact(h.what, h.detail) for h in held),
        buttons=(Button(_("Forget me"), "privacy.forget", style="danger"),
                 Button(_("Back to the menu"), "menu.help")),
    ))]


async def forget(turn: Turn) -> Sequence[Outbound]:
    """What forgetting does, and the button that does it."""
    _ = turn.gettext
    return [turn.reply(Card(
        title=_("Forget me"),
        text="\n\n".join([
            _("This erases everything Peerlink holds about you: your settings, check-ins, "
              "requests, connections and meetings, pairing rounds and, if you are a "
              "supporter, your profile."),
            _("Anyone you are connected with is told only that the connection ended. It "
              "cannot be undone. If you write to Peerlink again later, you start afresh."),
        ]),
        buttons=(Button(_("Erase everything"), "privacy.erase", style="danger"),
                 Button(_("Keep my data"), "menu.help")),
    ))]


async def erase(turn: Turn) -> Sequence[Outbound]:
    await schedule_forget(turn.uow, turn.person, turn.now)
    _ = turn.gettext
    return [turn.reply(Card(text=_(
        "Done. Everything Peerlink holds about you is being erased now; this is the last "
        "message you will get from it. Take good care of yourself.")))]

