"""The networks' demo, loaded after the other demos (``python -m abroad demo``).

``load_networks_demo()`` adds, when missing:

* the ATHENS session of next March (``athens-<year>-03``), taking applications now (opened a
  week ago, closing in three weeks at 12:00), with ten courses at real ATHENS members of the
  catalogue and a few applications of other demo students (the login ``student`` has none:
  try applying);
* the ATHENS session of the March after (``athens-<year+1>-03``), its applications closed two
  days ago and not yet allocated: the office's next steps are the ranking and the allocation;
* the ATHENS session of next November (``athens-<year>-11``), its results published a week
  ago: some students have accepted or declined their course, the others have a week left;
* the ATHENS session of the last November (``athens-<year>-11``), over: its applications
  ranked and allocated, the results published and closed, the accepted students nominated
  and the ECTS of some recorded;
* ``alliance``, a student with two stays at Alliance4Tech partners (TU Berlin and the
  Universidad Politécnica de Madrid) whose learning agreements plan 20 and 12 ECTS: the
  certificate is on track, as the student's timeline shows;
* ``doubledegree``, a T.I.M.E. double-degree student whose plan waits for the demo
  ``promoter``'s approval;
* ``double-degree-<year>``, a double-degree call (programme double degree only) with at most
  3 preferences.

Every step goes through the services. Loading twice changes nothing. People, course titles
and numbers are invented; the institutions are the catalogue's.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from abroad.catalogue.enums import AgreementStatus, Programme
from abroad.catalogue.models import CourseOfStudy, Institution, Network, Offer, School
from abroad.core import audit
from abroad.core.academic_year import current_start_year
from abroad.core.enums import DegreeLevel
from abroad.mobility import services as mobility_services
from abroad.mobility.checks import Row
from abroad.mobility.enums import Table
from abroad.mobility.models import Mobility
from abroad.networks import services
from abroad.networks.enums import AllocationState, ResultsState, Season
from abroad.networks.models import AthensCourse, AthensSession, DoubleDegreePlan
from abroad.people.enums import Role
from abroad.people.models import StudentCareer, User
from abroad.selection.models import Call
from abroad.site.demo.catalogue import PASSWORD

ATHENS = "athens"
TIME = "time"
ALLIANCE_STUDENT = "alliance"
DOUBLE_DEGREE_STUDENT = "doubledegree"
ORIGIN = "demo"
# (title, ISCED-F, language, fee, description, cultural programme): invented.
COURSES = (
    (
        "Robotics for space exploration",
        "0714",
        "en",
        "0",
        "Rovers, manipulators and their control, with a lab on a small rover.",
        "A guided tour of the old town and an evening with local students.",
    ),
    (
        "Smart grids and the energy transition",
        "0713",
        "en",
        "0",
        "How power grids take renewable sources: storage, markets, control.",
        "A visit to a hydroelectric plant and a farewell dinner.",
    ),
    (
        "Sustainable buildings in cold climates",
        "0732",
        "en",
        "50",
        "Insulation, heat pumps and life-cycle assessment of buildings.",
        "A walk through the city's architecture and a sauna evening.",
    ),
    (
        "Machine learning for engineers",
        "0613",
        "en",
        "0",
        "From regression to neural networks, with engineering data sets.",
        "A city rally and a concert.",
    ),
    (
        "Urban mobility and transport planning",
        "0731",
        "fr",
        "0",
        "Modelling transport demand and planning public transport.",
        "A tour by tram and a visit to the transport museum.",
    ),
    (
        "Materials for additive manufacturing",
        "0715",
        "en",
        "0",
        "Metal and polymer 3D printing: processes, properties, design.",
        "A visit to a car factory and a traditional dinner.",
    ),
    (
        "Water resources and climate change",
        "0712",
        "en",
        "0",
        "Floods, droughts and the management of river basins.",
        "A boat trip on the river and an evening with local students.",
    ),
    (
        "Entrepreneurship in deep tech",
        "0413",
        "en",
        "80",
        "From a lab result to a start-up: teams, funding, intellectual property.",
        "Visits to the local incubator and to the old town.",
    ),
    (
        "Aircraft design fundamentals",
        "0716",
        "es",
        "0",
        "Preliminary design of a light aircraft, with a wind-tunnel session.",
        "A flamenco evening and a tour of the royal palace.",
    ),
    (
        "Biomedical devices",
        "0719",
        "en",
        "0",
        "Design and regulation of medical devices, from sensors to implants.",
        "A hike in the hills and a cooking evening.",
    ),
)


@dataclass(frozen=True)
class NetworksDemoSummary:
    sessions: int
    courses: int
    applications: int
    created: int = 0
    now: dt.datetime | None = None  # the day the states are told for (default: now)

    def lines(self) -> list[str]:
        lines = [
            f"ATHENS:        {self.sessions} sessions, {self.courses} courses, "
            f"{self.applications} applications"
        ]
        for session in AthensSession.objects.order_by("starts_on"):
            lines.append(
                f"  {session.code}: {session_state(session, self.now)}; office page "
                f"/networks/office/{session.code}/"
            )
        for username, what in (
            (ALLIANCE_STUDENT, "two Alliance4Tech stays (certificate on the timeline)"),
            (DOUBLE_DEGREE_STUDENT, "a double-degree plan waiting for the promoter"),
        ):
            if User.objects.filter(username=username).exists():
                lines.append(f"  login {username}: {what}")
        return lines


def session_state(session: AthensSession, now: dt.datetime | None = None) -> str:
    """Where the session stands in the office's journey, for the demo's summary."""
    now = now or timezone.now()
    close = timezone.localtime(session.applications_close_at)
    if session.is_open(now):
        return f"open for students until {close:%d/%m/%Y %H:%M}"
    if now < session.applications_open_at:
        return f"opens {timezone.localtime(session.applications_open_at):%d/%m/%Y %H:%M}"
    if session.results_state == ResultsState.NOT_RUN:
        return f"closed {close:%d/%m/%Y %H:%M}, awaiting the ranking and allocation"
    if session.results_state == ResultsState.PUBLISHED and session.acceptance_deadline:
        deadline = timezone.localtime(session.acceptance_deadline)
        return f"results published, answers by {deadline:%d/%m/%Y %H:%M}"
    return str(session.get_results_state_display()).lower()


def summary(*, created: int = 0, now: dt.datetime | None = None) -> NetworksDemoSummary:
    return NetworksDemoSummary(
        sessions=AthensSession.objects.count(),
        courses=AthensCourse.objects.count(),
        applications=sum(s.applications.count() for s in AthensSession.objects.all()),
        created=created,
        now=now,
    )


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _members(network: Network) -> list[Institution]:
    return list(
        network.members.filter(is_home=False, latitude__isnull=False).order_by("country", "name")
    )


def load_networks_demo(*, now: dt.datetime | None = None) -> NetworksDemoSummary:
    """Add whatever of the networks' demo is missing (see the module); return the counts."""
    now = now or timezone.now()
    created = 0
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        athens = Network.objects.filter(code=ATHENS).first()
        if athens is not None and _members(athens):
            created += _march(athens, now)
            created += _march_after(athens, now)
            created += _next_november(athens, now)
            created += _november(athens, now)
        created += _alliance(now)
        created += _double_degree(now)
        created += _double_degree_call(now)
        if created:
            audit.record(actor=None, action="demo.networks_loaded", created=created)
    return summary(created=created, now=now)


