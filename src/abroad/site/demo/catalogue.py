"""The demo: Politecnico di Milano with real partners, courses of study and networks, and
invented people, agreements and offers.

``load_demo()`` reads the files in ``site/demo/data/`` (built by ``scripts/build_demo_data.py``
from public sources, see ``data/SOURCES.md``) and adds, in one transaction, whatever of the
demo is missing: loading twice changes nothing. Everything random comes from one seeded
``random.Random``, so every load plans the same agreements and offers.

Facts (institutions, codes, places, courses, network members) come from the data files; the
people, agreements and offers are invented and say so (names of persons are made up, e-mails
are at example.org).
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from abroad.catalogue.enums import AgreementStatus, ContactKind, MobilityType, Programme
from abroad.catalogue.models import (
    Agreement,
    Contact,
    CourseOfStudy,
    Institution,
    Network,
    NetworkMembership,
    Offer,
    Promoter,
    School,
)
from abroad.core import audit
from abroad.core.enums import DegreeLevel
from abroad.core.importing import refresh_statistics
from abroad.people.enums import Role
from abroad.people.models import User

DATA_DIR = Path(__file__).resolve().parent / "data"
HOME_ERASMUS_CODE = "I  MILANO02"
PASSWORD = "demo-password"
SEED = 2026
LOGINS: tuple[tuple[str, str], ...] = (
    ("office", "the International Mobility Unit (staff, can use the admin)"),
    ("office3i", "the office of one School (3I): its calls, mobilities and recognitions only"),
    ("promoter", "a professor who promotes agreements and coordinates courses"),
    ("student", "a student of the MSc in Mechanical Engineering"),
    ("erasmus", "a student abroad now, with a signed learning agreement"),
    ("thesis", "a student nominated for a thesis abroad, no learning agreement yet"),
    ("alliance", "a student with two Alliance4Tech stays (the certificate on the timeline)"),
    ("doubledegree", "a double-degree student whose study plan waits for the promoter"),
    ("admin", "a superuser"),
)

# --- The home university's organisation --------------------------------------------------------
# (code, English name, Italian name, parent code)
SCHOOLS: tuple[tuple[str, str, str, str], ...] = (
    (
        "AUIC",
        "School of Architecture Urban Planning Construction Engineering",
        "Scuola di Architettura Urbanistica Ingegneria delle Costruzioni",
        "",
    ),
    (
        "ICAT",
        "School of Civil, Environmental and Land Management Engineering",
        "Scuola di Ingegneria Civile, Ambientale e Territoriale",
        "",
    ),
    (
        "3I",
        "School of Industrial and Information Engineering",
        "Scuola di Ingegneria Industriale e dell'Informazione",
        "",
    ),
    ("DES", "School of Design", "Scuola del Design", ""),
    (
        "AUIC-ARCH",
        "AUIC – Architecture and Urban Planning",
        "AUIC – Architettura e Urbanistica",
        "AUIC",
    ),
    ("AUIC-ENG", "AUIC – Construction Engineering", "AUIC – Ingegneria delle Costruzioni", "AUIC"),
)
# The Schools (or sections) that run their own mobility: one contact each.
MOBILITY_SCHOOLS = ("AUIC-ARCH", "AUIC-ENG", "ICAT", "3I", "DES")

NETWORKS: dict[str, tuple[str, str]] = {
    # code -> (name, description: from the project's domain notes)
    "athens": (
        "ATHENS",
        "One-week intensive sessions in March and November at the member universities: "
        "about 60 courses per session, one course per student, about 30 hours of teaching "
        "plus cultural activities organised by the host.",
    ),
    "idea-league": (
        "IDEA League",
        "A strategic alliance of five European universities of science and technology.",
    ),
    "alliance4tech": (
        "Alliance4Tech",
        "An alliance of European technical universities with a joint certificate: at least "
        "30 ECTS abroad at two partner institutions, at least 10 at each.",
    ),
    "time": (
        "T.I.M.E.",
        "A network of engineering schools for double degrees; Politecnico di Milano is a "
        "founding member.",
    ),
}

# --- Invented people -------------------------------------------------------------------------
# (first name, last name, School, department): Prof. names are invented.
PROMOTERS: tuple[tuple[str, str, str, str], ...] = (
    ("Marco", "Bellandi", "3I", "Department of Mechanical Engineering"),
    ("Giulia", "Ferraresi", "3I", "Department of Electronics, Information and Bioengineering"),
    ("Alessandro", "Colombini", "3I", "Department of Aerospace Science and Technology"),
    ("Francesca", "Moretti", "3I", "Department of Energy"),
    ("Luca", "Santambrogio", "3I", "Department of Chemistry, Materials and Chemical Engineering"),
    ("Silvia", "Gattinoni", "3I", "Department of Management, Economics and Industrial Engineering"),
    ("Paolo", "Vismara", "3I", "Department of Mathematics"),
    ("Elena", "Brambati", "3I", "Department of Physics"),
    ("Davide", "Locatelli", "3I", "Department of Electronics, Information and Bioengineering"),
    ("Chiara", "Pozzoli", "ICAT", "Department of Civil and Environmental Engineering"),
    ("Stefano", "Ghezzi", "ICAT", "Department of Civil and Environmental Engineering"),
    ("Valentina", "Radaelli", "ICAT", "Department of Civil and Environmental Engineering"),
    ("Andrea", "Cattaneo", "ICAT", "Department of Civil and Environmental Engineering"),
    (
        "Roberta",
        "Mauri",
        "AUIC-ARCH",
        "Department of Architecture, Built Environment and Construction Engineering",
    ),
    ("Federico", "Sala", "AUIC-ARCH", "Department of Architecture and Urban Studies"),
    ("Martina", "Zanella", "AUIC-ARCH", "Department of Architecture and Urban Studies"),
    (
        "Giorgio",
        "Tettamanti",
        "AUIC-ARCH",
        "Department of Architecture, Built Environment and Construction Engineering",
    ),
    ("Anna", "Castelnuovo", "AUIC-ARCH", "Department of Architecture and Urban Studies"),
    (
        "Riccardo",
        "Bonfanti",
        "AUIC-ENG",
        "Department of Architecture, Built Environment and Construction Engineering",
    ),
    (
        "Laura",
        "Crippa",
        "AUIC-ENG",
        "Department of Architecture, Built Environment and Construction Engineering",
    ),
    ("Matteo", "Arosio", "AUIC-ENG", "Department of Civil and Environmental Engineering"),
    ("Sara", "Villa", "DES", "Department of Design"),
    ("Simone", "Galbiati", "DES", "Department of Design"),
    ("Elisa", "Mapelli", "DES", "Department of Design"),
    ("Tommaso", "Redaelli", "DES", "Department of Design"),
)
STUDENT_FIRST_NAMES = (
    "Alessia", "Beatrice", "Camilla", "Elisa", "Gaia", "Giorgia", "Ilaria", "Irene", "Marta",
    "Noemi", "Rebecca", "Sofia", "Aurora", "Ginevra", "Greta", "Alberto", "Dario", "Edoardo",
    "Emanuele", "Filippo", "Gabriele", "Jacopo", "Leonardo", "Lorenzo", "Mattia", "Nicolò",
    "Pietro", "Riccardo", "Samuele", "Tommaso",
)  # fmt: skip
STUDENT_LAST_NAMES = (
    "Airoldi", "Baldini", "Bassi", "Bertolini", "Cappelletti", "Carminati", "Cazzaniga",
    "Colnaghi", "Corti", "Donadoni", "Fumagalli", "Giussani", "Invernizzi", "Lanzani",
    "Longoni", "Magni", "Mariani", "Meroni", "Molteni", "Nava", "Oggioni", "Panzeri",
    "Perego", "Riva", "Rota", "Sironi", "Spreafico", "Tagliabue", "Valsecchi", "Zappa",
)  # fmt: skip
N_STUDENTS = 40
# The office's group: what its staff may do in the admin.
OFFICE_GROUP = "International Mobility Unit"

# --- Agreements and offers -----------------------------------------------------------------
# Erasmus+ KA131 programme countries: the EU and the associated countries. Switzerland and
# the United Kingdom are not (since 2021): agreements with them are bilateral.
PROGRAMME_COUNTRIES = frozenset((
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    "IS", "LI", "NO", "MK", "RS", "TR",
))  # fmt: skip
ENGLISH_SPEAKING = frozenset((
    "GB", "IE", "US", "CA", "AU", "NZ", "SG", "IN", "ZA", "MT", "HK", "AE",
))  # fmt: skip
# Country -> (local language, share of offers taught in it).
LOCAL_LANGUAGE: dict[str, tuple[str, float]] = {
    "FR": ("fr", 0.55), "DE": ("de", 0.45), "AT": ("de", 0.45), "ES": ("es", 0.5),
    "PT": ("pt", 0.4), "BR": ("pt", 0.6), "AR": ("es", 0.6), "CL": ("es", 0.6),
    "MX": ("es", 0.5), "CO": ("es", 0.6), "NL": ("nl", 0.1), "SE": ("sv", 0.05),
    "DK": ("da", 0.05), "NO": ("no", 0.05), "FI": ("fi", 0.05), "PL": ("pl", 0.2),
    "CZ": ("cs", 0.15), "SK": ("sk", 0.2), "SI": ("sl", 0.2), "HR": ("hr", 0.2),
    "HU": ("hu", 0.15), "RO": ("ro", 0.3), "BG": ("bg", 0.3), "GR": ("el", 0.3),
    "CY": ("el", 0.3), "EE": ("et", 0.05), "LV": ("lv", 0.1), "LT": ("lt", 0.1),
    "TR": ("tr", 0.2), "RU": ("ru", 0.5), "IL": ("he", 0.1), "CN": ("zh", 0.2),
    "TW": ("zh", 0.3), "JP": ("ja", 0.15), "KR": ("ko", 0.15), "LU": ("fr", 0.3),
}  # fmt: skip
# Partners in multilingual countries, by a word of their name or city: their local language
# and the share of offers taught in it.
LOCAL_LANGUAGE_BY_NAME: tuple[tuple[str, str, float], ...] = (
    ("lausanne", "fr", 0.4), ("geneva", "fr", 0.5), ("svizzera italiana", "it", 0.6),
    ("supsi", "it", 0.6), ("zurich", "de", 0.3), ("luzern", "de", 0.5),
    ("nordwestschweiz", "de", 0.5), ("bruxelles", "fr", 0.5), ("louvain", "fr", 0.4),
    ("liege", "fr", 0.5), ("leuven", "nl", 0.1), ("gent", "nl", 0.2),
    ("antwerpen", "nl", 0.2), ("brussel", "nl", 0.2), ("montreal", "fr", 0.6),
    ("quebec", "fr", 0.6), ("mcgill", "en", 1.0),
)  # fmt: skip
ARCHITECTURE_WORDS = ("architectur", "architektur", "ion mincu", "hafencity", "bauhaus")
ART_WORDS = ("kunste", "college of art", "fine arts")
TECH_WORDS = (
    "techn", "polit", "polytech", "institute of technology", "kth", "eth zurich", "epfl",
    "centrale", "ecole", "insa", "muszaki", "tekni", "politehn", "vysoke uceni",
    "tecnologico", "aeronautica", "mines", "arts et metiers", "agh", "rwth",
    "montanuniv", "bergakademie", "kaist", "pohang", "science and technology",
    "instituto superior", "karlsruher", "supsi", "hochschule", "chalmers", "aalto",
    "tehnika", "tudublin", "school of science", "ingenier", "polytechnique",
)  # fmt: skip
# Fields of the offers, by kind of partner (several entries weigh a field more).
FIELDS: dict[str, tuple[str, ...]] = {
    "architecture": ("0731", "0731", "0731", "0732", "073"),
    "art": ("0212", "0212", "0212", "0731"),
    "technical": (
        "0715", "0715", "0716", "0713", "0714", "0613", "0613", "0711", "0722", "0732",
        "0732", "0712", "0413", "0413", "0541", "0533", "0914", "071", "071", "0731",
        "0731", "0212", "0212",
    ),
    "university": (
        "0413", "0541", "0533", "0613", "0914", "0712", "0731", "0212", "0732", "0711", "071",
    ),
}  # fmt: skip
# Partners (their country and a word of their name) that also have a double degree, besides
# the members of T.I.M.E.: Tongji and Tsinghua for architecture.
DOUBLE_DEGREE_EXTRA = (("CN", "tongji"), ("CN", "tsinghua"))
# Network members with no ordinary agreement: a consortium and the Italian member.
NETWORK_ONLY = (("FR", "paristech"), ("IT", "trento"))
SUSPENDED_COUNTRIES = frozenset({"RU"})


@dataclass(frozen=True)
class DemoSummary:
    """What the database holds after loading the demo."""

    institutions: int
    partners: int
    countries: int
    courses: int
    networks: int
    agreements: int
    offers: int
    users: int
    created: int = 0  # rows added by this load; 0 when the demo was already there

    def lines(self) -> list[str]:
        return [
            f"Institutions:  {self.institutions} ({self.partners} partners in "
            f"{self.countries} countries)",
            f"Courses:       {self.courses}",
            f"Networks:      {self.networks}",
            f"Agreements:    {self.agreements}",
            f"Offers:        {self.offers}",
            f"Users:         {self.users}",
        ]


def summary(*, created: int = 0) -> DemoSummary:
    partners = Institution.objects.partners()
    return DemoSummary(
        institutions=Institution.objects.count(),
        partners=partners.count(),
        countries=partners.values("country").distinct().count(),
        courses=CourseOfStudy.objects.count(),
        networks=Network.objects.count(),
        agreements=Agreement.objects.count(),
        offers=Offer.objects.count(),
        users=User.objects.count(),
        created=created,
    )


def is_loaded() -> bool:
    """Whether the demo has been loaded into this database."""
    from abroad.core.models import AuditEvent

    return AuditEvent.objects.filter(action="demo.loaded").exists()


def read_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.lower()).split())


# --- The plan: what the demo holds, independent of the database -------------------------------
@dataclass
class OfferPlan:
    isced: str
    courses: list[str]
    bachelor: bool
    master: bool
    mobility_type: str
    seats: int
    months: int
    extendable: bool
    language: str
    language_level: str
    weeks: int | None = None  # a short stay (an ATHENS week)


@dataclass
class AgreementPlan:
    code: str
    partner: str  # the partner's key, see _institution_key
    programme: str
    network: str
    start_year: int
    end_year: int
    status: str
    promoter: str  # username
    offers: list[OfferPlan] = field(default_factory=list)


@dataclass
class Course:
    code: str
    level: str
    school: str
    isced: str

    @property
    def is_bachelor(self) -> bool:
        return self.level == DegreeLevel.BACHELOR


def _institution_key(row: dict[str, str]) -> str:
    return row["erasmus_code"] or row["schac_code"] or f"{row['country']}:{row['name']}"


def _institution_key_of(institution: Institution) -> str:
    return (
        institution.erasmus_code
        or institution.schac_code
        or f"{institution.country}:{institution.name}"
    )


class Planner:
    """Plans agreements and offers for the partners, with one seeded random generator."""

    def __init__(
        self,
        institutions: Sequence[dict[str, str]],
        courses: Sequence[Course],
        members: dict[str, set[str]],
        promoters_by_school: dict[str, list[str]],
    ) -> None:
        self.random = random.Random(SEED)
        self.institutions = institutions
        self.courses = courses
        self.members = members  # partner key -> network codes
        self.promoters_by_school = promoters_by_school
        self.counters: dict[str, int] = {}
        self.school_of_course = {course.code: course.school for course in courses}

    def code(self, programme: str, start_year: int) -> str:
        prefix = {
            Programme.ERASMUS: "EU",
            Programme.BILATERAL: "BI",
            Programme.DOUBLE_DEGREE: "DD",
            Programme.NETWORK: "NW",
        }[Programme(programme)]
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{start_year}-{self.counters[prefix]:04d}"

    def plan(self, scale: int = 1) -> list[AgreementPlan]:
        """The agreements of every partner; with ``scale`` > 1, (scale - 1) more rounds of
        agreements for every partner, after the first (so the first round is the same)."""
        plans: list[AgreementPlan] = []
        for _round in range(scale):
            for row in self.institutions:
                if row["erasmus_code"] == HOME_ERASMUS_CODE:
                    continue
                plans.extend(self.plan_partner(row))
        return plans

    def kind(self, row: dict[str, str]) -> str:
        name = _fold(f"{row['name']} {row['name_en']}")
        if any(word in name for word in ARCHITECTURE_WORDS):
            return "architecture"
        if any(word in name for word in ART_WORDS):
            return "art"
        if any(word in name for word in TECH_WORDS):
            return "technical"
        return "university"

    def plan_partner(self, row: dict[str, str]) -> list[AgreementPlan]:
        rng = self.random
        key = _institution_key(row)
        country = row["country"]
        kind = self.kind(row)
        name = _fold(f"{row['name']} {row['name_en']}")
        networks = self.members.get(key, set())
        plans: list[AgreementPlan] = []
        network_only = any(country == c and word in name for c, word in NETWORK_ONLY)

        if not network_only:
            programme = Programme.ERASMUS if country in PROGRAMME_COUNTRIES else Programme.BILATERAL
            draw = rng.random()
            if country in SUSPENDED_COUNTRIES:
                status, start = AgreementStatus.SUSPENDED, 2022
            elif draw < 0.05:
                status, start = AgreementStatus.DRAFT, 2026
            else:
                status, start = AgreementStatus.ACTIVE, rng.choice((2025, 2025, 2026))
            end = rng.choice((2027, 2028, 2028)) if programme == Programme.ERASMUS else start + 3
            n_offers = {"technical": (2, 4), "university": (1, 3)}.get(kind, (1, 2))
            fields = self._fields(kind, rng.randint(*n_offers))
            offers = [self.offer(row, isced) for isced in fields]
            plans.append(self.agreement(row, programme, "", start, end, status, offers))
            if status == AgreementStatus.ACTIVE and rng.random() < 0.06:
                # The agreement of the previous programme period, ended.
                old = [self.offer(row, isced) for isced in fields[:1]]
                plans.append(
                    self.agreement(row, programme, "", 2021, 2024, AgreementStatus.ENDED, old)
                )

        double_degree = ("time" in networks and not network_only) or any(
            country == c and word in name for c, word in DOUBLE_DEGREE_EXTRA
        )
        if double_degree and country not in SUSPENDED_COUNTRIES:
            isceds: tuple[str, ...] = (
                ("0731",) if kind == "architecture" or "tongji" in name else ()
            )
            if "tsinghua" in name:
                isceds = ("0731",)
            if not isceds:
                isceds = tuple(
                    rng.sample(("0715", "0713", "0613", "0413", "0711", "0716", "0732"), 2)
                )
            offers = [self.offer(row, isced, double_degree=True) for isced in isceds]
            network = "time" if "time" in networks else ""
            plans.append(
                self.agreement(
                    row,
                    Programme.DOUBLE_DEGREE,
                    network,
                    2024,
                    2029,
                    AgreementStatus.ACTIVE,
                    offers,
                )
            )

        for network in ("athens", "idea-league", "alliance4tech", "time"):
            if network not in networks or (network == "time" and not network_only):
                continue
            if network == "time":
                # The Italian T.I.M.E. member: no seats for our students, a draft only.
                plans.append(
                    self.agreement(
                        row, Programme.NETWORK, "time", 2026, 2028, AgreementStatus.DRAFT, []
                    )
                )
                continue
            offers = [self.network_offer(row, network, kind)]
            plans.append(
                self.agreement(
                    row, Programme.NETWORK, network, 2025, 2028, AgreementStatus.ACTIVE, offers
                )
            )
        return plans

    def _fields(self, kind: str, count: int) -> list[str]:
        pool = FIELDS[kind]
        chosen: list[str] = []
        while len(chosen) < min(count, len(set(pool))):
            isced = self.random.choice(pool)
            if isced not in chosen:
                chosen.append(isced)
        return chosen

    def agreement(
        self,
        row: dict[str, str],
        programme: str,
        network: str,
        start: int,
        end: int,
        status: str,
        offers: list[OfferPlan],
    ) -> AgreementPlan:
        school = "3I"
        if offers and offers[0].courses:
            school = self.school_of_course[offers[0].courses[0]]
        promoter = self.random.choice(self.promoters_by_school[school])
        return AgreementPlan(
            code=self.code(programme, start),
            partner=_institution_key(row),
            programme=programme,
            network=network,
            start_year=start,
            end_year=end,
            status=status,
            promoter=promoter,
            offers=offers,
        )

    def eligible(self, isced: str, bachelor: bool, master: bool) -> list[Course]:
        return [
            course
            for course in self.courses
            if course.isced
            and course.isced.startswith(isced)
            and (bachelor if course.is_bachelor else master)
        ]

    def levels(self, isced: str, *, thesis: bool = False) -> tuple[bool, bool]:
        """Levels for an offer in ``isced``: both, master only or bachelor only, as long as
        some course of study of that level is in that field."""
        draw = self.random.random()
        wanted = [(True, True), (False, True), (True, False)]
        first = 0 if draw < 0.45 else 1 if draw < 0.8 else 2
        if thesis:
            first = 1
        for bachelor, master in wanted[first:] + wanted[:first]:
            if thesis and bachelor:
                continue
            available = self.eligible(isced, bachelor, master)
            has_bachelor = any(course.is_bachelor for course in available)
            has_master = any(not course.is_bachelor for course in available)
            if available:
                return bachelor and has_bachelor, master and has_master
        raise ValueError(f"no course of study in ISCED {isced}")

    def language(self, row: dict[str, str], *, double_degree: bool = False) -> tuple[str, str]:
        rng = self.random
        country = row["country"]
        name = _fold(f"{row['name']} {row['name_en']} {row['city']}")
        local = LOCAL_LANGUAGE.get(country)
        for word, language, share in LOCAL_LANGUAGE_BY_NAME:
            if word in name:
                local = (language, share)
                break
        if local and local[0] != "en":
            share = local[1] + (0.25 if double_degree else 0.0)
            if rng.random() < share:
                return local[0], rng.choice(("B1", "B2", "B2"))
        if country in ENGLISH_SPEAKING or (local and local[0] == "en"):
            return "en", rng.choice(("B2", "B2", "C1", "C1", ""))
        return "en", rng.choice(("B2", "B2", "B2", "B1", "C1", ""))

    def offer(self, row: dict[str, str], isced: str, *, double_degree: bool = False) -> OfferPlan:
        rng = self.random
        if double_degree:
            mobility_type = MobilityType.STUDY_OR_THESIS
            bachelor, master = False, True
            if not self.eligible(isced, False, True):
                raise ValueError(f"no MSc course in ISCED {isced}")
            seats, months, extendable = rng.randint(1, 3), 24, False
        else:
            draw = rng.random()
            mobility_type = (
                MobilityType.STUDY
                if draw < 0.7
                else MobilityType.STUDY_OR_THESIS
                if draw < 0.9
                else MobilityType.THESIS
            )
            thesis = mobility_type == MobilityType.THESIS and bool(
                self.eligible(isced, False, True)
            )
            if mobility_type == MobilityType.THESIS and not thesis:
                mobility_type = MobilityType.STUDY
            bachelor, master = self.levels(isced, thesis=thesis)
            seats = rng.randint(1, 6)
            months = 6 if thesis else rng.choice((5, 6, 6, 10, 10, 12))
            extendable = months <= 6 and rng.random() < 0.4
        language, level = self.language(row, double_degree=double_degree)
        courses = self.eligible(isced, bachelor, master)
        return OfferPlan(
            isced=isced,
            courses=[course.code for course in courses],
            bachelor=bachelor,
            master=master,
            mobility_type=mobility_type,
            seats=seats,
            months=months,
            extendable=extendable,
            language=language,
            language_level=level,
        )

    def network_offer(self, row: dict[str, str], network: str, kind: str) -> OfferPlan:
        rng = self.random
        if network == "athens":
            isced, bachelor, master, months, kind_ = "071", True, True, 1, MobilityType.STUDY
            seats = rng.randint(2, 6)
        elif network == "idea-league":
            isced, bachelor, master, months = "071", False, True, 3
            kind_, seats = MobilityType.STUDY_OR_THESIS, rng.randint(1, 3)
        else:  # alliance4tech: a semester, architecture or engineering
            isced = "0731" if kind != "technical" or "madrid" in _fold(row["name"]) else "071"
            if "berlin" in _fold(row["name"]):
                isced = "0731"
            bachelor, master, months = False, True, 5
            kind_, seats = MobilityType.STUDY, rng.randint(1, 4)
        courses = self.eligible(isced, bachelor, master)
        return OfferPlan(
            isced=isced,
            courses=[course.code for course in courses],
            bachelor=bachelor,
            master=master,
            mobility_type=kind_,
            seats=seats,
            months=months,
            extendable=False,
            language="en",
            language_level="B2",
            weeks=1 if network == "athens" else None,
        )


# --- Loading ---------------------------------------------------------------------------------
def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value else None


class Writer(Protocol):
    """Where progress goes: a text stream, or a management command's ``self.stdout``."""

    def write(self, msg: str, /) -> Any: ...


