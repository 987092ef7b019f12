"""The demo's past: three academic years of mobilities before the current one, so that every
figure of the office's statistics (and a partner's public page) shows something that looks
real. Each year sends about as many students as the demo has (``scale`` times 36), mostly
Erasmus+ semesters, some whole years, a few withdrawn; each stay has its learning agreement
(a few returned once, some changed during the stay, some never signed by the host), a few ask
for an extension, most have their recognition validated with grades, and each has its grant
(computed by the grants' engine, on the 2025/26 amounts: the demo has no earlier table) with
its instalments paid.

Each stay came from a call: each past year has the first call of each edition (engineering,
design, architecture, as the Schools of the students' courses of study), with the seats of
the offers the students went to and of a few more, the applications of those students and of
others who got no seat, and two published rounds: most students accepted their seat in the
first round; a seat renounced (or left without an answer) there went to one of them in the
second; some seats were left empty. Each past year also has its two ATHENS weeks (November and
March) with courses at the network's members, applications, the allocation, the students'
answers and the results recorded (``scale`` times 12-18 applicants a week).

Invented and deterministic: a fixed seed, dates counted from the current academic year, so two
loads on the same day give the same rows. The rows are written in bulk (the ordinary services
write one row at a time and would take minutes at ``demo --scale 10``); the grants go through
``grants.services.refresh_grants`` like everybody's, and the payments are the amounts the
payment list would have asked for."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import CourseOfStudy, Network, Offer, School
from abroad.core.academic_year import current_start_year
from abroad.grants import services as grants
from abroad.grants.models import GrantCase, Payment, RateTable
from abroad.mobility.enums import (
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
    Stage,
    Table,
)
from abroad.mobility.models import (
    Component,
    Document,
    ExtensionRequest,
    LearningAgreement,
    Mobility,
)
from abroad.networks.enums import AllocationState, ResultsState, Season
from abroad.networks.enums import ApplicationState as AthensApplicationState
from abroad.networks.models import (
    AthensAllocation,
    AthensApplication,
    AthensChoice,
    AthensCourse,
    AthensSession,
    Participation,
)
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.recognition.enums import LineFlag, TranscriptState
from abroad.recognition.models import RecognitionLine, Transcript
from abroad.recognition.services.scales_and_rules import ensure_standard_scales
from abroad.selection.enums import ApplicationState, AssignmentState, RankingFormula, RoundState
from abroad.selection.models import Application, Assignment, Call, CallOffer, Preference, Round
from abroad.site.demo.grants import RATES, RATES_YEAR
from abroad.site.demo.networks import ATHENS, course_row
from abroad.site.demo.networks import COURSES as ATHENS_COURSES
from abroad.site.demo.selection import DESIGN_SCHOOLS, ENGINEERING_SCHOOLS

ORIGIN = "demo history"
YEARS = 3
PER_YEAR = 36  # mobilities per past year, times the demo's scale
SEED = 17
EXTENSION_FORM = "demo/history-extension-form.pdf"
ARCHITECTURE_SCHOOLS = ("AUIC-ARCH",)
# Home grades of the Italian scale, with how often the demo gives each (a recognisable bell).
GRADES = (
    ("18", 1),
    ("20", 2),
    ("22", 3),
    ("24", 5),
    ("25", 6),
    ("26", 8),
    ("27", 10),
    ("28", 11),
    ("29", 8),
    ("30", 7),
    ("30L", 3),
)
COURSES = (
    "Advanced Design Studio",
    "Computational Mechanics",
    "Energy Systems",
    "Urban Planning Lab",
    "Machine Learning",
    "Materials Science",
    "Structural Analysis",
    "Project Management",
    "Control Systems",
    "Data Visualisation",
)


@dataclass
class HistoryDemoSummary:
    years: list[int]
    mobilities: int
    calls: int = 0
    sessions: int = 0

    def lines(self) -> list[str]:
        if not self.years:
            return ["History:       no past mobilities (no students or offers)"]
        first, last = min(self.years), max(self.years)
        return [
            f"History:       {self.mobilities} past mobilities, {first}/{first + 1} to "
            f"{last}/{last + 1}, with learning agreements, recognitions and grants; "
            f"{self.calls} past calls with their rounds, {self.sessions} past ATHENS sessions"
        ]


def load_history_demo(*, scale: int = 1, today: dt.date | None = None) -> HistoryDemoSummary:
    """Add the past years unless they are there; return what there is."""
    current = current_start_year(today)
    years = list(range(current - YEARS, current))
    with transaction.atomic():
        if not Mobility.objects.filter(origin=ORIGIN).exists():
            _load(years, scale)
    return HistoryDemoSummary(
        sorted(set(Mobility.objects.filter(origin=ORIGIN).values_list("academic_year", flat=True))),
        Mobility.objects.filter(origin=ORIGIN).count(),
        calls=Call.objects.filter(academic_year__in=years).exclude(rounds=None).count(),
        sessions=AthensSession.objects.filter(
            Q(season=Season.NOVEMBER, year__in=years)
            | Q(season=Season.MARCH, year__in=[year + 1 for year in years])
        ).count(),
    )


def _load(years: list[int], scale: int) -> None:
    rng = random.Random(SEED)
    students = list(
        User.objects.filter(role=Role.STUDENT, course_of_study__isnull=False).order_by("pk")
    )
    offers = list(
        Offer.objects.filter(agreement__programme__in=[Programme.ERASMUS, Programme.BILATERAL])
        .select_related("agreement__partner")
        .order_by("pk")
    )
    if not students or not offers:
        return
    # The partners popular with students: a fifth of the offers take most of them.
    popular = offers[: max(1, len(offers) // 5)]
    _rate_tables(years)
    mobilities: list[Mobility] = []
    for year in years:
        chosen = rng.sample(students, min(len(students), PER_YEAR * scale))
        for student in chosen:
            offer = rng.choice(popular if rng.random() < 0.6 else offers)
            mobilities.append(_mobility(rng, student, offer, year))
    Mobility.objects.bulk_create(mobilities)
    _calls(rng, mobilities, students)
    _athens(rng, years, students, scale)
    stays = [m for m in mobilities if m.state != MobilityState.WITHDRAWN]
    agreements = _learning_agreements(rng, stays)
    _extensions(rng, stays)
    _recognitions(rng, stays, agreements)
    _grants(rng, mobilities)


def _rate_tables(years: list[int]) -> None:
    """The demo has the amounts of 2025/26 only; the earlier years are paid on them too (and
    their tables say so)."""
    for year in years:
        if year < RATES_YEAR and not RateTable.objects.filter(academic_year=year).exists():
            report = grants.import_rates(
                RATES,
                academic_year=year,
                actor=None,
                source_note="Demo: the 2025/26 amounts",
                note=(
                    "The demo uses the 2025/26 amounts for this year too; a real "
                    "installation imports the year's own table."
                ),
            )
            if not report.ok:
                raise RuntimeError("; ".join(report.lines()))


def _mobility(rng: random.Random, student: User, offer: Offer, year: int) -> Mobility:
    whole_year = rng.random() < 0.2
    second = not whole_year and rng.random() < 0.45
    if whole_year:
        start, end, months = dt.date(year, 9, 15), dt.date(year + 1, 7, 14), 10
    elif second:
        start, end, months = dt.date(year + 1, 2, 15), dt.date(year + 1, 7, 14), 5
    else:
        start, end, months = dt.date(year, 9, 15), dt.date(year + 1, 2, 14), 5
    withdrawn = rng.random() < 0.05
    actual_start = start + dt.timedelta(days=rng.randint(-5, 5))
    # most stay until the planned end; one in ten comes home a month or more early
    early = rng.random() < 0.1
    actual_end = end - dt.timedelta(days=rng.randint(30, 60) if early else rng.randint(-5, 5))
    return Mobility(
        student=student,
        offer=offer,
        host=offer.agreement.partner,
        academic_year=year,
        kind=MobilityKind.YEAR if whole_year else MobilityKind.SEMESTER,
        state=MobilityState.WITHDRAWN if withdrawn else MobilityState.COMPLETED,
        months=months,
        planned_start=start,
        planned_end=end,
        actual_start=None if withdrawn else actual_start,
        actual_end=None if withdrawn else actual_end,
        origin=ORIGIN,
    )


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _learning_agreements(
    rng: random.Random, stays: list[Mobility]
) -> dict[int, tuple[LearningAgreement, int]]:
    """Each stay's versions; returns the version in force of each stay and its courses."""
    versions: list[LearningAgreement] = []
    in_force: dict[int, tuple[LearningAgreement, int]] = {}
    for mobility in stays:
        assert mobility.planned_start is not None
        signed = _at(mobility.planned_start - dt.timedelta(days=rng.randint(45, 100)))
        number = 1
        if rng.random() < 0.08:  # returned once with comments, then submitted again
            versions.append(
                LearningAgreement(
                    mobility=mobility,
                    number=number,
                    stage=Stage.BEFORE,
                    state=LearningAgreementState.RETURNED,
                    student_signed_at=signed,
                    returned_at=signed + dt.timedelta(days=rng.randint(2, 9)),
                    comment="Table B does not match table A.",
                )
            )
            signed += dt.timedelta(days=rng.randint(10, 20))
            number += 1
        approved = signed + dt.timedelta(days=rng.choice((1, 2, 3, 3, 4, 5, 7, 9, 14)))
        host_signs = rng.random() > 0.04
        first = LearningAgreement(
            mobility=mobility,
            number=number,
            stage=Stage.BEFORE,
            state=LearningAgreementState.SIGNED if host_signs else LearningAgreementState.APPROVED,
            student_signed_at=signed,
            promoter_signed_at=approved,
            host_signer="Exchange coordinator" if host_signs else "",
            host_signed_at=(
                approved + dt.timedelta(days=rng.choice((2, 4, 6, 8, 11, 15, 21, 30)))
                if host_signs
                else None
            ),
        )
        versions.append(first)
        courses = rng.randint(4, 6)
        in_force[mobility.pk] = (first, courses)
        if host_signs and rng.random() < 0.3:  # a change during the stay
            assert mobility.actual_start is not None
            asked = _at(mobility.actual_start + dt.timedelta(days=rng.randint(10, 30)))
            change = LearningAgreement(
                mobility=mobility,
                number=number + 1,
                stage=Stage.DURING,
                state=LearningAgreementState.SIGNED,
                student_signed_at=asked,
                promoter_signed_at=asked + dt.timedelta(days=rng.randint(1, 6)),
                host_signer="Exchange coordinator",
                host_signed_at=asked + dt.timedelta(days=rng.randint(7, 20)),
            )
            versions.append(change)
            in_force[mobility.pk] = (change, courses)
    LearningAgreement.objects.bulk_create(versions)
    components: list[Component] = []
    for agreement in versions:
        courses = in_force[agreement.mobility_id][1]
        for table in (Table.A, Table.B):
            for position in range(1, courses + 1):
                title = COURSES[(agreement.mobility_id + position) % len(COURSES)]
                components.append(
                    Component(
                        agreement=agreement,
                        table=table,
                        position=position,
                        code=f"{table}{agreement.mobility_id % 1000:03d}{position}",
                        title=title,
                        ects=Decimal(6 if position % 3 else 5),
                    )
                )
    Component.objects.bulk_create(components)
    return in_force