# --------------------------------------------------------------------------------- ATHENS


def _session(
    network: Network,
    season: str,
    year: int,
    starts_on: dt.date,
    opens: dt.datetime,
    closes: dt.datetime,
) -> AthensSession:
    month = "03" if season == Season.MARCH else "11"
    return AthensSession.objects.create(
        code=f"athens-{year}-{month}",
        network=network,
        season=season,
        year=year,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=7),
        applications_open_at=opens,
        applications_close_at=closes,
        max_choices=3,
        require_first_year_completed=True,
        min_credits=60,
    )


# Where a course taught in a language other than English is hosted.
SPOKEN_IN = {"fr": {"FR", "BE"}, "es": {"ES"}, "de": {"DE", "AT"}, "pt": {"PT"}, "it": {"IT"}}


def _host(members: list[Institution], number: int, language: str) -> Institution:
    """The members take turns; a course not in English goes to a member where it is spoken."""
    host = members[(number * 7) % len(members)]
    countries = SPOKEN_IN.get(language)
    if countries and host.country.code not in countries:
        speaking = [m for m in members if m.country.code in countries]
        if speaking:
            host = speaking[number % len(speaking)]
    return host


def course_row(
    session: AthensSession, members: list[Institution], number: int, capacity: int
) -> AthensCourse:
    """The ``number``-th course of :data:`COURSES` (from 1) in ``session``, not saved; the
    members take turns to host it."""
    title, isced, language, fee, description, culture = COURSES[(number - 1) % len(COURSES)]
    host = _host(members, number, language)
    return AthensCourse(
        session=session,
        code=f"{host.country.code}{number:02d}",
        host=host,
        title=title,
        isced_code=isced,
        language=language,
        starts_on=session.starts_on,
        ends_on=session.ends_on,
        capacity=capacity,
        prerequisites="Basic mathematics and physics; English B2." if language == "en" else "",
        description=description,
        cultural_programme=culture,
        fee=Decimal(fee),
    )


