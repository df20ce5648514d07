"""A supporter's own profile: bio, topics, languages, capacity, weekly hours, away."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from bot.config import load_config
from bot.demo import seed_demo
from bot.scheduling import housekeeping
from bot.ui import Button, Card
from storage.db import Database
from storage.models import Person, SupporterProfile
from tests.harness import Harness, PersonRef, Replies

GRACE = PersonRef("grace.mensah@example.com", "Grace Mensah")  # peer supporter (en)
CAMILLE = PersonRef("camille.bernard@example.com", "Camille Bernard")  # supporter (fr)
SAM = PersonRef("sam.okafor@example.com", "Sam Okafor")  # not a supporter


@pytest.fixture
async def h(sqlite_db: Database) -> Harness:
    harness = await Harness.start(sqlite_db)
    await seed_demo(sqlite_db, load_config(None))
    async with sqlite_db.transaction() as uow:
        await uow.session.execute(update(Person).values(welcomed_at=harness.clock.now()))
    return harness


async def grace_profile(h: Harness) -> SupporterProfile:
    async with h.runtime.db.transaction() as uow:
        grace = await uow.people.by_email(GRACE.email)
        assert grace is not None
        [profile] = await uow.programs.supporters_of(grace.id)
        return profile


def facts(card: Card) -> dict[str, str]:
    return {f.label: f.value for f in card.facts}


async def open_profile(h: Harness, who: PersonRef = GRACE) -> Replies:
    return await h.send("profile", as_=who)


async def test_the_profile_shows_what_seekers_see(h: Harness) -> None:
    card = (await open_profile(h)).card()
    assert card.title == "Your supporter profile"
    shown = facts(card)
    assert shown["State"] == "Active"
    assert shown["Topics"] == "Grief and loss, Life events, Conflict at work, Stress"
    assert shown["Capacity"] == "0 of 2 places taken"
    assert shown["Weekly hours"] == "Tue 10:00–12:00, Wed 13:00–16:00 (America/Vancouver)"
    assert shown["Training completed"] == "April 10, 2025"
    french = facts((await open_profile(h, CAMILLE)).card())
    assert french["Heures par semaine"].startswith("lun. 09:00–12:00")


async def test_someone_who_is_not_a_supporter_is_told_how_it_works(h: Harness) -> None:
    assert "You are not a supporter in any program" in (await open_profile(h, SAM)).text()


async def test_the_bio_is_edited_through_a_form_with_limits(h: Harness) -> None:
    card = (await open_profile(h)).card()
    form = (await h.press(next(b for b in card.buttons if b.action == "profile.bio"),
                          as_=GRACE)).form()
    assert form.inputs[0].initial.startswith("I'm here for grief")
    too_long = await h.submit(form, {"bio_en": "x" * 601, "bio_fr": ""}, as_=GRACE)
    assert "up to 600 characters" in too_long.form().text
    empty = await h.submit(too_long.form(), {"bio_en": " ", "bio_fr": ""}, as_=GRACE)
    assert "at least one is needed" in empty.form().text
    saved = await h.submit(empty.form(), {"bio_en": "New bio.", "bio_fr": "Nouvelle bio."},
                           as_=GRACE)
    assert "Your bio is saved." in saved.card().text
    assert (await grace_profile(h)).bio_fr == "Nouvelle bio."


async def test_topics_and_languages_toggle_and_one_language_stays(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    toggled = await h.press(Button("", "profile.topic", f"{pid}|burnout"), as_=GRACE)
    assert any(b.label == "✓ Burnout" for b in toggled.card().buttons)
    await h.press(Button("", "profile.topic", f"{pid}|grief"), as_=GRACE)
    assert (await grace_profile(h)).topics == ["life_events", "conflict", "stress", "burnout"]
    odd = await h.press(Button("", "profile.topic", f"{pid}|astrology"), as_=GRACE)
    assert "no longer works" in odd.text()
    only = await h.press(Button("", "profile.language", f"{pid}|en"), as_=GRACE)
    assert "At least one language is needed" in only.text()
    await h.press(Button("", "profile.language", f"{pid}|fr"), as_=GRACE)
    assert (await grace_profile(h)).languages == ["en", "fr"]


async def test_capacity_is_one_to_ten(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    saved = await h.press(Button("", "profile.capacity", f"{pid}|4"), as_=GRACE)
    assert "Your capacity is saved." in saved.text()
    for bad in ("0", "11", "x", ""):
        odd = await h.press(Button("", "profile.capacity", f"{pid}|{bad}"), as_=GRACE)
        assert "no longer works" in odd.text()
    assert (await grace_profile(h)).capacity == 4


async def test_weekly_hours_are_added_checked_and_removed(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    hours = await h.press(Button("", "profile.hours", str(pid)), as_=GRACE)
    assert [b.label for b in hours.card().buttons][:2] == ["Remove Tue 10:00–12:00",
                                                           "Remove Wed 13:00–16:00"]
    form = (await h.press(hours.button("profile.addslot"), as_=GRACE)).form()
    backwards = await h.submit(form, {"day": "mon", "start": "11:00", "end": "09:00"},
                               as_=GRACE)
    assert "a start before the end" in backwards.form().text
    overlap = await h.submit(backwards.form(), {"day": "tue", "start": "11:00",
                                                "end": "13:00"}, as_=GRACE)
    assert "overlaps" in overlap.form().text
    added = await h.submit(overlap.form(), {"day": "mon", "start": "09:00", "end": "10:30"},
                           as_=GRACE)
    assert added.card().buttons[0].label == "Remove Mon 09:00–10:30"
    await h.press(Button("", "profile.slot", f"{pid}|1"), as_=GRACE)
    assert [s["day"] for s in (await grace_profile(h)).availability] == ["mon", "wed"]


async def test_away_until_a_date_then_back_automatically(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    form = (await h.press(Button("", "profile.away", str(pid)), as_=GRACE)).form()
    for bad in ("yesterday", "2025-12-31", "2026-01-05", "2028-01-01", "31/02/2026"):
        form = (await h.submit(form, {"until": bad}, as_=GRACE)).form()
        assert "a date after today and within a year" in form.text
    away = await h.submit(form, {"until": "1/19/26"}, as_=GRACE)  # English short form
    assert "You are away until January 19, 2026." in away.card().text
    assert facts(away.card())["State"] == "Away until January 19, 2026"
    profile = await grace_profile(h)
    assert (profile.state, profile.paused_until) == ("paused", date(2026, 1, 19))
    h.clock.advance(timedelta(days=14))
    await housekeeping(h.runtime.db, h.clock)
    profile = await grace_profile(h)
    assert (profile.state, profile.paused_until) == ("active", None)


async def test_back_now_ends_a_pause(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    form = (await h.press(Button("", "profile.away", str(pid)), as_=GRACE)).form()
    await h.submit(form, {"until": "2026-02-01"}, as_=GRACE)
    back = await h.press(Button("", "profile.back", str(pid)), as_=GRACE)
    assert "Welcome back" in back.text()
    assert (await grace_profile(h)).state == "active"


async def test_only_the_supporter_can_change_their_profile(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    for action, value in (("profile.capacity", f"{pid}|5"), ("profile.topic", f"{pid}|grief"),
                          ("profile.away", str(pid)), ("profile.bio", str(pid))):
        refused = await h.press(Button("", action, value), as_=CAMILLE)
        assert refused.card().title == "Peerlink"  # not understood: nothing changed
    assert (await grace_profile(h)).capacity == 2


async def test_a_suspended_profile_can_be_read_but_not_changed(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    async with h.runtime.db.transaction() as uow:
        profile = await uow.support.profile(pid)
        assert profile is not None
        profile.state = "suspended"
    card = (await open_profile(h)).card()
    assert facts(card)["State"] == "Suspended" and card.buttons == ()
    refused = await h.press(Button("", "profile.capacity", f"{pid}|5"), as_=GRACE)
    assert "no longer works" in refused.text()


async def test_meeting_details_set_the_link_and_the_place(h: Harness) -> None:
    pid = (await grace_profile(h)).id
    form = (await h.press(Button("", "profile.details", str(pid)), as_=GRACE)).form()
    bad = await h.submit(form, {"video_link": "http://insecure.example.com", "place": ""},
                         as_=GRACE)
    assert "must start with https://" in bad.form().text
    saved = await h.submit(bad.form(), {"video_link": "https://meet.example.com/grace",
                                        "place": "Vancouver office, room 4"}, as_=GRACE)
    assert "Your meeting details are saved." in saved.text()
    profile = await grace_profile(h)
    assert profile.video_link == "https://meet.example.com/grace"
    assert profile.modes == ["video", "phone", "chat", "in_person"]
