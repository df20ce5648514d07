"""Concerns: a supporter reports something to the program office from chat.

| input                               | who may                | answer                          |
|-------------------------------------|------------------------|---------------------------------|
| "concern" / "signaler"              | supporters             | the form: category, what (opt.) |
|                                     | anyone else            | who can, and where else to turn |
| the form, sent                      | supporters             | thanks; the office is told      |
| the form with no or a bad category  | supporters             | what is missing; nothing saved  |
| Open (a concern)                    | program office         | who reported, when, what        |
| Mark handled                        | program office         | handled once; a second press    |
|                                     |                        | says so                         |
| "concerns"                          | program office         | the open ones                   |

The office's alert names only the category; who reported and what they wrote are
sealed in the database and shown to a program-office member who opens it.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.dates import format_datetime

from bot.flows.menu import not_understood, stale_card
from bot.messages import Outbound, Priority
from bot.places import zone_of
from bot.support import lang_of, name_of
from bot.text import as_id, clean
from bot.turn import Turn
from bot.ui import Button, Card, ChoiceInput, Fact, Form, Option, TextInput
from storage.models import Person

FLOW = "concern"
CATEGORIES = ("breach", "misuse", "own_support", "other")
TEXT_LIMIT = 1000


def _labels(turn: Turn, lang: str | None = None) -> dict[str, str]:
    _ = turn.catalogs.gettext(lang) if lang else turn.gettext
    return {"breach": _("A breach of confidentiality"),
            "misuse": _("Misuse of Peerlink or of the program"),
            "own_support": _("I need support myself"),
            "other": _("Something else")}


async def report(turn: Turn) -> Sequence[Outbound]:
    _ = turn.gettext
    if not turn.person.program_office and not await turn.uow.programs.supporters_of(
            turn.person.id):
        return [turn.reply(Card(text=_(
            "Reporting a concern to the program office is for supporters. If something is "
            "worrying you, *find* someone to talk to, or contact the {eap}: {contact}.").format(
            eap=turn.config.eap_name(turn.lang), contact=turn.config.eap_contact)))]
    token = await turn.enter(FLOW, "form")
    return [turn.reply(_form(turn, token))]


def _form(turn: Turn, token: str, problem: str = "") -> Form:
    _ = turn.gettext
    return Form(
        title=_("Report a concern"),
        text=problem or _("Only the program office reads this. What you write is kept "
                          "encrypted, because it is a report; nobody else is told."),
        inputs=(ChoiceInput("category", _("What is it about?"), tuple(
                    Option(label, key) for key, label in _labels(turn).items()), initial=""),
                TextInput("text", _("What happened"), multiline=True,
                          required=False, max_length=TEXT_LIMIT)),
        submit=Button(_("Send to the program office"), "concern.send", token,
                      style="primary"),
        cancel_label=_("Cancel"),
    )


async def send(turn: Turn) -> Sequence[Outbound]:
    action = turn.inbound.action
    if action is None or not turn.holds(FLOW, action.value):
        return [stale_card(turn)]
    _ = turn.gettext
    category = action.values.get("category", "")
    text = clean(action.values.get("text", "")).strip()
    if category not in CATEGORIES or len(text) > TEXT_LIMIT:
        problem = _("Please choose what it is about, and keep what happened under {limit} "
                    "characters. Nothing was sent.").format(limit=TEXT_LIMIT)
        return [turn.reply(_form(turn, action.value, problem))]
    await turn.leave()
    concern = await turn.uow.concerns.add(turn.person.id, category, text, turn.now)
    out = [_alert(turn, member, concern.id, category)
           for member in await turn.uow.people.program_office()]
    reply = [_("Thank you. The program office has your report and will get back to you.")]
    if category == "own_support":
        reply.append(_("Looking after yourself matters too. The {eap} is there for you, "
                       "confidentially: {contact}.").format(
            eap=turn.config.eap_name(turn.lang), contact=turn.config.eap_contact))
    return [turn.reply(Card(text="\n\n".join(reply))), *out]


def _alert(turn: Turn, member: Person, concern_id: int, category: str) -> Outbound:
    lang = lang_of(member)
    _ = turn.catalogs.gettext(lang)
    card = Card(title=_("A concern was reported"),
                text=_("Category: {category}. Open it to see who reported it and what they "
                       "wrote.").format(category=_labels(turn, lang)[category]),
                buttons=(Button(_("Open"), "concern.show", str(concern_id), style="primary"),))
    return Outbound(member.id, card, _("A message from Peerlink"), Priority.REPLY, lang=lang)


async def show(turn: Turn) -> Sequence[Outbound]:
    concern_id = as_id(turn.value)
    found = await turn.uow.concerns.get(concern_id) if concern_id is not None else None
    if not turn.person.program_office or found is None:
        return await not_understood(turn)
    _ = turn.gettext
    sealed = turn.uow.concerns.unseal(found)
    reporter = await turn.uow.people.get(int(sealed["reporter"])) \
        if sealed.get("reporter") else None
    who = f"{name_of(reporter)} <{reporter.email}>" if reporter and reporter.email else (
        name_of(reporter) if reporter else _("someone who has since asked to be forgotten"))
    facts = (Fact(_("Category"), _labels(turn)[found.category]
                  if found.category in CATEGORIES else found.category),
             Fact(_("Reported by"), who),
             Fact(_("When"), format_datetime(found.created_at.astimezone(zone_of(turn.person)),
                                            "d MMM y, HH:mm", locale=turn.lang)),
             Fact(_("Status"), _("handled") if found.status == "handled" else _("open")))
    buttons = () if found.status == "handled" else (
        Button(_("Mark handled"), "concern.handle", str(found.id)),)
    return [turn.reply(Card(title=_("A concern"), text=sealed.get("text") or _("(no details)"),
                            facts=facts, buttons=buttons))]


async def handle(turn: Turn) -> Sequence[Outbound]:
    concern_id = as_id(turn.value)
    if not turn.person.program_office or concern_id is None:
        return await not_understood(turn)
    _ = turn.gettext
    if not await turn.uow.concerns.handle(concern_id, turn.person.id, turn.now):
        return [turn.reply(Card(text=_("That concern was already handled.")))]
    return [turn.reply(Card(text=_("Marked handled.")))]


async def open_list(turn: Turn) -> Sequence[Outbound]:
    if not turn.person.program_office:
        return await not_understood(turn)
    _ = turn.gettext
    found = await turn.uow.concerns.open()
    labels = _labels(turn)
    return [turn.reply(Card(
        title=_("Open concerns"),
        text=_("None open.") if not found else _("Open one to read it."),
        facts=tuple(Fact(f"#{c.id}", labels.get(c.category, c.category)) for c in found),
        buttons=tuple(Button(_("Open #{id}").format(id=c.id), "concern.show", str(c.id))
                      for c in found)))]