def _courses(session: AthensSession, members: list[Institution], count: int) -> list[AthensCourse]:
    rng = random.Random(session.code)
    courses = []
    for number in range(1, min(count, len(COURSES)) + 1):
        course = course_row(session, members, number, rng.choice((1, 2, 2, 3)))
        course.save()
        courses.append(course)
    return courses


def _applicants(count: int, start: int = 0) -> list[User]:
    students = list(
        User.objects.filter(role=Role.STUDENT, course_of_study__isnull=False)
        .exclude(username__in=["student", "erasmus", "thesis"])
        .exclude(student_number="")
        .order_by("student_number")[start:count]
    )
    year = current_start_year()
    for student in students:
        if not StudentCareer.objects.filter(student=student).exists():
            StudentCareer.objects.create(
                student=student,
                first_enrolment_year=year - 3,
                credits_bachelor=150,
                average_bachelor=Decimal("26.00"),
                first_year_completed=True,
            )
    return students


def _apply(
    session: AthensSession, students: list[User], courses: list[AthensCourse], at: dt.datetime
) -> None:
    rng = random.Random(f"{session.code}:apply")
    popular = courses[:3]
    for student in students:
        picks = [*rng.sample(popular, 2), rng.choice(courses[3:])]
        services.save_choices(
            session=session, student=student, course_ids=[c.pk for c in picks], now=at
        )
        application = services.save_motivation(
            session=session,
            student=student,
            motivation="I would like to discover another approach to my field and a new city.",
            now=at,
        )
        if not services.eligibility_problems(session, student):
            services.submit_application(application=application, actor=student, now=at)


def _next_march(today: dt.date) -> int:
    return today.year if today.month == 1 else today.year + 1


def _march(network: Network, now: dt.datetime) -> int:
    today = timezone.localdate(now)
    year = _next_march(today)
    if AthensSession.objects.filter(network=network, season=Season.MARCH, year=year).exists():
        return 0
    session = _session(
        network,
        Season.MARCH,
        year,
        dt.date(year, 3, 13),
        _at(today - dt.timedelta(days=7), 9),
        _at(today + dt.timedelta(days=21), 12),
    )
    courses = _courses(session, _members(network), 10)
    _apply(session, _applicants(4), courses, now)
    return 1 + len(courses)


def _march_after(network: Network, now: dt.datetime) -> int:
    """The March session after next, its applications closed two days ago, not allocated."""
    today = timezone.localdate(now)
    year = _next_march(today) + 1
    if AthensSession.objects.filter(network=network, season=Season.MARCH, year=year).exists():
        return 0
    opens = _at(today - dt.timedelta(days=35), 9)
    closes = _at(today - dt.timedelta(days=2), 12)
    session = _session(network, Season.MARCH, year, dt.date(year, 3, 11), opens, closes)
    courses = _courses(session, _members(network)[1:], 6)
    _apply(session, _applicants(20, 12), courses, opens + dt.timedelta(days=5))
    return 1 + len(courses)


