"""The recognition's demo, loaded after the mobility's (``python -m abroad demo``).

``load_recognition_demo()`` adds, when missing:

* the standard grading scales, and ``ie``, "Ireland percentage 0-100" passing at 40: a scale
  the office defines for its Irish partners;
* the conversion rules an office keeps (``python -m abroad recognition rules`` lists them):

  - for every mobility, the ministry's linear formula 18 + 12 (V - Vmin) / (Vmax - Vmin),
    rounding half up, from France 0-20, Germany 1.0-5.0, Spain 0-10 (where the Matrícula de
    Honor gives 30 e lode), the Netherlands 1-10, UK percentages (undergraduate and
    postgraduate modules), US letters (through their GPA points) and Irish percentages; and
    ECTS letters through the 10/25/30/25/10 bands;
  - for the School AUIC-ARCH, a fixed table from France 0-20. It is illustrative: the real
    AUIC/ARCH table is not public, and the rule's name says so;
  - for the course of study AUIC-MSC-BAE, a two-step table from France 0-20 through ECTS
    letters, illustrative too (AUIC-ENG's courses of study set their own conversion);
  - for TU Dublin and the MSc in Mechanical Engineering, grading tables (EGRACONS, closest);

* two grading tables of ISCED-F 0715, second cycle, over the last two finished academic
  years: Politecnico's, built from a file of past grades of the MSc in Mechanical Engineering
  as the office would upload it, and TU Dublin's, in Irish percentages;
* ``returnee`` (no login): a student of that MSc back from a semester at a partner (RWTH
  Aachen with the demo data) last academic year: mobility completed, learning agreement
  signed by all three, the host's transcript entered by the office, accepted by the student,
  the recognition proposed, one grade raised to 30 e lode by the promoter (with the reason)
  and validated, so that the registrar's export has rows.

The ``erasmus`` student's transcript is not entered: that is the next step to try. Every step
goes through the services; only the dates are then moved back to when they would have
happened. Loading twice changes nothing. The grades and both grade distributions are
invented; the people are invented; e-mails are not sent.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.test.utils import override_settings
from django.utils import timezone

from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.models import CourseOfStudy, Institution, Offer, Promoter, School
from abroad.core import audit
from abroad.core.academic_year import current_start_year, format_year
from abroad.mobility import services as mobility_services
from abroad.mobility.checks import Row
from abroad.mobility.enums import DocumentKind, MobilityState, Table
from abroad.mobility.models import Document, LearningAgreement, Mobility
from abroad.mobility.pdf import render_learning_agreement
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.recognition import services
from abroad.recognition.enums import Cycle, Method, TranscriptState
from abroad.recognition.models import (
    ConversionRule,
    GradingScale,
    GradingTable,
    RecognitionLine,
    Transcript,
    TranscriptEntry,
)
from abroad.recognition.services import EntryData
from abroad.site.demo.mobility import ERASMUS, ORIGIN, PREFERRED_COURSE, PROMOTER

RETURNEE = "returnee"
# first name, last name, student number: invented
RETURNEE_NAME = ("Nicolò", "Brambilla", "100103")
OFFICE = "office"

IRELAND = "ie"
IRELAND_NAME = "Ireland percentage 0-100"
IRELAND_DEFINITION = {"lowest": 0, "highest": 100, "pass_mark": 40, "step": 1}
TU_DUBLIN = "IRLDUBLIN44"
REFERENCE_COURSE = PREFERRED_COURSE  # the MSc in Mechanical Engineering, ISCED-F 0715
ISCED = "0715"
ARCH_SECTION = "AUIC-ARCH"
BAE_COURSE = "AUIC-MSC-BAE"
GRADES_FILE = "demo-past-grades-3I-MSC-MECH.csv"

# The default rules: the ministry's linear formula from each common host scale (and whether
# the host's best grade, its honours grade when it has one, gives 30 e lode).
LINEAR_DEFAULTS: tuple[tuple[str, bool], ...] = (
    ("fr", False),
    ("de", False),
    ("es", True),
    ("nl", False),
    ("uk", False),
    ("uk-pg", False),
    ("us", False),
    (IRELAND, False),
)

# Illustrative, not the AUIC/ARCH table (which is not public): French 0-20 to Italian grades.
ARCH_FRANCE_BANDS = [
    ["20", "18", "30L"],
    ["17.99", "17", "30"],
    ["16.99", "16", "29"],
    ["15.99", "15", "28"],
    ["14.99", "14.5", "27"],
    ["14.49", "14", "26"],
    ["13.99", "13.5", "25"],
    ["13.49", "13", "24"],
    ["12.99", "12.5", "23"],
    ["12.49", "12", "22"],
    ["11.99", "11.5", "21"],
    ["11.49", "11", "20"],
    ["10.99", "10.5", "19"],
    ["10.49", "10", "18"],
]
# Illustrative two-step table: French bands to ECTS letters, each letter's Italian band.
BAE_FRANCE_HOST_BANDS = [
    ["20", "16", "A"],
    ["15.99", "14", "B"],
    ["13.99", "12", "C"],
    ["11.99", "11", "D"],
    ["10.99", "10", "E"],
]
BAE_HOME_BANDS = [
    ["30L", "29", "A"],
    ["28", "27", "B"],
    ["26", "24", "C"],
    ["23", "21", "D"],
    ["20", "18", "E"],
]

# Politecnico's passing grades in the MSc in Mechanical Engineering, per academic year (the
# older first): invented, shaped as Italian engineering grades are (many 30s, few 18s).
HOME_COUNTS: dict[str, tuple[int, int]] = {
    "18": (17, 19),
    "19": (14, 13),
    "20": (21, 22),
    "21": (25, 24),
    "22": (31, 33),
    "23": (38, 39),
    "24": (52, 54),
    "25": (56, 55),
    "26": (66, 67),
    "27": (70, 71),
    "28": (80, 82),
    "29": (63, 62),
    "30": (105, 107),
    "30L": (60, 59),
}

# The returnee's semester: five host courses of 6 ECTS and the home courses they replace, one
# to one (invented codes and titles).
RETURNEE_HOST_COURSES = (
    ("MB-4110", "Advanced Machine Dynamics"),
    ("MB-4120", "Computational Methods in Solid Mechanics"),
    ("MB-4130", "Internal Combustion Engines and Hybrid Drives"),
    ("MB-4140", "Tribology and Machine Elements"),
    ("MB-4150", "Robotics and Automation Lab"),
)
RETURNEE_HOME_COURSES = (
    ("052512", "Dynamics of Mechanical Systems"),
    ("052518", "Computational Solid Mechanics"),
    ("052523", "Internal Combustion Engines"),
    ("052531", "Machine Design"),
    ("052540", "Industrial Robotics"),
)
# The partner's country, best first, and the grades of the five courses in its scale.
RETURNEE_GRADES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("DE", "de", ("1.3", "2.0", "1.7", "2.7", "1.0")),
    ("FR", "fr", ("14.5", "12", "13.25", "11", "18.5")),
    ("ES", "es", ("8.5", "7", "7.8", "6.2", "9.6")),
    ("NL", "nl", ("8", "7", "7.5", "6.5", "9.5")),
)
HOST_SIGNER = "Dr. Katrin Hoffmann, exchange coordinator"
LODE_REASON = (
    "The best result of the class at the host, with distinction on its transcript: the "
    "board of the course of study grants the lode."
)

# The rows this demo may add, for its count.
COUNTED: tuple[type[Model], ...] = (
    GradingScale,
    ConversionRule,
    GradingTable,
    User,
    Mobility,
    LearningAgreement,
    Document,
    Transcript,
    TranscriptEntry,
    RecognitionLine,
)


@dataclass(frozen=True)
class RecognitionDemoSummary:
    scales: int
    rules: int
    tables: int
    transcripts: int
    validated: int
    created: int = 0  # rows added by this load

    def lines(self) -> list[str]:
        lines = [
            f"Recognition:   {_count(self.rules, 'conversion rule')}, "
            f"{_count(self.tables, 'grading table')}, "
            f"{_count(self.transcripts, 'transcript')} ({self.validated} validated); the rules: "
            "python -m abroad recognition rules"
        ]
        returnee = (
            Mobility.objects.filter(student__username=RETURNEE, origin=ORIGIN)
            .select_related("host")
            .first()
        )
        transcript = Transcript.objects.filter(mobility=returnee).first() if returnee else None
        if returnee is not None and transcript is not None:
            credits = sum(
                (line.credits for line in transcript.lines.all() if line.grade), Decimal(0)
            )
            lines.append(
                f"  {RETURNEE} (no login; the office and promoter see it): back from "
                f"{returnee.host.display_name} "
                f"({format_year(returnee.academic_year)}), "
                f"{transcript.get_state_display().lower()}: {services.plain(credits)} ECTS; "
                "the registrar's file: python -m abroad recognition export"
            )
        erasmus = (
            Mobility.objects.filter(student__username=ERASMUS, origin=ORIGIN)
            .select_related("host", "student__course_of_study")
            .first()
        )
        if erasmus is not None and not Transcript.objects.filter(mobility=erasmus).exists():
            line = f"  {ERASMUS}: transcript not entered yet"
            scales = list(GradingScale.objects.filter(country=erasmus.host.country))
            rule = services.rule_for(erasmus, scales[0]) if len(scales) == 1 else None
            if rule is not None:
                line += f"; its grades will convert by “{rule.name}”"
            lines.append(line)
        return lines


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def summary(*, created: int = 0) -> RecognitionDemoSummary:
    return RecognitionDemoSummary(
        scales=GradingScale.objects.count(),
        rules=ConversionRule.objects.count(),
        tables=GradingTable.objects.count(),
        transcripts=Transcript.objects.count(),
        validated=Transcript.objects.filter(state=TranscriptState.VALIDATED).count(),
        created=created,
    )


def _rows() -> int:
    return sum(model._default_manager.count() for model in COUNTED)


def load_recognition_demo(*, today: dt.date | None = None) -> RecognitionDemoSummary:
    """Add whatever of the recognition's demo is missing (see the module); return the counts.
    Without the catalogue's demo only the scales and the rules for every mobility are added."""
    today = today or timezone.localdate()
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        before = _rows()
        scales = services.ensure_standard_scales()
        scales[IRELAND] = _ireland()
        _default_rules(scales)
        _school_rules(scales)
        office = User.objects.filter(username=OFFICE).first()
        _grading_tables(scales, office, today)
        promoter = Promoter.objects.filter(user__username=PROMOTER).select_related("user").first()
        if promoter is not None and not User.objects.filter(username=RETURNEE).exists():
            _returnee(scales, promoter, office, today)
        created = _rows() - before
        if created:
            audit.record(actor=None, action="demo.recognition_loaded", created=created)
    return summary(created=created)