def _say(stdout: Writer | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def load_demo(*, stdout: Writer | None = None, scale: int = 1) -> DemoSummary:
    """Add whatever of the demo is missing, in one transaction; return what the database
    then holds. Loading twice changes nothing. ``scale`` multiplies the agreements, their
    offers and the students (``demo --scale 10``: a catalogue ten times the demo's, to try the
    office's pages at a large university's size)."""
    if scale < 1:
        raise ValueError("scale is 1 or more")
    with transaction.atomic():
        created = _load(stdout, scale)
        if created:
            result = summary(created=created)
            audit.record(
                actor=None,
                action="demo.loaded",
                created=created,
                scale=scale,
                institutions=result.institutions,
                courses=result.courses,
                agreements=result.agreements,
                offers=result.offers,
                users=result.users,
            )
    if created:
        refresh_statistics()
    return summary(created=created)


def _load(stdout: Writer | None, scale: int = 1) -> int:
    created = 0
    institution_rows = read_rows("institutions.csv")
    course_rows = read_rows("courses.csv")
    network_rows = read_rows("networks.csv")

    # Schools, with AUIC's two sections.
    schools: dict[str, School] = {school.code: school for school in School.objects.all()}
    for code, name, name_it, parent in SCHOOLS:
        if code not in schools:
            schools[code] = School.objects.create(
                code=code,
                name=name,
                name_it=name_it,
                parent=schools[parent] if parent else None,
            )
            created += 1

    # Institutions: the home university and the partners.
    existing = {_institution_key_of(inst): inst for inst in Institution.objects.all()}
    new_institutions = [
        Institution(
            name=row["name"],
            name_en=row["name_en"],
            country=row["country"],
            city=row["city"],
            latitude=_decimal(row["latitude"]),
            longitude=_decimal(row["longitude"]),
            erasmus_code=row["erasmus_code"] or None,
            schac_code=row["schac_code"] or None,
            website=row["website"],
            pic=row["pic"],
            source=row["source"],
            is_home=row["erasmus_code"] == HOME_ERASMUS_CODE,
        )
        for row in institution_rows
        if _institution_key(row) not in existing
    ]
    Institution.objects.bulk_create(new_institutions)
    created += len(new_institutions)
    institutions = {_institution_key_of(inst): inst for inst in Institution.objects.all()}
    _say(stdout, f"Institutions: {len(new_institutions)} added")

    # Courses of study.
    known_courses = set(CourseOfStudy.objects.values_list("code", flat=True))
    new_courses = [
        CourseOfStudy(
            code=row["code"],
            name=row["name_en"],
            name_it=row["name_it"],
            level=row["level"],
            school=schools[row["school"]],
            isced_code=row["isced_f"],
            language=row["language"].split(",")[0],
            campus=row["campus"],
        )
        for row in course_rows
        if row["code"] not in known_courses
    ]
    CourseOfStudy.objects.bulk_create(new_courses)
    created += len(new_courses)
    courses = {course.code: course for course in CourseOfStudy.objects.all()}
    _say(stdout, f"Courses of study: {len(new_courses)} added")

    # Networks and their members.
    websites = {row["network"]: row["network_website"] for row in network_rows}
    networks: dict[str, Network] = {network.code: network for network in Network.objects.all()}
    for code, (name, description) in NETWORKS.items():
        if code not in networks:
            networks[code] = Network.objects.create(
                code=code, name=name, description=description, website=websites.get(code, "")
            )
            created += 1
    members: dict[str, set[str]] = {}
    memberships = set(NetworkMembership.objects.values_list("network_id", "institution_id"))
    new_memberships: list[NetworkMembership] = []
    by_name = {f"{row['country']}:{row['name']}": row for row in institution_rows}
    for row in network_rows:
        key = row["member_erasmus_code"] or row["member_schac_code"]
        if not key:  # a member known by name only: find its institutions.csv row
            key = next(
                _institution_key(candidate)
                for candidate in by_name.values()
                if not candidate["erasmus_code"]
                and not candidate["schac_code"]
                and _fold(candidate["name"]) in _fold(row["member_name"])
            )
        members.setdefault(key, set()).add(row["network"])
        network, institution = networks[row["network"]], institutions[key]
        if (network.pk, institution.pk) not in memberships:
            memberships.add((network.pk, institution.pk))
            new_memberships.append(
                NetworkMembership(
                    network=network,
                    institution=institution,
                    member_since=int(row["member_since"]) if row["member_since"] else None,
                    source=row["source"][:500],
                )
            )
    NetworkMembership.objects.bulk_create(new_memberships)
    created += len(new_memberships)

    created += _load_contacts(schools)

    # People: one password hash for everybody (hashing is slow on purpose).
    password = make_password(PASSWORD)
    users = _plan_users(password, courses, students=N_STUDENTS * scale)
    known_users = set(User.objects.values_list("username", flat=True))
    new_users = [user for user in users if user.username not in known_users]
    User.objects.bulk_create(new_users)
    created += len(new_users)
    users_by_name = {user.username: user for user in User.objects.all()}
    promoter_usernames = _promoter_usernames()
    with_promoter = set(Promoter.objects.values_list("user__username", flat=True))
    new_promoters = [
        Promoter(
            user=users_by_name[username],
            title="Prof.",
            school=schools[school],
            department=department,
            email=users_by_name[username].email,
        )
        for username, (_first, _last, school, department) in zip(
            promoter_usernames, PROMOTERS, strict=True
        )
        if username not in with_promoter
    ]
    Promoter.objects.bulk_create(new_promoters)
    created += len(new_promoters)
    promoters = {p.user.username: p for p in Promoter.objects.select_related("user")}
    created += _load_office_group(users_by_name["office"])
    _say(stdout, f"Users: {len(new_users)} added")

    # Exchange coordinators: one or two promoters of its School for every course.
    rng = random.Random(SEED + 1)
    by_school: dict[str, list[str]] = {}
    for username, (_first, _last, school, _department) in zip(
        promoter_usernames, PROMOTERS, strict=True
    ):
        by_school.setdefault(school, []).append(username)
    through = CourseOfStudy.coordinators.through
    present = set(through.objects.values_list("courseofstudy_id", "promoter_id"))
    new_links: list[Any] = []
    for row in course_rows:
        pool = by_school[row["school"]]
        chosen = rng.sample(pool, k=min(len(pool), rng.choice((1, 2))))
        for username in chosen:
            pair = (courses[row["code"]].pk, promoters[username].pk)
            if pair not in present:
                present.add(pair)
                new_links.append(through(courseofstudy_id=pair[0], promoter_id=pair[1]))
    through.objects.bulk_create(new_links)
    created += len(new_links)

    # Agreements and their offers.
    plan_courses = [
        Course(row["code"], row["level"], row["school"], row["isced_f"]) for row in course_rows
    ]
    plans = Planner(institution_rows, plan_courses, members, by_school).plan(scale)
    created += _load_agreements(plans, institutions, networks, promoters, courses)
    _say(stdout, f"Agreements: {Agreement.objects.count()}, offers: {Offer.objects.count()}")
    return created


def _load_contacts(schools: dict[str, School]) -> int:
    wanted = [
        Contact(
            kind=ContactKind.OFFICE,
            name="International Mobility Unit",
            address="Via Golgi 42, 20133 Milano",
            order=0,
        )
    ]
    for order, code in enumerate(MOBILITY_SCHOOLS, start=1):
        school = schools[code]
        wanted.append(
            Contact(
                kind=ContactKind.SCHOOL,
                name=f"International mobility – {school.name}",
                school=school,
                order=order,
            )
        )
    known = set(Contact.objects.values_list("kind", "name"))
    new = [contact for contact in wanted if (contact.kind, contact.name) not in known]
    Contact.objects.bulk_create(new)
    return len(new)


def _load_office_group(office: User) -> int:
    """The office's staff manage the catalogue in the admin, see people and the audit log."""
    group, created = Group.objects.get_or_create(name=OFFICE_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            Q(content_type__app_label="catalogue")
            | Q(content_type__app_label="people", codename__regex=r"^(view|add|change)_")
            | Q(content_type__app_label="core", codename__startswith="view_")
        )
    )
    office.groups.add(group)
    return int(created)