def _next_november(network: Network, now: dt.datetime) -> int:
    """Next November's session: ranked, allocated and published a week ago; a week left to
    answer. Some students accepted, one declined, the others have not answered yet."""
    today = timezone.localdate(now)
    year = today.year if today < dt.date(today.year, 11, 1) else today.year + 1
    if AthensSession.objects.filter(network=network, season=Season.NOVEMBER, year=year).exists():
        return 0
    opens = _at(today - dt.timedelta(days=50), 9)
    closes = _at(today - dt.timedelta(days=20), 12)
    session = _session(network, Season.NOVEMBER, year, dt.date(year, 11, 12), opens, closes)
    courses = _courses(session, _members(network)[2:], 6)
    _apply(session, _applicants(30, 20), courses, opens + dt.timedelta(days=4))
    office = User.objects.filter(username="office").first()
    allocated = closes + dt.timedelta(days=3)
    services.rank_session(session=session, actor=office, now=allocated)
    services.allocate_session(session=session, actor=office, now=allocated)
    services.publish_results(
        session=session,
        acceptance_deadline=_at(today + dt.timedelta(days=7), 12),
        actor=office,
        now=now - dt.timedelta(days=7),
    )
    answered_at = now - dt.timedelta(days=2)
    offered = [
        application
        for application in session.applications.select_related("allocation", "student").order_by(
            "student__student_number"
        )
        if getattr(application, "allocation", None) is not None
        and application.allocation.state == AllocationState.OFFERED
    ]
    for number, application in enumerate(offered):
        if number % 2 == 1:
            continue  # has not answered yet
        if number == 2:
            services.decline_allocation(
                allocation_row=application.allocation, actor=application.student, now=answered_at
            )
        else:
            services.accept_allocation(
                allocation_row=application.allocation, actor=application.student, now=answered_at
            )
    return 1 + len(courses)


def _november(network: Network, now: dt.datetime) -> int:
    today = timezone.localdate(now)
    year = today.year if today >= dt.date(today.year, 11, 25) else today.year - 1
    if AthensSession.objects.filter(network=network, season=Season.NOVEMBER, year=year).exists():
        return 0
    opens, closes = _at(dt.date(year, 9, 1), 9), _at(dt.date(year, 9, 30), 12)
    session = _session(network, Season.NOVEMBER, year, dt.date(year, 11, 14), opens, closes)
    courses = _courses(session, list(reversed(_members(network))), 6)
    students = _applicants(12)[4:]
    _apply(session, students, courses, opens + dt.timedelta(days=3))
    office = User.objects.filter(username="office").first()
    after = closes + dt.timedelta(days=1)
    services.rank_session(session=session, actor=office, now=after)
    services.allocate_session(session=session, actor=office, now=after)
    deadline = _at(dt.date(year, 10, 12), 12)
    services.publish_results(session=session, acceptance_deadline=deadline, actor=office, now=after)
    answered = 0
    for application in session.applications.select_related("allocation", "student"):
        allocation = getattr(application, "allocation", None)
        if allocation is None or allocation.state != AllocationState.OFFERED:
            continue
        answered += 1
        if answered % 4 == 0:
            services.decline_allocation(
                allocation_row=allocation, actor=application.student, now=after
            )
        else:
            participation = services.accept_allocation(
                allocation_row=allocation, actor=application.student, now=after
            )
            if answered % 3 != 0:
                services.record_result(
                    participation=participation,
                    passed=True,
                    ects_earned=Decimal(2),
                    actor=office,
                    now=_at(session.ends_on + dt.timedelta(days=10)),
                )
    services.close_session(session=session, actor=office, now=deadline + dt.timedelta(days=1))
    return 1 + len(courses)


# ------------------------------------------------------------- Alliance4Tech, double degree


def _course_of_promoter() -> CourseOfStudy | None:
    """An MSc course the demo ``promoter`` coordinates (their approvals show on the desk)."""
    erasmus = User.objects.filter(username="erasmus").select_related("course_of_study").first()
    if erasmus is not None and erasmus.course_of_study is not None:
        return erasmus.course_of_study
    return (
        CourseOfStudy.objects.filter(
            level=DegreeLevel.MASTER, coordinators__user__username="promoter"
        )
        .order_by("pk")
        .first()
        or CourseOfStudy.objects.filter(level=DegreeLevel.MASTER).order_by("pk").first()
    )


