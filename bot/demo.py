"""Demo data for trying Peerlink locally: a small org with supporters in every program.

Everyone here is fictional and every address is @example.com, a domain reserved
for documentation. The reporting line runs director -> manager -> employees, so
conflict-of-interest rules have something to exclude.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from bot.buddy import schedule_buddy_offers
from bot.config import ProgramConfig
from storage.db import Database, UnitOfWork
from storage.models import Program
from storage.people import OrgRecord


@dataclass(frozen=True)
class Slot:
    """One weekly window of availability, in the supporter's own timezone."""

    day: str
    start: str
    end: str


@dataclass(frozen=True)
class DemoSupporter:
    """A trained volunteer in one program, by the email of the person they are."""

    email: str
    program: str
    bio_en: str
    bio_fr: str
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    capacity: int
    trained_on: date
    term_end: date
    availability: tuple[Slot, ...]


# Columns as in OrgRecord: email, name, manager email, department, location, country,
# timezone, language, start date. First a plain employee, good to start a demo as.
PEOPLE: tuple[OrgRecord, ...] = (
    OrgRecord("sam.okafor@example.com", "Sam Okafor", "mei.lin@example.com", "Engineering",
              "Toronto", "CA", "America/Toronto", "en", date(2022, 9, 12)),
    OrgRecord("mei.lin@example.com", "Mei Lin", "helene.tremblay@example.com", "Engineering",
              "Toronto", "CA", "America/Toronto", "en", date(2019, 4, 1)),
    OrgRecord("helene.tremblay@example.com", "Hélène Tremblay", "", "Engineering",
              "Montréal", "CA", "America/Toronto", "fr", date(2014, 1, 13)),
    OrgRecord("camille.bernard@example.com", "Camille Bernard", "mei.lin@example.com",
              "Engineering", "Paris", "FR", "Europe/Paris", "fr", date(2021, 6, 7)),
    OrgRecord("arjun.mehta@example.com", "Arjun Mehta", "mei.lin@example.com", "Engineering",
              "Vancouver", "CA", "America/Vancouver", "en", date(2020, 11, 2)),
    OrgRecord("lucas.gagnon@example.com", "Lucas Gagnon", "mei.lin@example.com", "Engineering",
              "Montréal", "CA", "America/Toronto", "fr", date(2026, 11, 9)),
    OrgRecord("diego.fernandez@example.com", "Diego Fernández", "", "Operations",
              "Vancouver", "CA", "America/Vancouver", "en", date(2016, 8, 22)),
    OrgRecord("grace.mensah@example.com", "Grace Mensah", "diego.fernandez@example.com",
              "Operations", "Vancouver", "CA", "America/Vancouver", "en", date(2022, 3, 14)),
    OrgRecord("kenji.watanabe@example.com", "Kenji Watanabe", "diego.fernandez@example.com",
              "Operations", "Chicago", "US", "America/Chicago", "en", date(2023, 5, 8)),
    OrgRecord("nathalie.dubois@example.com", "Nathalie Dubois", "", "Finance",
              "Paris", "FR", "Europe/Paris", "fr", date(2017, 10, 2)),
    OrgRecord("youssef.benali@example.com", "Youssef Benali", "nathalie.dubois@example.com",
              "Finance", "Lyon", "FR", "Europe/Paris", "fr", date(2021, 1, 18)),
    OrgRecord("emily.carter@example.com", "Emily Carter", "nathalie.dubois@example.com",
              "Finance", "New York", "US", "America/New_York", "en", date(2024, 2, 5)),
    OrgRecord("marie-eve.lavoie@example.com", "Marie-Ève Lavoie", "", "People & Culture",
              "Montréal", "CA", "America/Toronto", "fr", date(2018, 7, 9)),
    OrgRecord("amara.diallo@example.com", "Amara Diallo", "marie-eve.lavoie@example.com",
              "People & Culture", "Montréal", "CA", "America/Toronto", "fr", date(2025, 3, 3)),
)

