"""The mobility's demo, loaded after the selection's (``python -m abroad demo``).

``load_mobility_demo()`` adds, when missing, two students of a course of study coordinated by
the demo login ``promoter`` (who is made its coordinator if needed):

* ``erasmus``: in mobility at a real demo partner, on an extendable Erasmus+ offer whose
  agreement the demo ``promoter`` promotes; arrived 12 days ago, planned end in about five
  months; the first version of the learning agreement signed by all three (five host courses
  of 6 ECTS and their home counterparts), the host's acceptance letter, a language certificate
  meeting the offer's requirement and a career with no mobility months used, so that a change
  of the learning agreement and an extension can be tried at once;
* ``thesis``: nominated for a thesis abroad, with no learning agreement yet.

Every step goes through the services, as the student, the promoter and the office would take
it; only the signature dates are then moved back to before the departure. Loading twice
changes nothing. The people, course codes and titles are invented; e-mails are not sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.html import escape

from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.models import CourseOfStudy, Offer, Promoter
from abroad.core import audit
from abroad.core.academic_year import current_start_year, format_year
from abroad.core.enums import DegreeLevel
from abroad.mobility import services
from abroad.mobility.checks import Row
from abroad.mobility.enums import DocumentKind, MobilityState, Table
from abroad.mobility.models import Document, LearningAgreement, Mobility
from abroad.mobility.pdf import html_to_pdf, render_learning_agreement
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.site.demo.catalogue import PASSWORD

ERASMUS = "erasmus"
THESIS = "thesis"
ORIGIN = "demo"
PROMOTER = "promoter"
# The course of study the demo students attend, if it has a fitting offer (else another MSc
# course the promoter coordinates, else any MSc course).
PREFERRED_COURSE = "3I-MSC-MECH"
# (username, first name, last name, student number): invented.
STUDENTS = {
    ERASMUS: ("Francesca", "Colombo", "100101"),
    THESIS: ("Davide", "Marchetti", "100102"),
}
# Five host courses of 6 ECTS and the home courses they replace: invented codes and titles.
HOST_COURSES = (
    ("MEC40010", "Advanced Computational Fluid Dynamics"),
    ("MEC40020", "Finite Element Analysis"),
    ("MEC40030", "Renewable Energy Systems"),
    ("MEC40040", "Advanced Manufacturing Processes"),
    ("MEC40050", "Mechatronics and Motion Control"),
)
HOME_COURSES = (
    ("052380", "Computational Fluid Dynamics"),
    ("052405", "Structural Mechanics of Machines"),
    ("052411", "Energy Systems"),
    ("052420", "Manufacturing Technologies"),
    ("052430", "Mechatronic Systems"),
)
HOST_SIGNER = "Dr. Claire Martin, exchange coordinator"
# The host's contact for the learning agreement (EWP names one, with an e-mail): invented.
HOST_CONTACT = "Claire Martin <claire.martin@example.org>"
CERTIFICATES = {"en": "IELTS Academic", "fr": "DELF", "de": "Goethe-Zertifikat", "es": "DELE"}


@dataclass(frozen=True)
class MobilityDemoSummary:
    mobilities: int
    agreements: int
    documents: int
    created: int = 0  # rows added by this load

    def lines(self) -> list[str]:
        lines = [
            f"Mobilities:    {self.mobilities} (learning agreement versions: {self.agreements}, "
            f"documents: {self.documents})"
        ]
        demo = (
            Mobility.objects.filter(student__username__in=STUDENTS, origin=ORIGIN)
            .select_related("student", "host")
            .order_by("student__username")
        )
        for mobility in demo:
            lines.append(
                f"  {mobility.student.username}: {mobility.get_state_display().lower()} at "
                f"{mobility.host.display_name} ({mobility.get_kind_display().lower()})"
            )
        return lines


def summary(*, created: int = 0) -> MobilityDemoSummary:
    return MobilityDemoSummary(
        mobilities=Mobility.objects.count(),
        agreements=LearningAgreement.objects.count(),
        documents=Document.objects.count(),
        created=created,
    )


def load_mobility_demo(*, today: dt.date | None = None) -> MobilityDemoSummary:
    """Add whatever of the mobility's demo is missing (see the module); return the counts.
    Without the catalogue's demo (no ``promoter`` login) there is nothing to add."""
    today = today or timezone.localdate()
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        created = 0
        promoter = Promoter.objects.filter(user__username=PROMOTER).select_related("user").first()
        office = User.objects.filter(username="office").first()
        if promoter is not None:
            if not User.objects.filter(username=ERASMUS).exists():
                created += _erasmus(promoter, office, today)
            if not User.objects.filter(username=THESIS).exists():
                created += _thesis(promoter, office, today)
        if created:
            audit.record(actor=None, action="demo.mobility_loaded", created=created)
    return summary(created=created)


