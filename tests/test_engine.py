"""The engine through the fluent harness: welcome, help, language, settings, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.flows import build_router
from bot.messages import Action, Inbound, Outbound, Priority
from bot.turn import Turn
from bot.ui import Card
from storage.db import Database
from tests.harness import Harness


@pytest.fixture
async def h(sqlite_db: Database) -> Harness:
    return await Harness.start(sqlite_db)


async def test_first_contact_gets_the_welcome_with_its_boundaries(h: Harness) -> None:
    alice = await h.person("Alice", welcomed=False)
    replies = await h.send("hi", as_=alice)
    assert len(replies) == 1
    card = replies.card()
    assert card.title == "Welcome to Peerlink"
    assert "not therapy and not a crisis service" in card.text
    assert "imminent threat of harm" in card.text and "child abuse" in card.text
    assert "9-8-8" in card.text  # the crisis line of her country (CA)
    # A second message is not greeted again.
    again = await h.send("hi", as_=alice)
    assert again.card().title == "Welcome to Peerlink"  # "hi" asks for it explicitly
    help_ = await h.send("help", as_=alice)
    assert help_.card().title == "Peerlink" and len(help_) == 1


async def test_first_contact_with_a_command_gets_welcome_then_the_answer(h: Harness) -> None:
    bob = await h.person("Bob", welcomed=False)
    replies = await h.send("help", as_=bob)
    assert [d.body.title for d in replies] == ["Welcome to Peerlink", "Peerlink"]


async def test_welcome_acknowledged_leads_to_the_menu(h: Harness) -> None:
    alice = await h.person("Alice", welcomed=False)
    welcome = await h.send("hello", as_=alice)
    ack = welcome.button("welcome.ack")
    done = await h.press(ack, as_=alice)
    assert "You're all set." in done.card().text
    assert done.button("menu.settings")
    again = await h.press(ack, as_=alice)  # an old card: harmless, same answer
    assert "You're all set." in again.card().text


async def test_a_form_opened_by_the_first_message_still_works(h: Harness) -> None:
    newcomer = await h.person("Nadia", welcomed=False)
    replies = await h.send("settings", as_=newcomer)
    assert replies.card(0).title == "Welcome to Peerlink"
    saved = await h.submit(replies.form(1), {"language": "en", "timezone": "UTC"}, as_=newcomer)
    assert saved.card().text == "Your settings are saved."


async def test_unknown_input_lists_what_a_person_can_do(h: Harness) -> None:
    alice = await h.person()
    replies = await h.send("purple monkey dishwasher", as_=alice)
    card = replies.card()
    assert "didn't understand" in card.text
    assert {b.action for b in card.buttons} >= {"menu.settings", "menu.language", "menu.privacy"}


@pytest.mark.parametrize(
    "text", ["", "   ", "\u200b\u200b", "\x00\x07\x1b\x7f", "\u202e\u2066"]
)
async def test_empty_or_invisible_text_gets_a_kind_reply(h: Harness, text: str) -> None:
    alice = await h.person()
    replies = await h.send(text, as_=alice)
    assert "didn't receive any text" in replies.card().text


async def test_a_40kb_message_is_declined_kindly_and_changes_nothing(h: Harness) -> None:
    alice = await h.person()
    replies = await h.send("settings " + "x" * 40_000, as_=alice)
    # Commands still match on their first word; the long tail is just ignored text.
    assert replies.form().title == "Your settings"
    replies = await h.send("lorem ipsum " * 4000, as_=alice)
    assert "longer than I can read" in replies.card().text


async def test_unknown_action_id_is_answered_and_changes_nothing(h: Harness) -> None:
    alice = await h.person()
    inbound = Inbound(h.author(alice), "x1", action=Action("no.such.thing", "1"))
    replies = await h.deliver(inbound)
    assert "that button no longer works" in replies.card().text


async def test_language_from_platform_locale_then_changed_by_command(h: Harness) -> None:
    claire = await h.person("Claire")
    claire_fr = type(claire)(claire.email, claire.name, locale="fr-CA")
    replies = await h.send("aide", as_=claire_fr)
    assert "Voici ce que vous pouvez faire" in replies.card().text
    switched = await h.send("language english", as_=claire_fr)
    assert switched.card().text == "From now on I will write to you in English."
    replies = await h.send("aide", as_=claire_fr)
    assert "Here is what you can do" in replies.card().text


async def test_language_buttons_and_a_forged_value(h: Harness) -> None:
    alice = await h.person()
    card = (await h.send("langue", as_=alice)).card()
    fr = next(b for b in card.buttons if b.value == "fr")
    replies = await h.press(fr, as_=alice)
    assert replies.card().text == "Désormais, je vous écrirai en français."
    forged = await h.deliver(Inbound(h.author(alice), "f1", action=Action("language.set", "xx")))
    assert "Rien n'a été changé" in forged.card().text


async def test_settings_form_saves_valid_values(h: Harness) -> None:
    alice = await h.person()
    form = (await h.send("settings", as_=alice)).form()
    saved = await h.submit(form, {"language": "fr", "timezone": "Europe/Paris"}, as_=alice)
    card = saved.card()
    assert card.text == "Vos paramètres sont enregistrés."
    assert ("Fuseau horaire", "Europe/Paris") in [(f.label, f.value) for f in card.facts]
    async with h.runtime.db.transaction() as uow:
        person = await uow.people.by_email(alice.email)
        assert person is not None and person.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    "values",
    [
        {"language": "de", "timezone": "Europe/Paris"},
        {"language": "en", "timezone": "Mars/Olympus_Mons"},
        {"language": "en", "timezone": "../../etc/passwd"},
        {"language": "en"},
        {},
    ],
)
async def test_settings_form_rejects_bad_values_and_changes_nothing(
    h: Harness, values: dict[str, str]
) -> None:
    alice = await h.person()
    form = (await h.send("settings", as_=alice)).form()
    replies = await h.submit(form, values, as_=alice)
    assert "Nothing was saved" in replies.form().text
    async with h.runtime.db.transaction() as uow:
        person = await uow.people.by_email(alice.email)
        assert person is not None
        assert (person.language, person.timezone) == ("", "")
        assert person.effective_timezone == "America/Toronto"


async def test_submitting_an_old_settings_form_again_is_stale(h: Harness) -> None:
    alice = await h.person()
    form = (await h.send("settings", as_=alice)).form()
    await h.submit(form, {"language": "en", "timezone": "UTC"}, as_=alice)
    again = await h.submit(form, {"language": "fr", "timezone": "Asia/Tokyo"}, as_=alice)
    assert "out of date" in again.card().text
    async with h.runtime.db.transaction() as uow:
        person = await uow.people.by_email(alice.email)
        assert person is not None and person.timezone == "UTC"


async def test_conversation_state_times_out(h: Harness) -> None:
    alice = await h.person()
    form = (await h.send("settings", as_=alice)).form()
    h.clock.advance(timedelta(minutes=31))
    late = await h.submit(form, {"language": "fr", "timezone": "UTC"}, as_=alice)
    assert "out of date" in late.card().text


async def test_cancel_leaves_the_form_and_changes_nothing(h: Harness) -> None:
    alice = await h.person()
    form = (await h.send("settings", as_=alice)).form()
    cancel = Action("form.cancel", form.submit.value)
    replies = await h.deliver(Inbound(h.author(alice), "c1", action=cancel))
    assert replies.card().text == "Cancelled. Nothing was changed."
    again = await h.deliver(Inbound(h.author(alice), "c2", action=cancel))
    assert "out of date" in again.card().text


async def test_a_platform_retry_of_the_same_event_changes_nothing(h: Harness) -> None:
    alice = await h.person()
    first = await h.send("help", as_=alice, event_id="same")
    second = await h.send("help", as_=alice, event_id="same")
    assert len(first) == 1 and len(second) == 0


async def test_crisis_language_is_answered_first_in_any_state(h: Harness) -> None:
    alice = await h.person()
    form = (await h.send("settings", as_=alice)).form()
    replies = await h.send("I want to end my life", as_=alice)
    assert replies.priorities == [Priority.CRISIS]
    card = replies.card()
    assert "9-8-8" in card.text and "911" in card.text
    assert card.buttons[0].action == "crisis.talk"
    # The flow she was in is kept: her form still works.
    saved = await h.submit(form, {"language": "en", "timezone": "UTC"}, as_=alice)
    assert saved.card().text == "Your settings are saved."


async def test_crisis_language_in_a_form_field_is_screened(h: Harness) -> None:
    alice = await h.person()
    form = (await h.send("settings", as_=alice)).form()
    replies = await h.submit(form, {"language": "en", "timezone": "je veux mourir"}, as_=alice)
    assert replies.priorities == [Priority.CRISIS]


async def test_message_text_is_never_stored_or_logged(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await h.person()
    secret = "my very private sentence about my divorce"
    caplog.set_level("DEBUG")
    await h.send(secret, as_=alice)
    assert "divorce" not in caplog.text
    async with h.runtime.db.engine.connect() as conn:
        raw = await conn.run_sync(lambda c: c.connection.driver_connection)
        del raw
    dump = await _dump_all(h)
    assert "divorce" not in dump


async def _dump_all(h: Harness) -> str:
    from sqlalchemy import text

    from storage.models import Base

    out = []
    async with h.runtime.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            out += [repr(r) for r in rows]
    return "\n".join(out)


async def test_a_failure_on_our_side_is_apologised_for_and_changes_nothing(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    failing = {"on": True}

    async def flaky(turn: Turn) -> list[Outbound]:
        await turn.enter("settings", "form")  # a state change that must be rolled back
        if failing["on"]:
            raise RuntimeError("bug in a flow")
        return [turn.reply(Card(text="worked"))]

    router = build_router()
    router.on_command("flaky", ("flaky",), flaky)
    h = await Harness.start(sqlite_db, router=router)
    alice = await h.person()
    replies = await h.send("flaky", as_=alice, event_id="ev")
    assert replies.card().text.startswith("Something went wrong on our side")
    assert "bug in a flow" not in replies.text()
    assert "handling failed" in caplog.text
    async with h.runtime.db.transaction() as uow:
        person = await uow.people.by_email(alice.email)
        assert person is not None
        assert await uow.conversations.current(person.id, h.clock.now()) is None
    # The event was not recorded as handled: the platform's retry gets a real answer.
    failing["on"] = False
    retried = await h.send("flaky", as_=alice, event_id="ev")
    assert retried.card().text == "worked"


class _DownDatabase:
    """Stands in for a database that cannot be reached at all."""

    def __init__(self, real: Database) -> None:
        self._real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def transaction(self) -> object:
        from storage.db import DatabaseUnavailable

        raise DatabaseUnavailable("connection refused")


async def test_crisis_is_answered_directly_when_the_database_is_down(
    sqlite_db: Database,
) -> None:
    h = await Harness.start(sqlite_db)
    alice = await h.person()
    h.runtime.engine._db = _DownDatabase(sqlite_db)  # type: ignore[assignment]
    ids = await h.runtime.engine.handle(
        Inbound(h.author(alice), "down-1", text="I want to kill myself")
    )
    assert ids == []
    sent = h.sender.to(alice.email)
    assert [d.priority for d in sent] == [Priority.CRISIS]
    assert "911" in sent[0].body.text  # the default country's emergency number


async def test_an_ordinary_message_while_the_database_is_down_asks_for_a_retry(
    sqlite_db: Database,
) -> None:
    from bot.errors import TemporarilyUnavailable

    h = await Harness.start(sqlite_db)
    alice = await h.person()
    h.runtime.engine._db = _DownDatabase(sqlite_db)  # type: ignore[assignment]
    with pytest.raises(TemporarilyUnavailable):
        await h.runtime.engine.handle(Inbound(h.author(alice), "down-2", text="help"))
    assert h.sender.deliveries == []


async def test_reopening_a_flow_after_its_state_expired_works(h: Harness) -> None:
    alice = await h.person()
    await h.send("settings", as_=alice)
    h.clock.advance(timedelta(hours=1))
    form = (await h.send("settings", as_=alice)).form()
    saved = await h.submit(form, {"language": "en", "timezone": "UTC"}, as_=alice)
    assert saved.card().text == "Your settings are saved."


async def test_cancel_on_an_old_form_leaves_the_live_one_alone(h: Harness) -> None:
    alice = await h.person()
    old = (await h.send("settings", as_=alice)).form()
    live = (await h.send("settings", as_=alice)).form()
    stale = await h.deliver(
        Inbound(h.author(alice), "c-old", action=Action("form.cancel", old.submit.value))
    )
    assert "out of date" in stale.card().text
    saved = await h.submit(live, {"language": "en", "timezone": "UTC"}, as_=alice)
    assert saved.card().text == "Your settings are saved."


async def test_a_language_chosen_in_peerlink_survives_an_org_reimport(h: Harness) -> None:
    alice = await h.person(language="en")
    await h.send("langue fr", as_=alice)
    await h.person(alice.name, email=alice.email, language="en")  # the directory again
    replies = await h.send("help", as_=alice)
    assert "Voici ce que vous pouvez faire" in replies.card().text
