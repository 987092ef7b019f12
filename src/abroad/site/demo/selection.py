"""The selection's demo, loaded after the catalogue's (``python -m abroad demo``).

``load_selection_demo()`` adds, when missing:

* careers for the demo students (invented, plausible numbers) and language certificates,
  English for most;
* ``engineering-2027-1``, the engineering call (ICAT, 3I, AUIC-ENG) for 2027/2028, open now
  until about two months from now at 12:00 (Italian time), with its offers and some drafts and
  submitted applications (the demo login ``student`` has none: try applying);
* ``engineering-2026-2``, the engineering second call for 2026/2027 (the spring semester's
  seats), closed five days ago with its submitted applications and nothing else: ready for the
  office to rank, run a round and publish it;
* ``design-2027-1``, the Design call (commission formula), closed last month, with the
  commission's scores, the ranking and a published first round in which some students have
  accepted their seat and the others can still answer (for ten days), so that the office
  pages and the nominations have something to show.

Every date is relative to the day the demo is loaded, so that each call is in its state
whenever it is loaded: open for students, closed and ready to rank, a round awaiting answers.

Every step goes through the services, as the office would do it. Loading twice changes
nothing: what exists is kept as it is. Everything random comes from seeded generators.
E-mails are not sent: the demo's students are invented.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from abroad.catalogue.models import Offer, School
from abroad.core import audit
from abroad.core.enums import CEFR, DegreeLevel
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.selection import services
from abroad.selection.enums import ApplicationState, RankingFormula, RoundState
from abroad.selection.models import Application, Call, CallOffer, Preference

SEED = 2027
ENGINEERING_CALL = "engineering-2027-1"
SPRING_CALL = "engineering-2026-2"
DESIGN_CALL = "design-2027-1"
# The demo's calls, in the order of the office's journey.
CALLS = (ENGINEERING_CALL, SPRING_CALL, DESIGN_CALL)
ENGINEERING_SCHOOLS = ("ICAT", "3I", "AUIC-ENG")
DESIGN_SCHOOLS = ("DES",)
ACADEMIC_YEAR = 2027
OFFICE_GROUP = "International Mobility Unit"  # the catalogue demo's group for the office
NOON = dt.time(12, 0)
ENGLISH_TESTS = ("IELTS Academic", "TOEFL iBT", "Cambridge C1 Advanced", "Polimi English test")
OTHER_LANGUAGES = (("fr", "DELF"), ("de", "Goethe-Zertifikat"), ("es", "DELE"))


@dataclass(frozen=True)
class SelectionDemoSummary:
    careers: int
    certificates: int
    calls: int
    applications: int
    created: int = 0  # rows added by this load
    now: dt.datetime | None = None  # the day the states are told for (default: now)

    def lines(self) -> list[str]:
        calls = {call.code: call for call in Call.objects.filter(code__in=CALLS)}
        lines = [
            f"Careers:       {self.careers} ({self.certificates} language certificates)",
            f"Calls:         {self.calls} ({self.applications} applications)",
        ]
        for code in CALLS:
            if code in calls:
                lines.append(
                    f"  {code}: {call_state(calls[code], self.now)}; office page "
                    f"/calls/office/{code}/"
                )
        return lines


def call_state(call: Call, now: dt.datetime | None = None) -> str:
    """Where the call stands in the office's journey, for the demo's summary."""
    now = now or timezone.now()
    if call.is_open(now):
        return f"open for students until {timezone.localtime(call.closes_at):%d/%m/%Y %H:%M}"
    if now < call.opens_at:
        return f"opens {timezone.localtime(call.opens_at):%d/%m/%Y %H:%M}"
    round = call.rounds.order_by("-number").first()
    if round is None:
        ranked = call.applications.filter(rank__isnull=False).exists()
        return "closed, ranked, no round yet" if ranked else "closed, ready to rank"
    if round.state == RoundState.PUBLISHED:
        return (
            f"round {round.number} published, answers by "
            f"{timezone.localtime(round.acceptance_deadline):%d/%m/%Y %H:%M}"
        )
    return f"round {round.number}: {round.get_state_display().lower()}"


def summary(*, created: int = 0, now: dt.datetime | None = None) -> SelectionDemoSummary:
    return SelectionDemoSummary(
        careers=StudentCareer.objects.count(),
        certificates=LanguageCertificate.objects.count(),
        calls=Call.objects.count(),
        applications=Application.objects.count(),
        created=created,
        now=now,
    )


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    """A local (Italian) date and time."""
    return timezone.make_aware(dt.datetime.combine(day, time))


def load_selection_demo(*, now: dt.datetime | None = None) -> SelectionDemoSummary:
    """Add whatever of the selection's demo is missing (see the module); return the counts."""
    now = now or timezone.now()
    # The demo's students are invented: whatever the mail settings, nothing leaves.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        created = _careers(now)
        created += _office_permissions()
        if not Call.objects.filter(code=ENGINEERING_CALL).exists():
            created += _engineering_call(now)
        if not Call.objects.filter(code=SPRING_CALL).exists():
            created += _spring_call(now)
        if not Call.objects.filter(code=DESIGN_CALL).exists():
            created += _design_call(now)
        if created:
            audit.record(actor=None, action="demo.selection_loaded", created=created)
    return summary(created=created, now=now)


