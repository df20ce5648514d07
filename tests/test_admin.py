"""The program office's pages: sign-in by single-use link, sessions, CSRF, sign-out,
insights with charts and CSV that never show a figure from fewer than five people, and
supporters whose state the office changes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape as html_unescape
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.app import create_app
from bot.demo import PROGRAM_OFFICE
from bot.settings import Settings
from bot.ui import Button
from storage.db import Database
from tests.harness import Harness, PersonRef
from tests.test_meetings import GRACE, SAM, connect, demo

OFFICE = PersonRef(PROGRAM_OFFICE, "Marie-Ève Lavoie")
Client = TestClient[Any, Any]


@pytest.fixture
async def h(database: Database) -> Harness:
    harness = await demo(database)
    await harness.send("help", as_=OFFICE)
    await harness.send("language en", as_=OFFICE)
    return harness


@pytest.fixture
async def client(h: Harness) -> AsyncIterator[Client]:
    settings = Settings(database_url=h.runtime.db.url, secret_keys=("unused",))
    app = create_app(settings, h.runtime)
    app.cleanup_ctx.clear()  # the harness runs delivery and scheduled work itself
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def link(h: Harness, who: PersonRef = OFFICE) -> str:
    replies = await h.send("admin", as_=who)
    [button] = replies.card().buttons
    assert button.url.startswith("http://127.0.0.1:3978/admin/signin?t=")
    return button.url.split("?t=")[1]


async def sign_in(client: Client, token: str) -> Any:
    page = await client.get(f"/admin/signin?t={token}")
    assert page.status == 200 and 'name="t"' in await page.text()  # a button: a POST
    return await client.post("/admin/signin", data={"t": token}, allow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_sign_in_once_then_insights_then_sign_out(h: Harness, client: Client) -> None:
    token = await link(h)
    signed = await sign_in(client, token)
    assert signed.status == 303 and signed.headers["Location"] == "/admin/insights"
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    page = await client.get("/admin/insights")
    html = await page.text()
    assert page.status == 200 and "<svg" in html and 'class="bar"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    # A sign-in link works once, even in another browser.
    async with TestClient(TestServer(client.server.app, host="127.0.0.1")) as other:
        replay = await other.post("/admin/signin", data={"t": token}, allow_redirects=False)
        assert replay.status == 403 and "not valid" in await replay.text()
    # Sign-out needs the page's CSRF token.
    forged = await client.post("/admin/signout", data={"csrf": "guess"})
    assert forged.status == 403
    out = await client.post("/admin/signout", data={"csrf": csrf_of(html)})
    assert out.status == 200 and "signed out" in await out.text()
    assert (await client.get("/admin/insights")).status == 403


async def test_others_and_bad_links_get_403_and_learn_nothing(h: Harness, client: Client
                                                              ) -> None:
    refused = await h.send("admin", as_=SAM)
    assert refused.card().title == "Peerlink" and not any(b.url for b in refused.card().buttons)
    for path in ("/admin", "/admin/insights", "/admin/insights.csv", "/admin/supporters"):
        response = await client.get(path)
        assert response.status == 403, path
        assert "Grace" not in await response.text()
    forged = await client.post("/admin/signin", data={"t": "x" * 43}, allow_redirects=False)
    assert forged.status == 403
    token = await link(h)
    h.clock.advance(timedelta(minutes=16))
    expired = await sign_in(client, token)
    assert expired.status == 403
    client.session.cookie_jar.update_cookies({"peerlink_admin": "made-up"})
    assert (await client.get("/admin/insights")).status == 403


async def test_sessions_expire_and_end_with_office_membership(h: Harness, client: Client
                                                               ) -> None:
    await sign_in(client, await link(h))
    assert (await client.get("/admin/insights")).status == 200
    h.clock.advance(timedelta(hours=9))
    assert (await client.get("/admin/insights")).status == 403
    await sign_in(client, await link(h))
    async with h.runtime.db.transaction() as uow:
        found = await uow.people.by_email(OFFICE.email)
        assert found is not None
        found.program_office = False
    assert (await client.get("/admin/insights")).status == 403


async def test_small_figures_are_hidden_and_narrow_filters_refused(h: Harness, client: Client
                                                                   ) -> None:
    await connect(h, SAM)  # one request, accepted: a figure from one person
    await sign_in(client, await link(h))
    html = await (await client.get("/admin/insights")).text()
    requests = html.split('data-chart="requests"')[1].split("</section>")[0]
    assert "fewer than 5" in requests and ">1<" not in requests
    csv = await client.get("/admin/insights.csv")
    body = await csv.text()
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0].startswith("chart,bar,value")
    assert "<5" in body
    # A department of fewer than five people would single them out.
    narrow = await (await client.get("/admin/insights?department=Nobody+Here")).text()
    assert "single people out" in narrow and "<svg" not in narrow
    assert (await client.get("/admin/insights.csv?department=Nobody+Here")).status == 400


async def test_the_office_suspends_a_supporter_and_seekers_are_told_kindly(
    h: Harness, client: Client
) -> None:
    # Sam asks Grace; before she answers, the office suspends her.
    found = await h.press(Button("", "find.browse", "peer_support||||0"), as_=SAM)
    grace = next(d.body for d in found if d.body.title == GRACE.name)
    form = await h.press(next(b for b in grace.buttons if b.action == "find.ask"), as_=SAM)
    await h.submit(form.form(), {"context": ""}, as_=SAM)
    await sign_in(client, await link(h))
    page = await (await client.get("/admin/supporters")).text()
    assert "Grace Mensah" in page
    async with h.runtime.db.transaction() as uow:
        rows = await uow.programs.all_supporters()
    grace_id = next(p.id for p, who, key in rows
                    if who.email == GRACE.email and key == "peer_support")
    missing = await client.post("/admin/supporters/state",
                                data={"profile": str(grace_id), "state": "suspended",
                                      "reason": "own_health"})
    assert missing.status == 403  # no CSRF token
    mark = len(h.sender.deliveries)
    saved = await client.post("/admin/supporters/state",
                              data={"csrf": csrf_of(page), "profile": str(grace_id),
                                    "state": "suspended", "reason": "own_health"})
    assert saved.status == 200 and "Saved" in await saved.text()
    await h.runtime.worker.drain()
    told = h.inbox(SAM, mark).text()
    assert "can no longer take new requests" in told and "health" not in told


async def test_the_office_invites_a_supporter_records_training_and_is_reminded(
    h: Harness, client: Client
) -> None:
    await sign_in(client, await link(h))
    page = await (await client.get("/admin/supporters")).text()
    csrf = csrf_of(page)
    unknown = await client.post("/admin/supporters/invite",
                                data={"csrf": csrf, "email": "nobody@example.com",
                                      "program": "peer_support"})
    assert "Nobody with that email" in await unknown.text()
    mark = len(h.sender.deliveries)
    invited = await client.post("/admin/supporters/invite",
                                data={"csrf": csrf, "email": SAM.email,
                                      "program": "peer_support"})
    assert "Invited." in await invited.text()
    await h.runtime.worker.drain()
    assert "invited you to be a supporter in Peer support" in h.inbox(SAM, mark).text()
    again = await client.post("/admin/supporters/invite",
                              data={"csrf": csrf, "email": SAM.email, "program": "peer_support"})
    assert "already a supporter" in await again.text()
    async with h.runtime.db.transaction() as uow:
        rows = await uow.programs.all_supporters()
    sam = next(p for p, who, key in rows if who.email == SAM.email)
    assert sam.trained_on is None  # nobody is offered them until training is recorded
    wrong = await client.post("/admin/supporters/terms", data={
        "csrf": csrf, "profile": str(sam.id), "trained_on": "yesterday"})
    assert "Nothing was changed" in await wrong.text()
    backwards = await client.post("/admin/supporters/terms", data={
        "csrf": csrf, "profile": str(sam.id), "term_start": "2026-06-01",
        "term_end": "2026-01-01"})
    assert "Nothing was changed" in await backwards.text()
    saved = await client.post("/admin/supporters/terms", data={
        "csrf": csrf, "profile": str(sam.id), "oriented_on": "2026-01-02",
        "trained_on": "2026-01-04", "term_start": "2026-01-05", "term_end": "2026-03-31"})
    assert "Saved." in await saved.text()
    async with h.runtime.db.transaction() as uow:
        profile = await uow.programs.profile(sam.id)
        assert profile is not None and str(profile.trained_on) == "2026-01-04"
    mark = len(h.sender.deliveries)
    await h.tick(timedelta(days=56))  # past 1 March 14:00: 30 days before the term ends
    assert "ends on March 31, 2026" in h.inbox(SAM, mark).text()
    assert "Sam Okafor's term as a supporter" in h.inbox(OFFICE, mark).text()


async def test_content_is_checked_saved_and_followed_by_every_process(
    h: Harness, client: Client
) -> None:
    await sign_in(client, await link(h))
    page = await (await client.get("/admin/content")).text()
    assert "From the configuration file" in page and "peer_support" in page
    csrf = csrf_of(page)
    text = html_unescape(re.search(r"<textarea[^>]*>([\s\S]*?)</textarea>", page).group(1))
    broken = text.replace('fr: "Soutien par les pairs"', 'fr: ""')
    refused = await (await client.post("/admin/content", data={"csrf": csrf, "yaml": broken})
                     ).text()
    assert "Nothing was saved" in refused and "peer_support" in refused
    assert h.runtime.engine.services.config.program("peer_support").name("fr") == \
        "Soutien par les pairs"
    renamed = text.replace('en: "Peer support"', 'en: "Colleague support"')
    saved = await (await client.post("/admin/content", data={"csrf": csrf, "yaml": renamed})
                   ).text()
    assert "Saved." in saved and "Version 1" in saved
    found = await h.send("find", as_=SAM)
    assert "Colleague support" in [b.label for b in found.card().buttons]
    # Another process on the same database follows within a minute.
    other = await Harness.start(h.runtime.db)
    assert other.runtime.engine.services.config.program("peer_support").name("en") == \
        "Peer support"
    assert await other.runtime.apply_saved_content()
    assert other.runtime.engine.services.config.program("peer_support").name("en") == \
        "Colleague support"
    assert not await other.runtime.apply_saved_content()  # nothing newer