# ---------------------------------------------------------------------------- scales, rules


def _ireland() -> GradingScale:
    scale, _created = GradingScale.objects.get_or_create(
        code=IRELAND,
        defaults={"name": IRELAND_NAME, "country": "IE", "definition": IRELAND_DEFINITION},
    )
    return scale


def _add_rule(**fields: Any) -> ConversionRule | None:
    """The rule, unless one of the same scope already converts that host scale."""
    scope = {key: fields.get(key) for key in ("school", "course_of_study", "partner")}
    if ConversionRule.objects.filter(host_scale=fields["host_scale"], **scope).exists():
        return None
    rule = ConversionRule(**fields)
    rule.full_clean()
    rule.save()
    return rule


def _default_rules(scales: dict[str, GradingScale]) -> None:
    home = scales["it"]
    for key, lode in LINEAR_DEFAULTS:
        host = scales[key]
        name = f"Ministry formula: {host.name}"
        if lode:
            name += f" ({host.scale().honours_grade} gives 30L)"
        _add_rule(
            name=name,
            host_scale=host,
            home_scale=home,
            method=Method.LINEAR,
            parameters={"rounding": "half up", "lode_at_best": lode},
        )
    _add_rule(
        name="ECTS letters: the 10/25/30/25/10 bands",
        host_scale=scales["ects"],
        home_scale=home,
        method=Method.ECTS_FALLBACK,
        parameters={"policy": "closest"},
    )