# ------------------------------------------------------------------------------- careers


def _students() -> list[User]:
    return list(
        User.objects.filter(role=Role.STUDENT, course_of_study__isnull=False)
        .exclude(student_number="")
        .select_related("course_of_study__school")
        .order_by("student_number")
    )


def _engineering_students() -> list[User]:
    """The engineering Schools' students who apply in the demo's calls: all but the demo's
    own student, whose applications the demo writes by hand."""
    return [
        s
        for s in _students()
        if s.username != "student"
        and s.course_of_study is not None
        and s.course_of_study.school.code in ENGINEERING_SCHOOLS
    ]


def _average(rng: random.Random, low: float = 22.0, high: float = 29.6) -> Decimal:
    return Decimal(str(round(rng.triangular(low, high, 26.5), 2)))


def _career(student: User, rng: random.Random, year: int) -> StudentCareer:
    """Plausible numbers for the student's level: ``year`` is the current academic year."""
    level = student.course_level or DegreeLevel.MASTER
    exchanges = 1 if rng.random() < 0.1 else 0
    career = StudentCareer(
        student=student,
        previous_exchanges=exchanges,
        months_used=rng.choice((5, 6)) if exchanges else 0,
    )
    if level == DegreeLevel.BACHELOR:
        career.first_enrolment_year = rng.choice((year - 2, year - 1, year - 1))
        years_done = year - career.first_enrolment_year
        career.credits_bachelor = max(0, years_done * rng.randint(38, 60) - rng.randint(0, 10))
        career.average_bachelor = _average(rng)
        career.first_year_completed = career.credits_bachelor >= 40
    elif level == DegreeLevel.SINGLE_CYCLE:
        career.first_enrolment_year = rng.choice((year - 4, year - 3))
        career.credits_bachelor = (year - career.first_enrolment_year) * rng.randint(45, 60)
        career.average_bachelor = _average(rng)
        career.first_year_completed = True
    else:
        career.first_enrolment_year = rng.choice((year - 5, year - 4, year - 4))
        career.credits_bachelor = 180
        career.average_bachelor = _average(rng)
        career.credits_master = rng.choice((24, 36, 42, 48, 54, 60))
        career.average_master = _average(rng, 23.0, 30.0)
        career.first_year_completed = career.credits_master >= 30
    return career


def _careers(now: dt.datetime) -> int:
    year = now.year if now.month >= 9 else now.year - 1
    with_career = set(StudentCareer.objects.values_list("student_id", flat=True))
    with_certificate = set(LanguageCertificate.objects.values_list("student_id", flat=True))
    careers: list[StudentCareer] = []
    certificates: list[LanguageCertificate] = []
    for student in _students():
        rng = random.Random(f"{SEED}:{student.student_number}")
        if student.username == "student":
            # The demo login: a good MSc student of Mechanical Engineering, ready to apply.
            career = StudentCareer(
                student=student,
                first_enrolment_year=year - 4,
                credits_bachelor=180,
                average_bachelor=Decimal("27.40"),
                credits_master=60,
                average_master=Decimal("28.10"),
                first_year_completed=True,
            )
            wanted = [
                LanguageCertificate(
                    student=student, language="en", level="C1", name="IELTS Academic"
                )
            ]
        else:
            career = _career(student, rng, year)
            wanted = []
            if rng.random() < 0.85:
                wanted.append(
                    LanguageCertificate(
                        student=student,
                        language="en",
                        level=rng.choices(("B1", "B2", "C1", "C2"), (10, 45, 35, 10))[0],
                        name=rng.choice(ENGLISH_TESTS),
                    )
                )
            if rng.random() < 0.2:
                language, name = rng.choice(OTHER_LANGUAGES)
                wanted.append(
                    LanguageCertificate(
                        student=student,
                        language=language,
                        level=rng.choice(("B1", "B2")),
                        name=name,
                    )
                )
        if student.pk not in with_career:
            careers.append(career)
        if student.pk not in with_certificate:
            certificates.extend(wanted)
    StudentCareer.objects.bulk_create(careers)
    LanguageCertificate.objects.bulk_create(certificates)
    return len(careers) + len(certificates)