def _promoter_usernames() -> list[str]:
    return ["promoter"] + [f"promoter{number:02d}" for number in range(2, len(PROMOTERS) + 1)]


def _plan_users(
    password: str, courses: dict[str, CourseOfStudy], *, students: int = N_STUDENTS
) -> list[User]:
    users = [
        User(
            username="office",
            first_name="Chiara",
            last_name="Galimberti",
            email="office@example.org",
            role=Role.OFFICE,
            is_staff=True,
            password=password,
        ),
        User(
            username="office3i",
            first_name="Paolo",
            last_name="Brambilla",
            email="office3i@example.org",
            role=Role.OFFICE,
            is_staff=True,
            office_school=courses["3I-MSC-MECH"].school,
            password=password,
        ),
        User(
            username="admin",
            first_name="Admin",
            last_name="Demo",
            email="admin@example.org",
            role=Role.ADMIN,
            is_staff=True,
            is_superuser=True,
            password=password,
        ),
    ]
    for username, (first, last, _school, _department) in zip(
        _promoter_usernames(), PROMOTERS, strict=True
    ):
        users.append(
            User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{_fold(first)}.{_fold(last)}@example.org".replace(" ", ""),
                role=Role.PROMOTER,
                password=password,
            )
        )
    users.append(
        User(
            username="student",
            first_name="Giacomo",
            last_name="Brivio",
            email="student@example.org",
            role=Role.STUDENT,
            student_number="100001",
            course_of_study=courses["3I-MSC-MECH"],
            password=password,
        )
    )
    rng = random.Random(SEED + 2)
    codes = sorted(courses)
    taken: set[tuple[str, str]] = set()
    names = len(STUDENT_FIRST_NAMES) * len(STUDENT_LAST_NAMES)
    for number in range(1, students + 1):
        while True:
            name = (rng.choice(STUDENT_FIRST_NAMES), rng.choice(STUDENT_LAST_NAMES))
            if name not in taken or len(taken) >= names:  # at a large scale, names repeat
                taken.add(name)
                break
        username = f"student{number:02d}"
        users.append(
            User(
                username=username,
                first_name=name[0],
                last_name=name[1],
                email=f"{username}@example.org",
                role=Role.STUDENT,
                # beyond the first 40 (--scale), numbers clear of the other demos' (1002xx)
                student_number=f"{100001 + number if number <= N_STUDENTS else 200000 + number}",
                course_of_study=courses[rng.choice(codes)],
                password=password,
            )
        )
    return users


