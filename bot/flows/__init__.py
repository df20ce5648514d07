"""Every flow of the engine, registered on one router in order (first match wins)."""

from __future__ import annotations

from bot import escalation
from bot.crisis import TALK_ACTION
from bot.flows import (
    checkins,
    concerns,
    connections,
    find,
    language,
    meetings,
    menu,
    nudges,
    office,
    pairing,
    preferences,
    privacy,
    profile,
    requests,
    welcome,
)
from bot.router import Router
from bot.ui import CANCEL_ACTION


def build_router() -> Router:
    router = Router(fallback=menu.not_understood)
    # Buttons and forms.
    router.on_action(TALK_ACTION, escalation.talk_now)
    router.on_action(escalation.ACK_ACTION, escalation.acknowledge)
    router.on_action(escalation.DEBRIEF_ACTION, escalation.ask_debrief)
    router.on_action("welcome.ack", welcome.acknowledge)
    # Platform events: a new joiner, a mention in a shared space.
    router.on_action("app.joined", welcome.joined)
    router.on_action("app.mentioned", menu.mentioned)
    router.on_action("menu.help", menu.show_help)
    router.on_action("menu.about", welcome.welcome)
    router.on_action("menu.privacy", privacy.privacy)
    router.on_action("privacy.mydata", privacy.my_data)
    router.on_action("privacy.forget", privacy.forget)
    router.on_action("privacy.erase", privacy.erase)
    router.on_action("menu.language", language.choose)
    router.on_action("language.set", language.set_from_action)
    router.on_action("menu.settings", preferences.open_settings)
    router.on_action("settings.save", preferences.save)
    router.on_action(CANCEL_ACTION, preferences.cancel)
    router.on_action("menu.find", find.find)
    router.on_action("find.program", find.choose_program)
    router.on_action("find.browse", find.browse)
    router.on_action("find.hide", find.hide)
    router.on_action("find.ask", find.ask)
    router.on_action("request.send", find.send)
    router.on_action("request.accept", requests.accept)
    router.on_action("request.decline", requests.decline)
    router.on_action("request.withdraw", requests.withdraw)
    router.on_action("menu.requests", requests.my_requests)
    for action, handler in (
        ("meeting.slots", meetings.slots), ("meeting.book", meetings.book),
        ("meeting.reschedule", meetings.reschedule), ("meeting.move", meetings.move),
        ("meeting.cancel", meetings.cancel), ("menu.meetings", meetings.my_meetings),
        ("meeting.held", connections.held), ("meeting.missed", connections.missed),
        ("connection.more", connections.more), ("survey.seeker", connections.survey),
        ("survey.supporter", connections.survey),
        ("connection.resources", connections.resources),
        ("connection.refer", connections.refer), ("goals.show", connections.goals),
        ("goals.save", connections.save_goals), ("goals.share", connections.share_goal),
        ("checkin.edit", checkins.edit), ("checkin.save", checkins.save),
        ("checkin.pause", checkins.pause), ("checkin.savepause", checkins.save_pause),
        ("checkin.stop", checkins.stop), ("checkin.answer", checkins.answer),
        ("checkin.trend", checkins.trend), ("menu.checkins", checkins.show),
        ("concern.send", concerns.send), ("concern.show", concerns.show),
        ("concern.handle", concerns.handle), ("menu.concern", concerns.report),
        ("nudge.done", nudges.done), ("nudge.snooze", nudges.snooze),
        ("pairing.show", pairing.show), ("pairing.join", pairing.join),
        ("pairing.leave", pairing.leave), ("pairing.skip", pairing.skip),
        ("pairing.resume", pairing.resume), ("pairing.pause", pairing.pause),
        ("pairing.savepause", pairing.save_pause), ("pairing.never", pairing.never),
        ("pairing.addnever", pairing.add_never), ("pairing.unblock", pairing.unblock),
        ("pairing.met", pairing.met), ("pairing.notagain", pairing.not_again),
        ("profile.bio", profile.edit_bio), ("profile.details", profile.edit_details),
        ("profile.savedetails", profile.save_details), ("profile.savebio", profile.save_bio),
        ("profile.topics", profile.topics), ("profile.topic", profile.topics),
        ("profile.languages", profile.languages), ("profile.language", profile.languages),
        ("profile.capacity", profile.capacity), ("profile.done", profile.done),
        ("profile.hours", profile.hours), ("profile.slot", profile.hours),
        ("profile.addslot", profile.add_slot), ("profile.saveslot", profile.save_slot),
        ("profile.away", profile.away), ("profile.saveaway", profile.save_away),
        ("profile.back", profile.back), ("profile.show", profile.show),
    ):
        router.on_action(action, handler)
    # Command words, English and French.
    router.on_command("welcome", ("hello", "hi", "start", "about", "bonjour", "salut",
                                  "a propos"), welcome.welcome)
    router.on_command("help", ("help", "aide", "menu", "?"), menu.show_help)
    router.on_command("language", ("language", "langue", "lang", "english", "francais"),
                      language.language)
    router.on_command("privacy", ("privacy", "confidentialite", "vie privee"), privacy.privacy)
    router.on_command("settings", ("settings", "preferences", "parametres", "reglages"),
                      preferences.open_settings)
    # For the program office only; anyone else is not understood.
    router.on_command("escalations", ("escalations", "escalades", "alertes"),
                      escalation.report)
    router.on_command("admin", ("admin", "administration"), office.admin_link)
    router.on_command("concerns", ("concerns", "open concerns", "signalements"),
                      concerns.open_list)
    router.on_command("concern", ("concern", "report a concern", "signaler",
                                  "signaler une preoccupation"), concerns.report)
    router.on_command("surveys", ("surveys", "survey results", "sondages"),
                      connections.survey_results)
    # Announced in Slack's /peer and the manifest; their flows come with later work.
    router.on_command("find", ("find", "trouver", "find support", "trouver du soutien",
                               "support", "soutien"), find.find)
    router.on_command("profile", ("profile", "my profile", "profil", "mon profil"),
                      profile.show)
    router.on_command("meetings", ("meetings", "my meetings", "rencontres",
                                   "mes rencontres"), meetings.my_meetings)
    router.on_command("requests", ("requests", "my requests", "demandes", "mes demandes"),
                      requests.my_requests)
    router.on_command("check-in results", ("check-in results", "checkin results",
                                           "resultats bilans"), checkins.results)
    router.on_command("my check-ins", ("my check-ins", "my check ins", "mes bilans"),
                      checkins.trend)
    router.on_command("check-ins", ("check in", "check-in", "check-ins", "checkin",
                                    "checkins", "bilan", "bilans"), checkins.show)
    router.on_command("pairing", ("pairing", "pairing rounds", "buddy", "coffee", "jumelage",
                                  "jumelages", "cafe"), pairing.show)
    router.on_command("pause", ("pause", "away", "absent"), pairing.pause_menu)
    router.on_command("my data", ("my data", "mes donnees", "forget me", "oubliez-moi",
                                  "oubliez moi"), privacy.my_data)
    return router