def _new_student(username: str, first: str, last: str, number: str) -> User | None:
    course = _course_of_promoter()
    if course is None:
        return None
    student = User.objects.create(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
        role=Role.STUDENT,
        student_number=number,
        course_of_study=course,
        password=make_password(PASSWORD),
    )
    StudentCareer.objects.create(
        student=student,
        first_enrolment_year=current_start_year() - 4,
        credits_bachelor=180,
        average_bachelor=Decimal("27.10"),
        credits_master=60,
        average_master=Decimal("27.90"),
        first_year_completed=True,
    )
    return student


def _network_offer(network: str, partner_word: str, programme: str) -> Offer | None:
    return (
        Offer.objects.filter(
            agreement__network__code=network,
            agreement__programme=programme,
            agreement__status=AgreementStatus.ACTIVE,
            agreement__partner__name__icontains=partner_word,
        )
        .select_related("agreement__partner")
        .order_by("pk")
        .first()
    )


def _alliance(now: dt.datetime) -> int:
    if User.objects.filter(username=ALLIANCE_STUDENT).exists():
        return 0
    stays = [
        (_network_offer("alliance4tech", "berlin", Programme.NETWORK), 20),
        (_network_offer("alliance4tech", "madrid", Programme.NETWORK), 12),
    ]
    if any(offer is None for offer, _credits in stays):
        return 0
    student = _new_student(ALLIANCE_STUDENT, "Giulia", "Ferraro", "100201")
    if student is None:
        return 0
    year = current_start_year(timezone.localdate(now))
    for number, (offer, credits) in enumerate(stays):
        assert offer is not None
        mobility = mobility_services.create_mobility(
            student=student,
            offer=offer,
            academic_year=year + number,
            origin=ORIGIN,
        )
        draft = mobility_services.open_draft(mobility=mobility, actor=student)
        half = Decimal(credits) / 2
        mobility_services.save_draft(
            agreement=draft,
            actor=student,
            rows=[
                Row(
                    table=Table.A,
                    code=f"A4T{number}1",
                    title="Architectural design studio",
                    ects=half,
                ),
                Row(table=Table.A, code=f"A4T{number}2", title="History of the city", ects=half),
                Row(table=Table.B, code="054001", title="Design studio", ects=Decimal(credits)),
            ],
        )
    return 1


def _double_degree(now: dt.datetime) -> int:
    if User.objects.filter(username=DOUBLE_DEGREE_STUDENT).exists():
        return 0
    offer = _network_offer(TIME, "", Programme.DOUBLE_DEGREE)
    if offer is None:
        return 0
    student = _new_student(DOUBLE_DEGREE_STUDENT, "Marco", "Galli", "100202")
    if student is None:
        return 0
    mobility = mobility_services.create_mobility(
        student=student,
        offer=offer,
        academic_year=current_start_year(timezone.localdate(now)) + 1,
        origin=ORIGIN,
    )
    Mobility.objects.filter(pk=mobility.pk).update(months=24)
    plan = services.save_plan(
        mobility=mobility,
        actor=student,
        network=Network.objects.filter(code=TIME).first(),
        credits_at_partner=120,
        credits_recognised_at_home=60,
        thesis_at_home=True,
        thesis_at_partner=True,
        mobility_unit_months=12,
        study_plan=(
            "First year at the partner: core courses of the engineering diploma (60 ECTS).\n"
            "Second year: specialisation and the thesis, discussed at both schools (60 ECTS).\n"
            "Recognised at home: 60 ECTS of the second year of the MSc."
        ),
    )
    services.submit_plan(plan=plan, actor=student, now=now)
    assert DoubleDegreePlan.objects.filter(pk=plan.pk).exists()
    return 1


def _double_degree_call(now: dt.datetime) -> int:
    year = current_start_year(timezone.localdate(now)) + 1
    code = f"double-degree-{year}"
    if Call.objects.filter(code=code).exists():
        return 0
    from abroad.selection.services import fill_call_offers

    call = Call.objects.create(
        code=code,
        title=f"Double degree call {year}/{year + 1}",
        academic_year=year,
        number=1,
        opens_at=now - dt.timedelta(days=3),
        closes_at=_at(timezone.localdate(now) + dt.timedelta(days=45), 12),
        max_preferences=3,
        programmes=[Programme.DOUBLE_DEGREE],
    )
    call.schools.set(School.objects.filter(code__in=["ICAT", "3I", "AUIC-ENG"]))
    fill_call_offers(call=call)
    return 1