def _office_permissions() -> int:
    """The office's group (the catalogue demo's) also manages calls in the admin."""
    group = Group.objects.filter(name=OFFICE_GROUP).first()
    if group is None:
        return 0
    wanted = Permission.objects.filter(content_type__app_label="selection").filter(
        Q(codename__regex=r"^(view|add|change)_(call|calloffer|round)$")
        | Q(codename__startswith="view_")
    )
    missing = wanted.exclude(pk__in=group.permissions.values("pk"))
    count = missing.count()
    group.permissions.add(*missing)
    return count


# --------------------------------------------------------------------------------- calls


def _schools(codes: Iterable[str]) -> list[School]:
    return list(School.objects.filter(code__in=list(codes)))


def _choose(rng: random.Random, available: list[int], popular: list[int], k: int) -> list[int]:
    """``k`` offers, the popular ones more likely first: demand piles up where it does."""
    chosen: list[int] = []
    for offer in popular:
        if offer in available and rng.random() < 0.6 and len(chosen) < k:
            chosen.append(offer)
    others = [offer for offer in available if offer not in chosen]
    chosen += rng.sample(others, k=min(len(others), k - len(chosen)))
    return chosen


class _Offers:
    """The call's offers by course of study, read once per call (a demo at ``--scale 10`` has
    thousands of offers and hundreds of students)."""

    def __init__(self, call: Call) -> None:
        call_offers = {co.offer_id: co for co in call.call_offers.select_related("offer")}
        links = Offer.courses.through.objects.filter(
            offer_id__in=call.call_offers.values("offer_id")
        ).values_list("courseofstudy_id", "offer_id")
        self.by_course: dict[int, list[CallOffer]] = {}
        for course_id, offer_id in links:
            self.by_course.setdefault(course_id, []).append(call_offers[offer_id])
        for offers in self.by_course.values():
            offers.sort(key=lambda call_offer: call_offer.pk)

    def available(self, student: User) -> list[int]:
        """The offers the student may rank: open to their course of study and level, with a
        language level they hold (the rules of services.offers_for_student, which checks
        every offer of the call with its reasons: too slow for a demo of thousands of
        offers)."""
        course = student.course_of_study
        if course is None:
            return []
        held = {c.language: CEFR.rank(c.level) for c in student.certificates.all()}
        return [
            call_offer.pk
            for call_offer in self.by_course.get(course.pk, [])
            if course.eqf in call_offer.offer.eqf_levels
            and (
                not call_offer.offer.language_level
                or held.get(call_offer.offer.language, -1)
                >= CEFR.rank(call_offer.offer.language_level)
            )
        ]


def _apply(
    call: Call, student: User, choices: list[int], state: str, submitted_at: dt.datetime | None
) -> Application:
    """The application as the student's ranking left it (the demo writes it directly)."""
    application = Application.objects.create(
        call=call, student=student, state=state, submitted_at=submitted_at
    )
    Preference.objects.bulk_create(
        Preference(application=application, rank=rank, call_offer_id=offer)
        for rank, offer in enumerate(choices, start=1)
    )
    return application


def _engineering_call(now: dt.datetime) -> int:
    today = timezone.localdate(now)
    call = Call.objects.create(
        code=ENGINEERING_CALL,
        title="Exchange programmes 2027/2028 – Engineering, first call",
        academic_year=ACADEMIC_YEAR,
        number=1,
        opens_at=_at(today - dt.timedelta(days=7), dt.time(9, 0)),
        closes_at=_at(today + dt.timedelta(days=61), NOON),
        max_preferences=6,
        formula=RankingFormula.ENGINEERING,
    )
    call.schools.set(_schools(ENGINEERING_SCHOOLS))
    created = 1 + services.fill_call_offers(call=call)
    offers = _Offers(call)
    rng = random.Random(f"{SEED}:{ENGINEERING_CALL}")
    students = _engineering_students()
    popular: list[int] = []
    for student in students:
        if rng.random() < 0.2:
            continue  # has not started an application
        available = offers.available(student)
        if not available:
            continue
        if not popular:
            popular = rng.sample(available, k=min(3, len(available)))
        choices = _choose(rng, available, popular, rng.randint(2, 6))
        application = _apply(call, student, choices, ApplicationState.DRAFT, None)
        created += 1 + len(choices)
        if rng.random() < 0.7 and not services.eligibility_problems(call, student):
            services.submit_application(application=application, actor=student, now=now)
    return created