def _extensions(rng: random.Random, stays: list[Mobility]) -> None:
    """One semester stay in twelve asks to stay longer; most are granted."""
    asking = [m for m in stays if m.kind == MobilityKind.SEMESTER and rng.random() < 1 / 12]
    if not asking:
        return
    if not default_storage.exists(EXTENSION_FORM):
        default_storage.save(EXTENSION_FORM, ContentFile(b"%PDF-1.4\n% demo extension form\n"))
    forms = [
        Document(
            mobility=mobility,
            kind=DocumentKind.EXTENSION_FORM,
            file=EXTENSION_FORM,
            original_name="extension-form.pdf",
            content_type="application/pdf",
            size=32,
            uploaded_by=mobility.student,
        )
        for mobility in asking
    ]
    Document.objects.bulk_create(forms)
    requests = []
    for mobility, form in zip(asking, forms, strict=True):
        assert mobility.planned_end is not None
        granted = rng.random() < 0.75
        requests.append(
            ExtensionRequest(
                mobility=mobility,
                state=ExtensionState.APPROVED if granted else ExtensionState.REFUSED,
                current_end=mobility.planned_end,
                requested_end=mobility.planned_end + dt.timedelta(days=120),
                months_before=mobility.months,
                months_after=mobility.months + 4,
                reason="To take the host's second-semester courses.",
                form=form,
                requested_by=mobility.student,
                decided_at=_at(mobility.planned_end - dt.timedelta(days=50)),
                decision_reason="" if granted else "The host has no place next semester.",
            )
        )
    ExtensionRequest.objects.bulk_create(requests)


