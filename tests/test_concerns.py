"""Concerns: a supporter reports to the program office; only the office reads who and
what, sealed at rest; anyone else is pointed elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.demo import PROGRAM_OFFICE
from bot.ui import Button
from storage.db import Database
from storage.models import Concern
from tests.harness import Harness, PersonRef
from tests.test_meetings import GRACE, SAM, demo

OFFICE = PersonRef(PROGRAM_OFFICE, "Program office")


@pytest.fixture
async def h(database: Database) -> Harness:
    harness = await demo(database)
    await harness.send("help", as_=OFFICE)
    return harness


async def test_a_supporter_reports_and_only_the_office_reads_it(h: Harness) -> None:
    form = (await h.send("report a concern", as_=GRACE)).form()
    missing = await h.submit(form, {"category": "", "text": "x"}, as_=GRACE)
    assert "Nothing was sent" in missing.form().text
    mark = len(h.sender.deliveries)
    sent = await h.submit(form, {"category": "breach",
                                 "text": "A colleague repeated what I said in confidence."},
                          as_=GRACE)
    assert "The program office has your report" in sent.text()
    [alert] = h.inbox(OFFICE, mark).deliveries
    # In the office member's language (Marie-Ève's is French).
    assert "Un manquement à la confidentialité" in alert.body.text
    assert "Grace" not in alert.body.text and "colleague" not in alert.body.text
    await h.send("language en", as_=OFFICE)
    async with h.runtime.db.transaction() as uow:
        [row] = list(await uow.session.scalars(select(Concern)))
    assert row.sealed is not None and row.sealed.startswith("gAAAAA")

    opened = await h.press(alert.body.buttons[0], as_=OFFICE)
    facts = {f.label: f.value for f in opened.card().facts}
    assert facts["Reported by"] == f"Grace Mensah <{GRACE.email}>"
    assert opened.card().text == "A colleague repeated what I said in confidence."
    # Nobody else can open it, even with the button.
    refused = await h.press(alert.body.buttons[0], as_=GRACE)
    assert "repeated what I said" not in refused.text()
    listed = await h.send("concerns", as_=OFFICE)
    assert [f.label for f in listed.card().facts] == [f"#{row.id}"]
    handled = await h.press(opened.button("concern.handle"), as_=OFFICE)
    assert handled.text() == "Marked handled."
    again = await h.press(opened.button("concern.handle"), as_=OFFICE)
    assert "already handled" in again.text()
    assert "None open." in (await h.send("concerns", as_=OFFICE)).text()


async def test_own_need_for_support_gets_the_assistance_program(h: Harness) -> None:
    form = (await h.send("signaler", as_=GRACE)).form()
    sent = await h.submit(form, {"category": "own_support", "text": ""}, as_=GRACE)
    assert "Employee Assistance Program" in sent.text()


async def test_only_supporters_report_and_only_the_office_lists(h: Harness) -> None:
    told = await h.send("concern", as_=SAM)
    assert "for supporters" in told.text()
    assert (await h.send("concerns", as_=SAM)).card().title == "Peerlink"
    forged = await h.press(Button("", "concern.send", "not-a-token"), as_=GRACE)
    assert "out of date" in forged.text()


async def test_a_reporter_who_is_forgotten_leaves_only_the_category(h: Harness) -> None:
    form = (await h.send("concern", as_=GRACE)).form()
    mark = len(h.sender.deliveries)
    await h.submit(form, {"category": "misuse", "text": "what they did"}, as_=GRACE)
    [alert] = h.inbox(OFFICE, mark).deliveries
    await h.send("language en", as_=OFFICE)
    asked = await h.press(Button("", "privacy.forget"), as_=GRACE)
    await h.press(asked.button("privacy.erase"), as_=GRACE)
    await h.tick(timedelta(minutes=2))
    opened = await h.press(alert.body.buttons[0], as_=OFFICE)
    facts = {f.label: f.value for f in opened.card().facts}
    assert facts["Reported by"] == "someone who has since asked to be forgotten"
    assert facts["Category"] == "Misuse of Peerlink or of the program"
    assert "what they did" not in opened.text()