PROGRAM_OFFICE = "marie-eve.lavoie@example.com"

SUPPORTERS: tuple[DemoSupporter, ...] = (
    DemoSupporter(
        email="camille.bernard@example.com",
        program="peer_support",
        bio_en=(
            "Talk to me when stress keeps piling up, when you feel burnout creeping in, or "
            "when you are coming back after time away. I returned from a long leave two "
            "years ago and still remember how strange those first weeks felt."
        ),
        bio_fr=(
            "Venez m'en parler quand le stress s'accumule, quand vous sentez l'épuisement "
            "approcher ou au moment de reprendre après une absence. Je suis moi-même revenue "
            "d'un long congé il y a deux ans : ces premières semaines, je m'en souviens encore."
        ),
        topics=("stress", "burnout", "return_to_work", "isolation"),
        languages=("fr", "en"),
        capacity=3,
        trained_on=date(2025, 9, 15),
        term_end=date(2027, 9, 15),
        availability=(Slot("mon", "09:00", "12:00"), Slot("thu", "14:00", "17:00")),
    ),
    DemoSupporter(
        email="grace.mensah@example.com",
        program="peer_support",
        bio_en=(
            "I'm here for grief, big life changes and tension with colleagues. I lost my "
            "father while working here and learned how much a quiet, unhurried conversation "
            "can help. I listen first, and I never judge."
        ),
        bio_fr=(
            "Je peux vous accompagner dans un deuil, un grand changement de vie ou une "
            "relation tendue avec un collègue. J'ai perdu mon père pendant que je travaillais "
            "ici et j'ai découvert le bien que fait une conversation sans hâte. J'écoute, "
            "sans jugement."
        ),
        topics=("grief", "life_events", "conflict", "stress"),
        languages=("en",),
        capacity=2,
        trained_on=date(2025, 4, 10),
        term_end=date(2027, 4, 10),
        availability=(Slot("tue", "10:00", "12:00"), Slot("wed", "13:00", "16:00")),
    ),
    DemoSupporter(
        email="diego.fernandez@example.com",
        program="manager_network",
        bio_en=(
            "I've led operations teams for over ten years, including people through illness, "
            "leave and a hard return to work. Together we can think through how to support "
            "someone who is struggling, and when to bring in other help."
        ),
        bio_fr=(
            "Je dirige des équipes des opérations depuis plus de dix ans et j'ai accompagné "
            "des employés pendant une maladie, un congé ou un retour au travail difficile. "
            "On peut réfléchir ensemble à la façon de soutenir quelqu'un qui traverse une "
            "mauvaise passe, et au bon moment pour passer le relais."
        ),
        topics=("supporting_an_employee", "return_to_work", "conflict"),
        languages=("en",),
        capacity=3,
        trained_on=date(2025, 11, 20),
        term_end=date(2027, 11, 20),
        availability=(Slot("mon", "13:00", "15:00"), Slot("fri", "09:00", "11:00")),
    ),
    DemoSupporter(
        email="nathalie.dubois@example.com",
        program="manager_network",
        bio_en=(
            "I've managed finance teams through tough closing seasons and a reorganisation, "
            "and I've seen people on my team burn out. If someone on yours is struggling, "
            "I'm glad to share what helped, what I'd do differently, and how to plan a "
            "gentle return."
        ),
        bio_fr=(
            "J'ai traversé avec mes équipes des clôtures éprouvantes et une réorganisation, "
            "et j'ai vu des collaborateurs s'épuiser. Si une personne de votre équipe ne va "
            "pas bien, je partage volontiers ce qui nous a aidés, ce que je ferais autrement "
            "et comment préparer un retour en douceur."
        ),
        topics=("supporting_an_employee", "burnout", "return_to_work"),
        languages=("fr", "en"),
        capacity=2,
        trained_on=date(2026, 2, 12),
        term_end=date(2028, 2, 12),
        availability=(Slot("tue", "14:00", "17:00"), Slot("thu", "09:30", "11:30")),
    ),
    DemoSupporter(
        email="kenji.watanabe@example.com",
        program="buddy",
        bio_en=(
            "New here, or feeling a bit on your own? Let's grab a virtual coffee: I'll show "
            "you around the tools and the people, and answer the questions you feel you "
            "should already know. I moved cities for this job, so I know how lonely the "
            "first months can be."
        ),
        bio_fr=(
            "Vous venez d'arriver, ou vous vous sentez un peu isolé ? Prenons un café "
            "virtuel : je vous fais découvrir les outils et les gens, et je réponds aux "
            "questions qu'on n'ose pas toujours poser. J'ai changé de ville pour ce poste, "
            "je sais que les premiers mois peuvent paraître longs."
        ),
        topics=("new_to_team", "isolation"),
        languages=("en",),
        capacity=4,
        trained_on=date(2026, 1, 20),
        term_end=date(2028, 1, 20),
        availability=(Slot("wed", "11:00", "13:00"), Slot("fri", "14:00", "16:00")),
    ),
    DemoSupporter(
        email="youssef.benali@example.com",
        program="buddy",
        bio_en=(
            "I'll be a friendly face in your first weeks: coffee, lunch or a walk, and all "
            "the little things nobody writes down. I joined during a fully remote stretch "
            "and know what it is to feel far from the team."
        ),
        bio_fr=(
            "Je serai un visage familier pendant vos premières semaines : un café, un "
            "déjeuner ou une balade, et toutes ces petites choses que personne n'écrit nulle "
            "part. Je suis arrivé en plein télétravail, alors je sais ce que c'est de se "
            "sentir loin de l'équipe."
        ),
        topics=("new_to_team", "isolation", "life_events"),
        languages=("fr", "en"),
        capacity=3,
        trained_on=date(2025, 10, 6),
        term_end=date(2027, 10, 6),
        availability=(Slot("mon", "12:00", "14:00"), Slot("thu", "12:00", "14:00")),
    ),
)