def _school_rules(scales: dict[str, GradingScale]) -> None:
    section = School.objects.filter(code=ARCH_SECTION).first()
    if section is not None:
        _add_rule(
            name=(
                f"{ARCH_SECTION}: France 0-20 table (illustrative: the real AUIC/ARCH table "
                "is not public)"
            ),
            school=section,
            host_scale=scales["fr"],
            home_scale=scales["it"],
            method=Method.FIXED_TABLE,
            parameters={"bands": ARCH_FRANCE_BANDS},
        )
    course = CourseOfStudy.objects.filter(code=BAE_COURSE).first()
    if course is not None:
        _add_rule(
            name=f"{BAE_COURSE}: France 0-20 through ECTS letters (illustrative)",
            course_of_study=course,
            host_scale=scales["fr"],
            home_scale=scales["it"],
            method=Method.TWO_STEP,
            parameters={"host_bands": BAE_FRANCE_HOST_BANDS, "home_bands": BAE_HOME_BANDS},
        )


# ---------------------------------------------------------------------------- grading tables


def _reference_years(today: dt.date) -> tuple[int, int]:
    """The last two finished academic years."""
    last = current_start_year(today) - 1
    return last - 1, last


def _home_grades_file(years: tuple[int, int]) -> io.BytesIO:
    """Past grades as the registrar would give them: one row per grade, year and count."""
    rows = ["course_of_study,academic_year,grade,count"]
    for index, year in enumerate(years):
        rows += [
            f"{REFERENCE_COURSE},{format_year(year)},{grade},{counts[index]}"
            for grade, counts in HOME_COUNTS.items()
        ]
    return io.BytesIO(("\n".join(rows) + "\n").encode())


