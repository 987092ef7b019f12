"""The demo's past: three academic years of mobilities before the current one, so that every
figure of the office's statistics (and a partner's public page) shows something that looks
real. Each year sends about as many students as the demo has (``scale`` times 36), mostly
Erasmus+ semesters, some whole years, a few withdrawn; each stay has its learning agreement
(a few returned once, some changed during the stay, some never signed by the host), a few ask
for an extension, most have their recognition validated with grades, and each has its grant
(computed by the grants' engine, on the 2025/26 amounts: the demo has no earlier table) with
its instalments paid.

Invented and deterministic: a fixed seed, dates counted from the current academic year, so two
loads on the same day give the same rows. The rows are written in bulk (the ordinary services
write one row at a time and would take minutes at ``demo --scale 10``); the grants go through
``grants.services.refresh_grants`` like everybody's, and the payments are the amounts the
payment list would have asked for."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Offer
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
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.recognition.enums import LineFlag, TranscriptState
from abroad.recognition.models import RecognitionLine, Transcript
from abroad.recognition.services.scales_and_rules import ensure_standard_scales
from abroad.site.demo.grants import RATES, RATES_YEAR

ORIGIN = "demo history"
YEARS = 3
PER_YEAR = 36  # mobilities per past year, times the demo's scale
SEED = 17
EXTENSION_FORM = "demo/history-extension-form.pdf"
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

    def lines(self) -> list[str]:
        if not self.years:
            return ["History:       no past mobilities (no students or offers)"]
        first, last = min(self.years), max(self.years)
        return [
            f"History:       {self.mobilities} past mobilities, {first}/{first + 1} to "
            f"{last}/{last + 1}, with learning agreements, recognitions and grants"
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