async def seed_demo(db: Database, config: ProgramConfig, now: datetime | None = None) -> int:
    """Load the demo org, its program office and supporters; returns people created.

    Safe to run again: people are upserted by email and existing profiles are kept.
    """
    async with db.transaction() as uow:
        programs = await _ensure_programs(uow, config)
        created, _updated = await uow.people.upsert_org(PEOPLE)
        joiners = await uow.people.by_emails([p.email for p in PEOPLE if p.start_date])
        await schedule_buddy_offers(uow, list(joiners.values()), now or datetime.now(UTC))
        office = await uow.people.by_email(PROGRAM_OFFICE)
        if office is not None:
            office.program_office = True
        await _add_supporters(uow, programs)
    return created


async def _ensure_programs(uow: UnitOfWork, config: ProgramConfig) -> dict[str, Program]:
    programs: dict[str, Program] = {}
    for spec in config.programs:
        programs[spec.key] = await uow.programs.ensure(
            spec.key,
            capacity_default=spec.capacity_default,
            request_expiry_days=spec.request_expiry_days,
            open_request_limit=spec.open_request_limit,
            leaders_only=spec.leaders_only,
        )
    return programs


async def _add_supporters(uow: UnitOfWork, programs: dict[str, Program]) -> None:
    for s in SUPPORTERS:
        person = await uow.people.by_email(s.email)
        program = programs.get(s.program)
        if person is None or program is None:
            continue  # a configuration without this program
        existing = {p.program_id for p in await uow.programs.supporters_of(person.id)}
        if program.id in existing:
            continue
        await uow.programs.add_supporter(
            person.id,
            program.id,
            bio_en=s.bio_en,
            bio_fr=s.bio_fr,
            topics=list(s.topics),
            languages=list(s.languages),
            capacity=s.capacity,
            trained_on=s.trained_on,
            term_end=s.term_end,
            availability=[asdict(slot) for slot in s.availability],
        )