def _irish_counts() -> dict[str, int]:
    """Invented: about 1,800 module marks over two years, a bell around 63 % (sd 10.5)."""
    weights = {mark: math.exp(-(((mark - 63) / 10.5) ** 2) / 2) for mark in range(40, 101)}
    total = sum(weights.values())
    counts = {str(mark): round(1800 * weight / total) for mark, weight in weights.items()}
    return {mark: count for mark, count in counts.items() if count}


def _grading_tables(scales: dict[str, GradingScale], office: User | None, today: dt.date) -> None:
    course = CourseOfStudy.objects.filter(code=REFERENCE_COURSE).first()
    home = Institution.objects.find_home()
    dublin = Institution.objects.filter(erasmus_code=TU_DUBLIN).first()
    if course is None or home is None or dublin is None:
        return
    first, last = _reference_years(today)
    group = {"isced_code": ISCED, "cycle": Cycle.SECOND}
    home_table = GradingTable.objects.filter(institution=home, scale=scales["it"], **group).first()
    if home_table is None:
        report = services.build_home_grading_table(
            institution=home,
            scale=scales["it"],
            isced_code=ISCED,
            cycle=Cycle.SECOND,
            file=_home_grades_file((first, last)),
            name=GRADES_FILE,
            actor=office,
        )
        if report.table is None:
            raise RuntimeError(f"the demo's home grading table: {report.summary()}")
        home_table = report.table
        home_table.source += " (invented for the demo)"
        home_table.save(update_fields=["source"])
    host_table = GradingTable.objects.filter(
        institution=dublin, scale=scales[IRELAND], **group
    ).first()
    if host_table is None:
        counts = _irish_counts()
        total = sum(counts.values())
        host_table = GradingTable(
            institution=dublin,
            scale=scales[IRELAND],
            first_year=first,
            last_year=last,
            counts=counts,
            percentages={
                mark: str((Decimal(100) * n / total).quantize(Decimal("0.01")))
                for mark, n in counts.items()
            },
            source=(
                "Invented for the demo: an illustrative distribution of module marks; the "
                "partner's real table comes with its transcripts (EWP) or its website."
            ),
            **group,
        )
        host_table.full_clean()
        host_table.save()
    _add_rule(
        name=f"{dublin.display_name}, {course.code}: grading tables (EGRACONS)",
        partner=dublin,
        course_of_study=course,
        host_scale=scales[IRELAND],
        home_scale=scales["it"],
        method=Method.GRADING_TABLES,
        parameters={"policy": "closest"},
        host_table=host_table,
        home_table=home_table,
    )


# ------------------------------------------------------------------------------ returnee


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _returnee_offer(course: CourseOfStudy) -> tuple[Offer, str, tuple[str, ...]] | None:
    """A one-semester Erasmus+ study offer open to ``course``, at a partner of the first
    country that has one, with that country's scale and grades."""
    offers = Offer.objects.filter(
        courses=course,
        mobility_type=MobilityType.STUDY,
        level_master=True,
        months__lte=6,
        agreement__status=AgreementStatus.ACTIVE,
        agreement__programme=Programme.ERASMUS,
    ).order_by("pk")
    for country, scale, grades in RETURNEE_GRADES:
        offer = offers.filter(agreement__partner__country=country).first()
        if offer is not None:
            return offer, scale, grades
    return None