# ------------------------------------------------------------------------------- helpers


def _courses(promoter: Promoter) -> list[CourseOfStudy]:
    """The MSc courses to try, best first."""
    masters = CourseOfStudy.objects.filter(level=DegreeLevel.MASTER)
    coordinated = set(masters.filter(coordinators=promoter).values_list("pk", flat=True))
    return sorted(
        masters,
        key=lambda course: (
            course.code != PREFERRED_COURSE,
            course.pk not in coordinated,
            course.pk,
        ),
    )


def _choose(offers: QuerySet[Offer], promoter: Promoter) -> tuple[Offer, CourseOfStudy] | None:
    """The first offer open to one of the courses to try, with that course."""
    for course in _courses(promoter):
        offer = offers.filter(courses=course).order_by("pk").first()
        if offer is not None:
            return offer, course
    return None


def _student(username: str, course: CourseOfStudy, password: str) -> User:
    first, last, number = STUDENTS[username]
    return User.objects.create(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
        role=Role.STUDENT,
        student_number=number,
        course_of_study=course,
        password=password,
    )


def _career(student: User, today: dt.date) -> StudentCareer:
    """An MSc student in the second year, no mobility months used yet."""
    return StudentCareer.objects.create(
        student=student,
        first_enrolment_year=current_start_year(today) - 4,
        credits_bachelor=180,
        average_bachelor=Decimal("26.80"),
        credits_master=54,
        average_master=Decimal("27.60"),
        first_year_completed=True,
        months_used=0,
    )


def _certificate(student: User, offer: Offer) -> LanguageCertificate:
    """A certificate of the offer's language at its required level (B2 when none is set)."""
    return LanguageCertificate.objects.create(
        student=student,
        language=offer.language,
        level=offer.language_level or "B2",
        name=CERTIFICATES.get(offer.language, "Language certificate"),
        issued_on=dt.date(current_start_year() - 1, 6, 15),
    )


def _upload(
    mobility: Mobility, kind: str, name: str, content: bytes, actor: User | None
) -> Document:
    return services.upload_document(
        mobility=mobility,
        kind=kind,
        file=SimpleUploadedFile(name, content, content_type="application/pdf"),
        actor=actor,
    )


def _acceptance_letter(mobility: Mobility, semester: str) -> bytes:
    student = mobility.student
    host = mobility.host.display_name
    return html_to_pdf(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Letter of acceptance</title>"
        "</head><body style='font-family: sans-serif'>"
        f"<h1>{escape(host)}</h1><h2>Letter of acceptance</h2>"
        f"<p>We are pleased to confirm that {escape(student.get_full_name())}, student of "
        f"Politecnico di Milano, is accepted as an exchange student for the {escape(semester)}."
        "</p><p>International Office</p>"
        "<p><small>An invented document of the abroad demo.</small></p></body></html>"
    )


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


# ------------------------------------------------------------------------------- students