def _recognitions(
    rng: random.Random,
    stays: list[Mobility],
    in_force: dict[int, tuple[LearningAgreement, int]],
) -> None:
    """Most stays' recognition is validated (of the last year, four in five so far): each
    table B course gets a grade, one in twelve fails and is not recognised."""
    scales = ensure_standard_scales()
    by_country = {scale.country: scale for scale in scales.values() if scale.country}
    last = max(m.academic_year for m in stays)
    done = [
        m
        for m in stays
        if in_force[m.pk][0].state == LearningAgreementState.SIGNED
        and (m.academic_year < last or rng.random() < 0.8)
    ]
    transcripts = []
    for mobility in done:
        assert mobility.actual_end is not None
        validated = _at(mobility.actual_end + dt.timedelta(days=rng.randint(20, 90)))
        transcripts.append(
            Transcript(
                mobility=mobility,
                agreement=in_force[mobility.pk][0],
                host_scale=by_country.get(str(mobility.host.country), scales["ects"]),
                home_scale=scales["it"],
                state=TranscriptState.VALIDATED,
                received_on=mobility.actual_end + dt.timedelta(days=rng.randint(10, 40)),
                entered_at=validated - dt.timedelta(days=10),
                accepted_at=validated - dt.timedelta(days=8),
                proposed_at=validated - dt.timedelta(days=5),
                validated_at=validated,
            )
        )
        mobility.recognised_at = validated
    Transcript.objects.bulk_create(transcripts)
    Mobility.objects.bulk_update(done, ["recognised_at"])
    table_b: dict[int, list[Component]] = {}
    for component in Component.objects.filter(
        agreement__in=[t.agreement for t in transcripts], table=Table.B
    ).order_by("agreement", "position"):
        table_b.setdefault(component.agreement_id, []).append(component)
    grades, weights = zip(*GRADES, strict=True)
    lines = []
    for transcript in transcripts:
        for component in table_b.get(transcript.agreement_id or 0, []):
            failed = rng.random() < 1 / 12
            grade = "" if failed else rng.choices(grades, weights)[0]
            lines.append(
                RecognitionLine(
                    transcript=transcript,
                    component=component,
                    position=component.position,
                    code=f"H{component.code}",
                    title=component.title,
                    credits=Decimal(0) if failed else (component.ects or Decimal(0)),
                    proposed_grade=grade,
                    grade=grade,
                    flag=LineFlag.FAILED if failed else LineFlag.NONE,
                )
            )
    RecognitionLine.objects.bulk_create(lines)