def _returnee(
    scales: dict[str, GradingScale], promoter: Promoter, office: User | None, today: dt.date
) -> None:
    course = CourseOfStudy.objects.filter(code=REFERENCE_COURSE).first()
    if course is None:
        return
    choice = _returnee_offer(course)
    if choice is None:
        return
    offer, scale_key, grades = choice
    course.coordinators.add(promoter)  # the promoter validates the recognition
    year = current_start_year(today) - 1
    arrival, departure = dt.date(year, 9, 15), dt.date(year + 1, 2, 13)
    first, last, number = RETURNEE_NAME
    student = User(
        username=RETURNEE,
        first_name=first,
        last_name=last,
        email=f"{RETURNEE}@example.org",
        role=Role.STUDENT,
        student_number=number,
        course_of_study=course,
    )
    student.set_unusable_password()
    student.save()

    # The mobility and its learning agreement, signed by all three before the departure.
    mobility = mobility_services.create_mobility(
        student=student, offer=offer, academic_year=year, origin=ORIGIN, actor=office
    )
    mobility.planned_start, mobility.planned_end = arrival, departure
    mobility.months = mobility_services.months_between(arrival, departure)
    mobility.save(update_fields=["planned_start", "planned_end", "months"])
    for state in (MobilityState.APPLIED, MobilityState.ACCEPTED):
        mobility_services.set_state(mobility=mobility, state=state, actor=office)
    draft = mobility_services.open_draft(mobility=mobility, actor=student)
    term = f"Autumn semester {format_year(year)}"
    rows = [
        Row(table=Table.A, code=code, title=title, term=term, ects=Decimal(6))
        for code, title in RETURNEE_HOST_COURSES
    ] + [
        Row(table=Table.B, code=code, title=title, ects=Decimal(6))
        for code, title in RETURNEE_HOME_COURSES
    ]
    mobility_services.save_draft(
        agreement=draft,
        actor=student,
        rows=rows,
        language=offer.language,
        language_level=offer.language_level or "B2",
    )
    mobility_services.submit(agreement=draft, actor=student)
    approved = mobility_services.approve(agreement=draft, actor=promoter.user)
    signed_copy = mobility_services.upload_document(
        mobility=mobility,
        kind=DocumentKind.SIGNED_LA,
        file=SimpleUploadedFile(
            "learning-agreement-signed.pdf",
            render_learning_agreement(approved),
            content_type="application/pdf",
        ),
        actor=office,
    )
    mobility_services.record_host_signature(
        agreement=approved, actor=office, signer=HOST_SIGNER, document=signed_copy
    )
    for state, day in ((MobilityState.IN_MOBILITY, arrival), (MobilityState.COMPLETED, departure)):
        mobility_services.set_state(
            mobility=mobility,
            state=state,
            actor=office,
            arrived_on=day if state == MobilityState.IN_MOBILITY else None,
            left_on=day if state == MobilityState.COMPLETED else None,
        )

    # The recognition: the transcript entered, accepted, the proposal adjusted and validated.
    received = departure + dt.timedelta(days=30)
    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=scales[scale_key],
        entries=[
            EntryData(code, grade=grade)
            for (code, _title), grade in zip(RETURNEE_HOST_COURSES, grades, strict=True)
        ],
        actor=office,
        received_on=received,
    )
    services.accept_transcript(transcript=transcript, actor=student)
    services.propose_recognition(transcript=transcript, actor=office)
    best = transcript.lines.order_by("position").last()
    adjusted = best is not None and best.proposed_grade == "30"
    if best is not None and adjusted:
        services.adjust_line(line=best, grade="30L", reason=LODE_REASON, actor=promoter.user)
    services.validate_recognition(transcript=transcript, actor=promoter.user)

    # What happened before today happened on its day.
    LearningAgreement.objects.filter(pk=draft.pk).update(
        created_at=_at(arrival - dt.timedelta(days=75), 9),
        student_signed_at=_at(arrival - dt.timedelta(days=70), 18),
        promoter_signed_at=_at(arrival - dt.timedelta(days=66), 11),
        host_signed_at=_at(arrival - dt.timedelta(days=45), 10),
    )
    Document.objects.filter(pk=signed_copy.pk).update(
        uploaded_at=_at(arrival - dt.timedelta(days=44), 16)
    )
    Transcript.objects.filter(pk=transcript.pk).update(
        entered_at=_at(received + dt.timedelta(days=1), 10),
        accepted_at=_at(received + dt.timedelta(days=4), 21),
        proposed_at=_at(received + dt.timedelta(days=5), 9),
        validated_at=_at(received + dt.timedelta(days=12), 15),
    )
    if best is not None and adjusted:
        RecognitionLine.objects.filter(pk=best.pk).update(
            adjusted_at=_at(received + dt.timedelta(days=12), 14)
        )
