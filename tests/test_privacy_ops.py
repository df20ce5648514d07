"""A person's own data: "my data" shows everything held, "forget me" erases it (the
other person of a connection told only that it ended), and retention erases who asked
in connections long over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.scheduling import housekeeping
from storage.db import Database
from storage.models import (
    CheckinHistory,
    DueWork,
    Identity,
    Meeting,
    OutboxItem,
    PairingMember,
    Person,
    SupporterProfile,
    SupportRequest,
)
from tests.harness import Harness
from tests.test_meetings import EMILY, GRACE, SAM, book_first, button, demo


@pytest.fixture
async def h(database: Database) -> Harness:
    return await demo(database)


async def count(h: Harness, model: type, *where: object) -> int:
    async with h.runtime.db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)
                                            .where(*where)) or 0)  # type: ignore[arg-type]


async def sam_id(h: Harness) -> int:
    async with h.runtime.db.transaction() as uow:
        found = await uow.people.by_email(SAM.email)
        assert found is not None
        return found.id


async def test_my_data_lists_what_is_held(h: Harness) -> None:
    await book_first(h)
    start = await h.send("check-in", as_=SAM)
    form = await h.press(start.button("checkin.edit"), as_=SAM)
    await h.submit(form.form(), {"cadence": "weekly", "weekday": "1", "at": "09:30"}, as_=SAM)
    assert (await h.send("mes données", as_=SAM)).card().title == "Your data"
    shown = await h.send("my data", as_=SAM)
    facts = {f.label: f.value for f in shown.card().facts}
    assert "Sam Okafor" in facts["From your organisation's directory"]
    assert facts["Accounts Peerlink writes to"] == "Web"
    assert facts["Your requests and connections (encrypted)"] == "1"
    assert facts["Check-ins"].startswith("on; 0 answers")
    assert facts["Pairing rounds"] == "none"
    await h.press((await h.send("pairing", as_=SAM)).button("pairing.join"), as_=SAM)
    facts = {f.label: f.value for f in (await h.send("my data", as_=SAM)).card().facts}
    assert facts["Pairing rounds"] == "Buddy"
    grace = await h.send("my data", as_=GRACE)
    facts = {f.label: f.value for f in grace.card().facts}
    assert facts["Supporter profile: Peer support"].startswith("active; 1 of")
    assert facts["Requests and connections with you"] == "1"
    assert shown.button("privacy.forget").style == "danger"


async def test_forget_me_erases_everything_and_the_supporter_learns_only_it_ended(
    h: Harness,
) -> None:
    await book_first(h)
    await h.send("pairing", as_=SAM)
    pool = await h.send("pairing", as_=SAM)
    await h.press(pool.button("pairing.join"), as_=SAM)
    # Emily lists Sam as "never pair me with": he leaves her list too.
    await h.press((await h.send("pairing", as_=EMILY)).button("pairing.join"), as_=EMILY)
    listing = await h.press((await h.send("pairing", as_=EMILY)).button("pairing.never"),
                            as_=EMILY)
    await h.submit(listing.form(), {"email": SAM.email}, as_=EMILY)
    pid = await sam_id(h)
    async with h.runtime.db.transaction() as uow:
        profile = (await uow.session.scalars(select(SupporterProfile).join(Person).where(
            Person.email == GRACE.email))).first()
        assert profile is not None
        load_before = profile.load

    asked = await h.press(button((await h.send("my data", as_=SAM)).card(), "privacy.forget"),
                          as_=SAM)
    assert "cannot be undone" in asked.text()
    goodbye = await h.press(asked.button("privacy.erase"), as_=SAM)
    assert "last message" in goodbye.text()
    again = await h.press(asked.button("privacy.erase"), as_=SAM)  # a double press
    assert "last message" in again.text()
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(minutes=2))

    told = h.inbox(GRACE, mark)
    assert "Your connection with Sam Okafor has ended" in told.text()
    assert "forget" not in told.text().lower() and "erase" not in told.text().lower()
    assert await count(h, Person, Person.id == pid) == 0
    assert await count(h, Identity, Identity.person_id == pid) == 0
    assert await count(h, SupportRequest) == 0
    assert await count(h, Meeting) == 0
    assert await count(h, CheckinHistory) == 0
    assert await count(h, OutboxItem, OutboxItem.person_id == pid) == 0
    async with h.runtime.db.transaction() as uow:
        keys = list(await uow.session.scalars(select(DueWork.key).where(
            DueWork.status == "pending")))
    assert not [k for k in keys if k.startswith((f"checkin:{pid}:", f"buddy-offer:{pid}"))], keys
    async with h.runtime.db.transaction() as uow:
        emily = await uow.session.scalar(select(PairingMember).join(Person).where(
            Person.email == EMILY.email))
        assert emily is not None and uow.pairing.never(emily) == []
        profile = await uow.session.get(SupporterProfile, profile.id)
        assert profile is not None and profile.load == load_before - 1
    # Writing again starts afresh, as someone new.
    hello = await h.send("hello", as_=SAM)
    assert hello.deliveries


async def test_a_supporter_who_is_forgotten_frees_their_seekers(h: Harness) -> None:
    await book_first(h)
    asked = await h.press(button((await h.send("my data", as_=GRACE)).card(),
                                 "privacy.forget"), as_=GRACE)
    await h.press(asked.button("privacy.erase"), as_=GRACE)
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(minutes=2))
    told = h.inbox(SAM, mark)
    assert "Your connection with Grace Mensah has ended" in told.text()
    assert told.button("menu.find", 0)
    assert await count(h, SupporterProfile, SupporterProfile.bio_en.like("%")) >= 1  # others
    assert await count(h, SupportRequest) == 0


async def test_retention_erases_who_asked_in_connections_long_over(h: Harness) -> None:
    await book_first(h)
    async with h.runtime.db.transaction() as uow:
        [request] = list(await uow.session.scalars(select(SupportRequest)))
        await uow.support.finish(request.id, "ended", h.clock.now())
    h.clock.advance(timedelta(days=179))
    await housekeeping(h.runtime.db, h.clock, retention_days=180)
    assert await count(h, SupportRequest, SupportRequest.seeker_key != "") == 1
    h.clock.advance(timedelta(days=2))
    await housekeeping(h.runtime.db, h.clock, retention_days=180)
    async with h.runtime.db.transaction() as uow:
        [request] = list(await uow.session.scalars(select(SupportRequest)))
    assert (request.seeker, request.seeker_key, request.goals) == ("", "", None)
    assert request.status == "ended"  # the counts stay
    mine = await h.send("meetings", as_=SAM)  # nothing breaks for anyone
    assert mine.deliveries