def _grants(rng: random.Random, mobilities: list[Mobility]) -> None:
    """Some details (fewer opportunities, green travel, ISEE), every grant computed, and the
    instalments paid: the first at the start, the balance after the certificate of stay."""
    cases = []
    for mobility in mobilities:
        details: dict[str, object] = {}
        if rng.random() < 0.15:
            details["fewer_opportunities"] = True
        if rng.random() < 0.1:
            details["green_travel"], details["travel_days"] = True, 2
        if rng.random() < 0.3:
            details["isee"] = Decimal(rng.randrange(8000, 40000, 500))
        if details:
            cases.append(GrantCase(mobility=mobility, **details))
    GrantCase.objects.bulk_create(cases)
    stays = [m for m in mobilities if m.state != MobilityState.WITHDRAWN]
    grants.refresh_grants(mobilities, actor=None, reason="demo")
    found = grants.grants_of(stays)
    last = max(m.academic_year for m in mobilities)
    payments = []
    for mobility in stays:
        grant = found[mobility.pk]
        if grant.grant is None or not grant.instalments:
            continue
        assert mobility.actual_start is not None
        assert mobility.actual_end is not None
        paid: dict[int, Decimal] = {}
        count = len(grant.instalments)
        for number in range(1, count + 1):
            # the last year's balances are partly still to pay
            if number == count and mobility.academic_year == last and rng.random() < 0.5:
                break
            amount = grants.due(grant, paid, number)
            if amount is None or amount == 0:
                continue
            day = (
                mobility.actual_start + dt.timedelta(days=rng.randint(10, 30))
                if number < count
                else mobility.actual_end + dt.timedelta(days=rng.randint(30, 75))
            )
            paid[number] = amount
            payments.append(
                Payment(
                    mobility=mobility,
                    instalment=number,
                    amount=amount,
                    paid_on=day,
                    reference=f"OP-{day.year}-{mobility.pk:05d}",
                )
            )
    Payment.objects.bulk_create(payments)