def _erasmus(promoter: Promoter, office: User | None, today: dt.date) -> int:
    offers = Offer.objects.filter(
        extendable=True,
        mobility_type=MobilityType.STUDY,
        level_master=True,
        agreement__status=AgreementStatus.ACTIVE,
        agreement__programme=Programme.ERASMUS,
        agreement__promoter=promoter,
    )
    choice = _choose(offers, promoter)
    if choice is None:
        return 0
    offer, course = choice
    course.coordinators.add(promoter)
    if not offer.agreement.partner_contact:
        offer.agreement.partner_contact = HOST_CONTACT
        offer.agreement.save(update_fields=["partner_contact"])
    arrival = today - dt.timedelta(days=12)
    planned_end = today + dt.timedelta(days=150)
    academic_year = current_start_year(arrival)
    semester = (
        f"{'autumn' if arrival.month >= 8 or arrival.month == 1 else 'spring'} semester "
        f"{format_year(academic_year)}"
    )

    student = _student(ERASMUS, course, make_password(PASSWORD))
    _career(student, today)
    _certificate(student, offer)
    mobility = services.create_mobility(
        student=student, offer=offer, academic_year=academic_year, origin=ORIGIN, actor=office
    )
    mobility.planned_start = arrival
    mobility.planned_end = planned_end
    mobility.months = services.months_between(arrival, planned_end)
    mobility.save(update_fields=["planned_start", "planned_end", "months"])
    for state in (MobilityState.APPLIED, MobilityState.ACCEPTED):
        services.set_state(mobility=mobility, state=state, actor=office)
    letter = _upload(
        mobility,
        DocumentKind.ACCEPTANCE_LETTER,
        "acceptance-letter.pdf",
        _acceptance_letter(mobility, semester),
        office,
    )

    # The learning agreement, before the departure: drafted and signed by the student,
    # approved by the promoter, signed by the host.
    draft = services.open_draft(mobility=mobility, actor=student)
    term = semester.capitalize()
    rows = [
        Row(table=Table.A, code=code, title=title, term=term, ects=Decimal(6))
        for code, title in HOST_COURSES
    ] + [
        Row(table=Table.B, code=code, title=title, ects=Decimal(6)) for code, title in HOME_COURSES
    ]
    services.save_draft(
        agreement=draft,
        actor=student,
        rows=rows,
        language=offer.language,
        language_level=offer.language_level or "B2",
    )
    services.submit(agreement=draft, actor=student)
    approved = services.approve(agreement=draft, actor=promoter.user)
    signed_copy = _upload(
        mobility,
        DocumentKind.SIGNED_LA,
        "learning-agreement-signed.pdf",
        render_learning_agreement(approved),
        student,
    )
    services.record_host_signature(
        agreement=approved, actor=office, signer=HOST_SIGNER, document=signed_copy
    )
    services.set_state(
        mobility=mobility, state=MobilityState.IN_MOBILITY, actor=office, arrived_on=arrival
    )

    # What happened before today happened on its day.
    LearningAgreement.objects.filter(pk=draft.pk).update(
        created_at=_at(arrival - dt.timedelta(days=60), 9),
        student_signed_at=_at(arrival - dt.timedelta(days=55), 18),
        promoter_signed_at=_at(arrival - dt.timedelta(days=50), 11),
        host_signed_at=_at(arrival - dt.timedelta(days=35), 10),
    )
    Document.objects.filter(pk=letter.pk).update(
        uploaded_at=_at(arrival - dt.timedelta(days=70), 10)
    )
    Document.objects.filter(pk=signed_copy.pk).update(
        uploaded_at=_at(arrival - dt.timedelta(days=34), 16)
    )
    # user, career, certificate, mobility, two documents, agreement and its ten components
    return 1 + 1 + 1 + 1 + 2 + 1 + len(rows)


def _thesis(promoter: Promoter, office: User | None, today: dt.date) -> int:
    offers = Offer.objects.filter(
        mobility_type=MobilityType.THESIS,
        level_master=True,
        agreement__status=AgreementStatus.ACTIVE,
    )
    choice = _choose(offers, promoter)
    if choice is None:
        return 0
    offer, course = choice
    course.coordinators.add(promoter)
    start = today + dt.timedelta(days=75)
    student = _student(THESIS, course, make_password(PASSWORD))
    _career(student, today)
    _certificate(student, offer)
    mobility = services.create_mobility(
        student=student,
        offer=offer,
        academic_year=current_start_year(start),
        origin=ORIGIN,
        actor=office,
    )
    mobility.planned_start = start
    mobility.planned_end = start + dt.timedelta(days=30 * offer.months)
    mobility.save(update_fields=["planned_start", "planned_end"])
    return 4  # user, career, certificate, mobility