def _load_agreements(
    plans: Iterable[AgreementPlan],
    institutions: dict[str, Institution],
    networks: dict[str, Network],
    promoters: dict[str, Promoter],
    courses: dict[str, CourseOfStudy],
) -> int:
    known = set(Agreement.objects.values_list("code", flat=True))
    todo = [plan for plan in plans if plan.code not in known]
    agreements = [
        Agreement(
            code=plan.code,
            partner=institutions[plan.partner],
            programme=plan.programme,
            network=networks[plan.network] if plan.network else None,
            start_year=plan.start_year,
            end_year=plan.end_year,
            status=plan.status,
            promoter=promoters[plan.promoter],
        )
        for plan in todo
    ]
    Agreement.objects.bulk_create(agreements)
    saved = {agreement.code: agreement for agreement in agreements}
    offers: list[Offer] = []
    offer_courses: list[list[str]] = []
    for plan in todo:
        for item in plan.offers:
            offers.append(
                Offer(
                    agreement=saved[plan.code],
                    mobility_type=item.mobility_type,
                    level_bachelor=item.bachelor,
                    level_master=item.master,
                    isced_code=item.isced,
                    seats=item.seats,
                    months=item.months,
                    weeks=item.weeks,
                    extendable=item.extendable,
                    language=item.language,
                    language_level=item.language_level,
                )
            )
            offer_courses.append(item.courses)
    Offer.objects.bulk_create(offers)
    through = Offer.courses.through
    links = [
        through(offer_id=offer.pk, courseofstudy_id=courses[code].pk)
        for offer, codes in zip(offers, offer_courses, strict=True)
        for code in codes
    ]
    through.objects.bulk_create(links)
    return len(agreements) + len(offers) + len(links)