# ------------------------------------------------------------------------------ past calls

# The editions of the call (a group of Schools each); a School in none of them (a parent
# School without students) goes to the first.
EDITIONS = (
    ("engineering", "Engineering", ENGINEERING_SCHOOLS),
    ("design", "Design", DESIGN_SCHOOLS),
    ("architecture", "Architecture", ARCHITECTURE_SCHOOLS),
)


def _edition_of(student: User, schools: Mapping[int, int | None], editions: dict[int, str]) -> str:
    """The edition of the call a student applies to: their course of study's School's."""
    school = schools.get(student.course_of_study_id or 0)
    return editions.get(school or 0, EDITIONS[0][0])


def _calls(rng: random.Random, mobilities: list[Mobility], students: list[User]) -> int:
    """Each past year's first call of each edition, with its seats, its applications and two
    published rounds, that gave each of that year's mobilities its seat: most students took
    their seat in the first round; a seat renounced (or left without an answer) in the first
    round went to another applicant in the second; some applicants got none, some seats were
    left empty. Returns how many calls."""
    editions = {
        school.pk: code
        for code, _title, codes in EDITIONS
        for school in School.objects.filter(code__in=codes)
    }
    schools: dict[str, list[School]] = {}
    for school in School.objects.order_by("code"):
        schools.setdefault(editions.get(school.pk, EDITIONS[0][0]), []).append(school)
    titles = {code: title for code, title, _codes in EDITIONS}
    school_of = dict(CourseOfStudy.objects.values_list("pk", "school_id"))
    taken = set(Call.objects.values_list("code", flat=True))
    winners: dict[tuple[int, str], list[Mobility]] = {}
    for mobility in mobilities:
        key = (mobility.academic_year, _edition_of(mobility.student, school_of, editions))
        winners.setdefault(key, []).append(mobility)
    calls = [
        Call(
            code=f"{edition}-{year}-1",
            title=f"{titles[edition]} exchange call {year}/{year + 1}",
            academic_year=year,
            number=1,
            opens_at=_at(dt.date(year - 1, 11, 10), 9),
            closes_at=_at(dt.date(year - 1, 12, 12), 12),
            formula=(
                RankingFormula.COMMISSION if edition == "design" else RankingFormula.ENGINEERING
            ),
        )
        for (year, edition) in sorted(winners)
        if f"{edition}-{year}-1" not in taken
    ]
    Call.objects.bulk_create(calls)
    Call.schools.through.objects.bulk_create(
        Call.schools.through(call=call, school=school)
        for call in calls
        for school in schools.get(call.code.split("-")[0], [])
    )
    by_edition: dict[str, list[User]] = {}
    for student in students:
        by_edition.setdefault(_edition_of(student, school_of, editions), []).append(student)
    offers = list({m.offer_id: m.offer for m in mobilities if m.offer is not None}.values())
    call_offers: list[CallOffer] = []
    applications: list[Application] = []
    plans: list[tuple[Application, Mobility | None, list[CallOffer]]] = []
    for call in calls:
        edition = call.code.split("-")[0]
        won = winners[(call.academic_year, edition)]
        seats: dict[int, int] = {}
        for mobility in won:
            assert mobility.offer_id is not None
            seats[mobility.offer_id] = seats.get(mobility.offer_id, 0) + 1
        # a seat more here and there, and offers nobody took: the seats left empty
        extra = rng.sample(offers, min(len(offers), max(1, len(seats) // 3)))
        mine = {
            offer_id: CallOffer(call=call, offer_id=offer_id, seats=count + (rng.random() < 0.2))
            for offer_id, count in seats.items()
        }
        for offer in extra:
            mine.setdefault(offer.pk, CallOffer(call=call, offer=offer, seats=rng.randint(1, 2)))
        call_offers += mine.values()
        winning = {m.student_id for m in won}
        others = [s for s in by_edition.get(edition, []) if s.pk not in winning]
        losers = rng.sample(others, min(len(others), round(len(won) * 0.6) + 1))
        ranked: list[tuple[User, Mobility | None]] = [(m.student, m) for m in won]
        ranked += [(s, None) for s in losers]
        # the ranking: most winners before most others (merit decides, roughly)
        ranked.sort(key=lambda pair: rng.random() + (0.0 if pair[1] else 0.6))
        for rank, (student, seat_of) in enumerate(ranked, start=1):
            draft = seat_of is None and rng.random() < 0.08  # never submitted
            application = Application(
                call=call,
                student=student,
                state=ApplicationState.DRAFT if draft else ApplicationState.SUBMITTED,
                submitted_at=None
                if draft
                else call.closes_at - dt.timedelta(days=rng.randint(1, 25)),
                score=None if draft else Decimal(rng.randint(60000, 98000)) / 1000,
                rank=None if draft else rank,
                eligible=None if draft else True,
            )
            applications.append(application)
            plans.append((application, seat_of, list(mine.values())))
    CallOffer.objects.bulk_create(call_offers)
    Application.objects.bulk_create(applications)
    _preferences_and_rounds(rng, calls, plans)
    return len(calls)


def _published(done: Round | AthensSession) -> dt.datetime:
    """When a past round's or session's results were published (the history sets it)."""
    assert done.published_at is not None
    return done.published_at


def _round(call: Call, number: int, run: int, deadline: int) -> Round:
    """A past round, run ``run`` days after the call closed, published a day later, and
    closed ``deadline`` days after the call."""
    return Round(
        call=call,
        number=number,
        state=RoundState.CLOSED,
        acceptance_deadline=call.closes_at + dt.timedelta(days=deadline),
        run_at=call.closes_at + dt.timedelta(days=run),
        published_at=call.closes_at + dt.timedelta(days=run + 1),
    )


def _preferences_and_rounds(
    rng: random.Random,
    calls: list[Call],
    plans: list[tuple[Application, Mobility | None, list[CallOffer]]],
) -> None:
    preferences: list[Preference] = []
    assignments: list[Assignment] = []
    rounds = {call.pk: (_round(call, 1, 25, 40), _round(call, 2, 50, 70)) for call in calls}
    Round.objects.bulk_create([r for pair in rounds.values() for r in pair])
    # the seats renounced in the first round, by call, for the second round's winners
    freed: dict[int, list[tuple[CallOffer, int]]] = {}
    second: list[tuple[Application, CallOffer, int]] = []
    losers: list[tuple[Application, list[CallOffer]]] = []
    for application, mobility, call_offers in plans:
        ordered = list(call_offers)
        rng.shuffle(ordered)
        chosen = ordered[: rng.randint(2, min(5, len(ordered))) if len(ordered) > 1 else 1]
        if mobility is not None:
            seat = next(c for c in call_offers if c.offer_id == mobility.offer_id)
            chosen = [c for c in chosen if c is not seat]
            chosen.insert(min(len(chosen), rng.choice((0, 0, 0, 1, 2))), seat)
        preferences += [
            Preference(application=application, rank=rank, call_offer=call_offer)
            for rank, call_offer in enumerate(chosen, start=1)
        ]
        if application.state != ApplicationState.SUBMITTED:
            continue
        first, last = rounds[application.call_id]
        decided = _published(first) + dt.timedelta(days=rng.randint(2, 12))
        if mobility is None:
            losers.append((application, chosen))
        elif rng.random() < 0.8:
            assignments.append(
                Assignment(
                    round=first,
                    application=application,
                    call_offer=seat,
                    choice=chosen.index(seat) + 1,
                    state=AssignmentState.ACCEPTED,
                    decided_at=decided,
                )
            )
        else:  # no seat in the first round; one renounced there in the second
            assignments.append(
                Assignment(round=first, application=application, state=AssignmentState.NONE)
            )
            second.append((application, seat, chosen.index(seat) + 1))
            freed.setdefault(application.call_id, []).append((seat, chosen.index(seat) + 1))
    for application, seat, choice in second:
        _first, last = rounds[application.call_id]
        assignments.append(
            Assignment(
                round=last,
                application=application,
                call_offer=seat,
                choice=choice,
                state=AssignmentState.ACCEPTED,
                decided_at=_published(last) + dt.timedelta(days=rng.randint(2, 12)),
            )
        )
    for application, _chosen in losers:
        first, last = rounds[application.call_id]
        seats = freed.get(application.call_id)
        if seats:  # offered a seat in the first round, and renounced it (or let it expire)
            seat, choice = seats.pop()
            expired = rng.random() < 0.3
            assignments.append(
                Assignment(
                    round=first,
                    application=application,
                    call_offer=seat,
                    choice=choice,
                    state=AssignmentState.EXPIRED if expired else AssignmentState.RENOUNCED,
                    decided_at=None if expired else _published(first) + dt.timedelta(days=5),
                )
            )
            continue
        for number in (first, last):
            assignments.append(
                Assignment(round=number, application=application, state=AssignmentState.NONE)
            )
    Preference.objects.bulk_create(preferences)
    Assignment.objects.bulk_create(assignments)


# ------------------------------------------------------------------------------ past ATHENS


def _athens(rng: random.Random, years: list[int], students: list[User], scale: int) -> int:
    """Two ATHENS weeks a past year (November and March), with courses at the network's
    members, applications, the allocation, the students' answers and the results recorded.
    Returns how many sessions."""
    network = Network.objects.filter(code=ATHENS).first()
    if network is None:
        return 0
    members = list(network.members.filter(is_home=False).order_by("country", "name"))
    if not members:
        return 0
    taken = set(AthensSession.objects.filter(network=network).values_list("season", "year"))
    sessions = []
    for year in years:
        for season, when in (
            (Season.NOVEMBER, dt.date(year, 11, 14)),
            (Season.MARCH, dt.date(year + 1, 3, 13)),
        ):
            if (season, when.year) in taken:
                continue
            opens = _at(when - dt.timedelta(days=75), 9)
            sessions.append(
                AthensSession(
                    code=f"athens-{when.year}-{when.month:02d}",
                    network=network,
                    season=season,
                    year=when.year,
                    starts_on=when,
                    ends_on=when + dt.timedelta(days=7),
                    applications_open_at=opens,
                    applications_close_at=opens + dt.timedelta(days=29, hours=3),
                    max_choices=3,
                    min_credits=60,
                    results_state=ResultsState.CLOSED,
                    allocated_at=opens + dt.timedelta(days=31),
                    published_at=opens + dt.timedelta(days=31),
                    acceptance_deadline=opens + dt.timedelta(days=42),
                )
            )
    AthensSession.objects.bulk_create(sessions)
    courses: dict[int, list[AthensCourse]] = {}
    for session in sessions:
        # eight of the network's courses, a different eight each week
        numbers = rng.sample(range(1, len(ATHENS_COURSES) + 1), min(len(ATHENS_COURSES), 8))
        courses[session.pk] = [
            course_row(session, members, number, rng.choice((1, 2, 2, 3)) * scale)
            for number in numbers
        ]
    AthensCourse.objects.bulk_create([c for found in courses.values() for c in found])
    applications: list[AthensApplication] = []
    picks: list[list[AthensCourse]] = []
    for session in sessions:
        assert session.applications_close_at is not None
        applicants = rng.sample(students, min(len(students), rng.randint(12, 18) * scale))
        for rank, student in enumerate(applicants, start=1):
            applications.append(
                AthensApplication(
                    session=session,
                    student=student,
                    state=AthensApplicationState.SUBMITTED,
                    motivation="I would like to discover another approach to my field.",
                    submitted_at=session.applications_close_at
                    - dt.timedelta(days=rng.randint(1, 20)),
                    score=Decimal(rng.randint(60000, 98000)) / 1000,
                    rank=rank,
                    eligible=True,
                )
            )
            # the first courses are the popular ones
            offered = courses[session.pk]
            picks.append([*rng.sample(offered[:3], 2), rng.choice(offered[3:])])
    AthensApplication.objects.bulk_create(applications)
    choices = [
        AthensChoice(application=application, rank=rank, course=course)
        for application, chosen in zip(applications, picks, strict=True)
        for rank, course in enumerate(chosen, start=1)
    ]
    AthensChoice.objects.bulk_create(choices)
    left = {c.pk: c.capacity for found in courses.values() for c in found}
    allocations = []
    for application, chosen in zip(applications, picks, strict=True):
        got = next(((n, c) for n, c in enumerate(chosen, start=1) if left[c.pk] > 0), None)
        if got is None:
            allocations.append(
                AthensAllocation(application=application, state=AllocationState.NONE)
            )
            continue
        choice, course = got
        left[course.pk] -= 1
        answer = rng.random()
        state = (
            AllocationState.ACCEPTED
            if answer < 0.8
            else AllocationState.DECLINED
            if answer < 0.92
            else AllocationState.EXPIRED
        )
        allocations.append(
            AthensAllocation(
                application=application,
                course=course,
                choice=choice,
                state=state,
                decided_at=None
                if state == AllocationState.EXPIRED
                else _published(application.session) + dt.timedelta(days=rng.randint(1, 9)),
            )
        )
    AthensAllocation.objects.bulk_create(allocations)
    participations = []
    for allocation in allocations:
        if allocation.state != AllocationState.ACCEPTED:
            continue
        session = allocation.application.session
        outcome = rng.random()
        passed = True if outcome < 0.85 else False if outcome < 0.95 else None
        participations.append(
            Participation(
                allocation=allocation,
                student=allocation.application.student,
                course=allocation.course,
                nominated_at=allocation.decided_at or _published(session),
                passed=passed,
                ects_earned=None if passed is None else Decimal(2) if passed else Decimal(0),
                recorded_at=None
                if passed is None
                else _at(session.ends_on + dt.timedelta(days=10)),
            )
        )
    Participation.objects.bulk_create(participations)
    return len(sessions)