def _spring_call(now: dt.datetime) -> int:
    """The engineering second call of the current year (the spring semester's seats): open
    from six weeks ago to five days ago, its applications submitted in that window, nothing
    ranked: the office's next step is the ranking."""
    today = timezone.localdate(now)
    opens_at = _at(today - dt.timedelta(days=40), dt.time(9, 0))
    closes_at = _at(today - dt.timedelta(days=5), NOON)
    call = Call.objects.create(
        code=SPRING_CALL,
        title="Exchange programmes 2026/2027 – Engineering, second call (spring semester)",
        academic_year=ACADEMIC_YEAR - 1,
        number=2,
        opens_at=opens_at,
        closes_at=closes_at,
        max_preferences=3,
        formula=RankingFormula.ENGINEERING,
    )
    call.schools.set(_schools(ENGINEERING_SCHOOLS))
    created = 1 + services.fill_call_offers(call=call)
    offers = _Offers(call)
    rng = random.Random(f"{SEED}:{SPRING_CALL}")
    students = _engineering_students()
    popular: list[int] = []
    for number, student in enumerate(students):
        if rng.random() < 0.3:
            continue  # did not apply to the second call
        available = offers.available(student)
        if not available or services.eligibility_problems(call, student):
            continue
        if not popular:
            popular = rng.sample(available, k=min(3, len(available)))
        choices = _choose(rng, available, popular, rng.randint(1, 3))
        application = _apply(call, student, choices, ApplicationState.DRAFT, None)
        # Submitted while the call was open, as the student did then.
        submitted_at = opens_at + dt.timedelta(days=1 + number % 30, hours=rng.randint(0, 9))
        services.submit_application(application=application, actor=student, now=submitted_at)
        created += 1 + len(choices)
    return created


def _design_call(now: dt.datetime) -> int:
    """Closed last month, ranked with the commission's scores, round 1 published 10 days ago:
    some students accepted, one renounced, the others can still answer."""
    today = timezone.localdate(now)
    closes_at = _at(today - dt.timedelta(days=30), NOON)
    call = Call.objects.create(
        code=DESIGN_CALL,
        title="Exchange programmes 2027/2028 – Design, first call",
        academic_year=ACADEMIC_YEAR,
        number=1,
        opens_at=_at(today - dt.timedelta(days=75), dt.time(9, 0)),
        closes_at=closes_at,
        max_preferences=6,
        formula=RankingFormula.COMMISSION,
    )
    call.schools.set(_schools(DESIGN_SCHOOLS))
    created = 1 + services.fill_call_offers(call=call)
    offers = _Offers(call)
    office = User.objects.filter(username="office").first()
    rng = random.Random(f"{SEED}:{DESIGN_CALL}")
    students = [
        s
        for s in _students()
        if s.course_of_study is not None and s.course_of_study.school.code in DESIGN_SCHOOLS
    ]
    # The call is closed: the applications are written as they were submitted then.
    popular: list[int] = []
    applications: list[Application] = []
    for number, student in enumerate(students):
        available = offers.available(student)
        if not available or services.eligibility_problems(call, student):
            continue
        if not popular:
            popular = rng.sample(available, k=min(2, len(available)))
        submitted_at = closes_at - dt.timedelta(days=20 - number, hours=rng.randint(0, 9))
        choices = _choose(rng, available, popular, rng.randint(2, 5))
        applications.append(
            _apply(call, student, choices, ApplicationState.SUBMITTED, submitted_at)
        )
        created += 1 + len(choices)
    for application in applications:
        services.set_commission_score(
            application=application,
            portfolio=Decimal(rng.randint(10, 20)) / 2,
            languages_motivation_cv=Decimal(rng.randint(10, 20)) / 2,
            interview=Decimal(rng.randint(10, 20)) / 2,
            actor=office,
        )
        created += 1
    services.rank_call(call=call, actor=office, now=closes_at + dt.timedelta(days=10))
    round = services.create_round(
        call=call,
        acceptance_deadline=_at(today + dt.timedelta(days=10), NOON),
        actor=office,
    )
    run_at = closes_at + dt.timedelta(days=14)
    services.run_round(round=round, actor=office, now=run_at)
    services.publish_round(round=round, actor=office, now=run_at + dt.timedelta(days=6))
    created += 1 + round.assignments.count()
    offered = list(
        round.assignments.exclude(call_offer=None)
        .select_related("application__student")
        .order_by("application__rank")
    )
    answered_at = now - dt.timedelta(days=3)
    for index, assignment in enumerate(offered):
        if index % 3 == 2:
            continue  # has not answered yet
        student = assignment.application.student
        if index == 4:
            services.renounce_assignment(assignment=assignment, actor=student, now=answered_at)
        else:
            services.accept_assignment(assignment=assignment, actor=student, now=answered_at)
    return created
