"""The program office's pages at /admin: sign-in by single-use link, insights with charts
and CSV, and supporters.

Sign-in: a program-office member gets a link by DM (write *admin* to Peerlink) or from
``peerlink admin link EMAIL``. Opening it shows a "Sign in" button (a POST: a link
previewer that fetches the page signs nobody in); the link then works no more. The
session cookie is HttpOnly, SameSite=Strict, Secure behind https, and is only a random
token whose hash the database keeps, with the session's CSRF token and expiry; every
POST carries that CSRF token. Anyone else, an expired session or a forged or replayed
link gets 403 and a page that names nobody.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from babel.dates import format_datetime

from adapters.logs import correlated
from adapters.runtime import Runtime
from bot.aggregates import month_name, recent_months
from bot.config import apply_in_place, config_text, parse_config
from bot.errors import ConfigError
from bot.insights import Filters, Insights, as_csv
from bot.outbox import enqueue
from bot.support import STATES, Support, lang_of, name_of
from bot.supporters import InviteError, Supporters, Terms
from storage.admin import same
from storage.db import DatabaseUnavailable
from storage.models import Person

log = logging.getLogger("peerlink.admin")

TEMPLATES = Path(__file__).parent / "templates"
COOKIE = "peerlink_admin"
SESSION_TTL = timedelta(hours=8)
BEFORE_SIGN_IN = "en"  # nobody is known yet: the pages before sign-in are in English
MAX_CONTENT = 256 * 1024
REASONS = ("own_health", "conduct", "confidentiality", "term_ended", "other")
_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

class AdminPages:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        services = runtime.engine.services
        self.config, self.catalogs = services.config, services.catalogs
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                      autoescape=True, undefined=jinja2.StrictUndefined)
        self.secure = runtime.settings.public_url.startswith("https://")

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/admin", correlated(self.home))
        app.router.add_get("/admin/admin.css", correlated(self.css))
        app.router.add_get("/admin/signin", correlated(self.signin_page))
        app.router.add_post("/admin/signin", correlated(self.signin))
        app.router.add_post("/admin/signout", correlated(self.signout))
        app.router.add_get("/admin/insights", correlated(self.insights))
        app.router.add_get("/admin/insights.csv", correlated(self.insights_csv))
        app.router.add_get("/admin/supporters", correlated(self.supporters))
        app.router.add_post("/admin/supporters/state", correlated(self.supporter_state))
        app.router.add_post("/admin/supporters/invite", correlated(self.supporter_invite))
        app.router.add_post("/admin/supporters/terms", correlated(self.supporter_terms))
        app.router.add_get("/admin/content", correlated(self.content))
        app.router.add_post("/admin/content", correlated(self.save_content))

    # --- rendering ---------------------------------------------------------------------

    def page(self, template: str, lang: str, status: int = 200, **context: Any
             ) -> web.Response:
        _ = self.catalogs.gettext(lang)
        context.setdefault("me", None)
        context.setdefault("csrf", "")
        context.setdefault("notice", "")
        html = self.env.get_template(template).render(lang=lang, _=_, **context)
        return web.Response(text=html, content_type="text/html", status=status,
                            headers=_HEADERS)

    def refused(self, lang: str = BEFORE_SIGN_IN, text: str = "") -> web.Response:
        _ = self.catalogs.gettext(lang)
        return self.page("message.html", lang, status=403, title=_("Not signed in"),
                         text=text or _("These pages are for the program office. Write "
                                        "*admin* to Peerlink to get a sign-in link."))

    async def css(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(TEMPLATES / "admin.css", headers={"Cache-Control": "max-age=3600"})

    async def _session(self, request: web.Request) -> tuple[Person, str] | None:
        token = request.cookies.get(COOKIE, "")
        if not token:
            return None
        async with self.runtime.db.transaction() as uow:
            return await uow.admin.session_of(token, self.runtime.clock.now())

    async def _member(self, request: web.Request, *, post: bool = False
                      ) -> tuple[Person, str, dict[str, str]]:
        """The signed-in member, the session's CSRF token and the form (for a POST, whose
        CSRF token must match); raises 403 otherwise."""
        try:
            found = await self._session(request)
        except DatabaseUnavailable:
            raise web.HTTPServiceUnavailable(text="temporarily unavailable") from None
        if found is None:
            raise _as_http(self.refused())
        person, csrf = found
        form: dict[str, str] = {}
        if post:
            data = await request.post()
            form = {k: v for k, v in data.items() if isinstance(v, str)}
            if not same(form.get("csrf", ""), csrf):
                lang = lang_of(person)
                _ = self.catalogs.gettext(lang)
                raise _as_http(self.refused(lang, _(
                    "That form is out of date or did not come from these pages. Nothing was "
                    "changed; please try again.")))
        return person, csrf, form

    # --- sign-in -----------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.Response:
        if await self._session(request) is None:
            return self.refused()
        raise web.HTTPSeeOther("/admin/insights")

    async def signin_page(self, request: web.Request) -> web.Response:
        token = request.query.get("t", "")
        _ = self.catalogs.gettext(BEFORE_SIGN_IN)
        if not token or len(token) > 100:
            return self.refused()
        return self.page("message.html", BEFORE_SIGN_IN, title=_("Sign in"), token=token,
                         text=_("Sign in to the program office's pages. This link works once."))

    async def signin(self, request: web.Request) -> web.Response:
        data = await request.post()
        token = data.get("t", "")
        now = self.runtime.clock.now()
        async with self.runtime.db.transaction() as uow:
            person_id = await uow.admin.use_link(token, now) if isinstance(token, str) else None
            person = await uow.people.get(person_id) if person_id else None
            if person is None or not person.program_office:
                log.info("admin sign-in refused")
                _ = self.catalogs.gettext(BEFORE_SIGN_IN)
                return self.refused(text=_(
                    "This sign-in link is not valid: it was used already, it has expired, or "
                    "it is not for the program office. Write *admin* to Peerlink for a new "
                    "one."))
            session, _csrf = await uow.admin.new_session(person.id, now, SESSION_TTL)
        log.info("admin signed in", extra={"person_id": person.id})
        response = web.HTTPSeeOther("/admin/insights")
        response.set_cookie(COOKIE, session, max_age=int(SESSION_TTL.total_seconds()),
                            path="/admin", httponly=True, samesite="Strict",
                            secure=self.secure)
        raise response

    async def signout(self, request: web.Request) -> web.Response:
        person, _csrf, _form = await self._member(request, post=True)
        async with self.runtime.db.transaction() as uow:
            await uow.admin.end_session(request.cookies.get(COOKIE, ""))
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        response = self.page("message.html", lang, title=_("Signed out"),
                             text=_("You are signed out."))
        response.del_cookie(COOKIE, path="/admin")
        return response

    # --- insights ----------------------------------------------------------------------

    def _filters(self, request: web.Request, today: date) -> Filters:
        q = request.query
        months = recent_months(today, 24)
        month = q.get("month", "")
        program = q.get("program", "")
        return Filters(month=month if month in months else "",
                       program=program if self.config.program(program) else "",
                       department=q.get("department", "")[:200],
                       location=q.get("location", "")[:200])

    async def insights(self, request: web.Request) -> web.Response:
        person, csrf, _form = await self._member(request)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        now = self.runtime.clock.now()
        filters = self._filters(request, now.date())
        service = Insights(self.config, self.catalogs)
        async with self.runtime.db.transaction() as uow:
            refusal = await service.refusal(uow, filters, lang)
            charts = [] if refusal else await service.charts(uow, filters, lang, now)
            departments, locations = await uow.insights.departments_and_locations()
        query = urlencode({k: v for k, v in vars(filters).items() if v})
        return self.page(
            "insights.html", lang, title=_("Insights"), me=person, csrf=csrf, charts=charts,
            refusal=refusal, filters=filters, query=query,
            months=[(m, month_name(m, lang)) for m in recent_months(now.date(), 24)],
            programs=[(p.key, p.name(lang)) for p in self.config.programs],
            departments=departments, locations=locations)

    async def insights_csv(self, request: web.Request) -> web.Response:
        person, _csrf, _form = await self._member(request)
        lang = lang_of(person)
        now = self.runtime.clock.now()
        filters = self._filters(request, now.date())
        service = Insights(self.config, self.catalogs)
        async with self.runtime.db.transaction() as uow:
            refusal = await service.refusal(uow, filters, lang)
            if refusal:
                raise web.HTTPBadRequest(text=refusal)
            charts = await service.charts(uow, filters, lang, now)
        return web.Response(text=as_csv(charts, filters), content_type="text/csv",
                            headers={**_HEADERS, "Content-Disposition":
                                     'attachment; filename="peerlink-insights.csv"'})

    # --- supporters --------------------------------------------------------------------

    async def supporters(self, request: web.Request, notice: str = "") -> web.Response:
        person, csrf, _form = await self._member(request)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        async with self.runtime.db.transaction() as uow:
            rows = await uow.programs.all_supporters()
        labels = self._state_labels(lang)
        shown = [{"id": profile.id, "name": name_of(who), "program": self._program(key, lang),
                  "state": labels.get(profile.state, profile.state),
                  "oriented_on": profile.oriented_on, "trained_on": profile.trained_on,
                  "term_start": profile.term_start, "term_end": profile.term_end,
                  "load": profile.load, "capacity": profile.capacity}
                 for profile, who, key in rows]
        return self.page("supporters.html", lang, title=_("Supporters"), me=person, csrf=csrf,
                         rows=shown, notice=notice, states=list(labels.items()),
                         programs=[(p.key, p.name(lang)) for p in self.config.programs],
                         reasons=list(self._reason_labels(lang).items()))

    async def supporter_state(self, request: web.Request) -> web.Response:
        person, _csrf, form = await self._member(request, post=True)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        state, reason = form.get("state", ""), form.get("reason", "")
        profile_id = int(form["profile"]) if form.get("profile", "").isdigit() else 0
        if state not in STATES or reason not in REASONS:
            return await self.supporters(request, _("Choose a state and a reason. Nothing was "
                                                    "changed."))
        now = self.runtime.clock.now()
        async with self.runtime.db.transaction() as uow:
            profile = await uow.programs.profile(profile_id)
            if profile is None:
                return await self.supporters(request, _("No such supporter. Nothing was "
                                                        "changed."))
            out = await Support(self.config, self.catalogs).set_state(uow, profile, state, now)
            await enqueue(uow, f"admin|state|{profile.id}|{state}|{now.isoformat()}", out, now)
        self.runtime.worker.wake()
        log.info("supporter state set by the program office",
                 extra={"profile_id": profile_id, "state": state, "reason": reason,
                        "by": person.id})
        return await self.supporters(request, _("Saved. Anyone waiting on them was told kindly "
                                                "and offered others."))

    async def supporter_invite(self, request: web.Request) -> web.Response:
        person, _csrf, form = await self._member(request, post=True)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        now = self.runtime.clock.now()
        try:
            async with self.runtime.db.transaction() as uow:
                profile, out = await Supporters(self.config, self.catalogs).invite(
                    uow, form.get("email", "")[:320], form.get("program", ""), lang)
                await enqueue(uow, f"admin|invite|{profile.id}", out, now)
        except InviteError as exc:
            return await self.supporters(request, str(exc))
        self.runtime.worker.wake()
        log.info("supporter invited", extra={"profile_id": profile.id, "by": person.id})
        return await self.supporters(request, _("Invited. Record their orientation and "
                                                "training here once done."))

    async def supporter_terms(self, request: web.Request) -> web.Response:
        person, _csrf, form = await self._member(request, post=True)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        fields = ("oriented_on", "trained_on", "term_start", "term_end")
        try:
            days = {k: date.fromisoformat(form[k]) if form.get(k) else None for k in fields}
        except ValueError:
            days = {}
        terms = Terms(**days) if days else None
        if terms is None or (terms.term_start and terms.term_end
                             and terms.term_end <= terms.term_start):
            return await self.supporters(request, _("Please give dates as the calendar "
                                                    "offers them, the term ending after it "
                                                    "starts. Nothing was changed."))
        profile_id = int(form["profile"]) if form.get("profile", "").isdigit() else 0
        async with self.runtime.db.transaction() as uow:
            profile = await uow.programs.profile(profile_id)
            if profile is None:
                return await self.supporters(request, _("No such supporter. Nothing was "
                                                        "changed."))
            await Supporters(self.config, self.catalogs).record(
                uow, profile, terms, self.runtime.clock.now())
        return await self.supporters(request, _("Saved."))

    async def content(self, request: web.Request, *, text: str | None = None,
                      problem: str = "", notice: str = "") -> web.Response:
        person, csrf, _form = await self._member(request)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        async with self.runtime.db.transaction() as uow:
            saved = await uow.content.latest()
        if saved is not None:
            source = _("Version {version}, saved in these pages on {date}.").format(
                version=saved.id, date=format_datetime(saved.saved_at, "d MMM y, HH:mm",
                                                       locale=lang))
            current = saved.yaml
        else:
            where, current = config_text(self.runtime.settings.config_path)
            source = _("From the configuration file ({where}); saving here overrides it.")\
                .format(where=where)
        return self.page("content.html", lang, title=_("Program content"), me=person,
                         csrf=csrf, text=current if text is None else text, source=source,
                         problem=problem, notice=notice)

    async def save_content(self, request: web.Request) -> web.Response:
        person, _csrf, form = await self._member(request, post=True)
        lang = lang_of(person)
        _ = self.catalogs.gettext(lang)
        text = form.get("yaml", "")
        if len(text) > MAX_CONTENT:
            return await self.content(request, text=text[:MAX_CONTENT], problem=_(
                "That is longer than the content can be. Nothing was saved."))
        try:
            new = parse_config(_("your text"), text)
        except ConfigError as exc:
            return await self.content(request, text=text, problem=_(
                "Nothing was saved: {problem}").format(problem=exc))
        async with self.runtime.db.transaction() as uow:
            version = await uow.content.save(text, person.id, self.runtime.clock.now())
        apply_in_place(self.config, new)
        self.runtime.content_version = version
        log.info("program content saved", extra={"version": version, "by": person.id})
        return await self.content(request, notice=_("Saved. Peerlink uses it now."))

    def _program(self, key: str, lang: str) -> str:
        spec = self.config.program(key)
        return spec.name(lang) if spec else key

    def _state_labels(self, lang: str) -> dict[str, str]:
        _ = self.catalogs.gettext(lang)
        return {"active": _("active (reinstate)"), "suspended": _("suspended"),
                "revoked": _("revoked")}

    def _reason_labels(self, lang: str) -> dict[str, str]:
        _ = self.catalogs.gettext(lang)
        return {"own_health": _("their own health or wish"), "conduct": _("conduct"),
                "confidentiality": _("a confidentiality breach"),
                "term_ended": _("term ended"), "other": _("other")}


def _as_http(response: web.Response) -> web.HTTPException:
    error = web.HTTPForbidden(text=response.text, content_type="text/html",
                              headers=_HEADERS)
    return error


def setup_admin(app: web.Application, runtime: Runtime) -> None:
    AdminPages(runtime).routes(app)
