"""The dates of a mobility (issue 18, point 2): planned dates proposed when a mobility is born
(from a call's seat), corrected by the student before the learning agreement and by the office
before the departure, actual dates from the host's certificates, and one count of months (of
30 days). With dates, an extension can be asked and the learning agreement goes to EWP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from abroad.core.models import AuditEvent
from abroad.mobility import services
from abroad.mobility.enums import DocumentKind, LearningAgreementState, MobilityKind, MobilityState
from abroad.mobility.models import Mobility
from abroad.mobility.services import MobilityError
from abroad.people.models import User
from abroad.selection import services as selection_services
from tests.factories import OfferFactory, PromoterFactory, UserFactory
from tests.mobility.factories import (
    MobilityFactory,
    agreement_with_rows,
    pdf_upload,
)
from tests.selection.factories import AssignmentFactory, StudentCareerFactory
from tests.who_may import who_may

pytestmark = pytest.mark.django_db

DATES = "mobility.change_planned_dates"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def actions(mobility: Mobility) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="mobility.mobility", object_id=str(mobility.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def nominated(
    student: User | None = None, months: int = 5, offer: dict[str, Any] | None = None, **fields: Any
) -> Mobility:
    """A mobility as a call's seat makes it: nominated, with proposed dates, not arrived."""
    seat = OfferFactory.create(
        months=months,
        extendable=True,
        agreement__promoter=PromoterFactory.create(),
        **(offer or {}),
    )
    mobility = services.create_mobility(
        student=student or UserFactory.create(),
        offer=seat,
        academic_year=2027,
        origin="call:test",
    )
    if fields:
        Mobility.objects.filter(pk=mobility.pk).update(**fields)
        mobility.refresh_from_db()
    return mobility


# --------------------------------------------------------------------------- proposals


@pytest.mark.parametrize(
    ("months", "start", "end"),
    [
        (5, dt.date(2027, 9, 1), dt.date(2028, 1, 31)),  # the autumn term
        (6, dt.date(2027, 9, 1), dt.date(2028, 2, 29)),  # a longer semester: 6 months from it
        (10, dt.date(2027, 9, 1), dt.date(2028, 6, 30)),  # the academic year
        (12, dt.date(2027, 9, 1), dt.date(2028, 8, 31)),
        (24, dt.date(2027, 9, 1), dt.date(2029, 8, 31)),  # a double degree's two years
        (1, dt.date(2027, 9, 1), dt.date(2027, 9, 30)),
    ],
)
def test_proposed_dates_span_the_offer_months(months: int, start: dt.date, end: dt.date) -> None:
    assert services.propose_dates(academic_year=2027, months=months) == (start, end)
    assert services.months_between(start, end) == months


def test_the_terms_come_from_the_settings(settings: Any) -> None:
    settings.MOBILITY_TERMS = {
        "autumn": ((9, 15), (2, 14)),
        "spring": ((2, 15), (7, 14)),
        "year": ((9, 15), (7, 14)),
    }
    assert services.propose_dates(academic_year=2027, months=5) == (
        dt.date(2027, 9, 15),
        dt.date(2028, 2, 14),
    )
    assert services.term_dates("spring", 2027) == (dt.date(2028, 2, 15), dt.date(2028, 7, 14))


def test_the_terms_from_the_environment(settings: Any) -> None:
    settings.MOBILITY_TERMS = "autumn=10-01..02-28, year=10-01..07-31"
    assert services.terms()["autumn"] == ((10, 1), (2, 28))
    assert services.terms()["spring"] == ((2, 1), (6, 30))  # the default
    assert services.propose_dates(academic_year=2027, months=10) == (
        dt.date(2027, 10, 1),
        dt.date(2028, 7, 31),
    )
    with pytest.raises(ValueError, match=r"'year=10-01' is not name=MM-DD\.\.MM-DD"):
        services.parse_terms("year=10-01")
    with pytest.raises(ValueError, match=r"'year=02-30\.\.06-30' is not"):
        services.parse_terms("year=02-30..06-30")  # no 30 February


def test_a_mobility_born_from_a_call_gets_planned_dates() -> None:
    """Before: accepting a seat made a mobility without dates ("dates not known yet")."""
    assignment = AssignmentFactory.create(
        round__call__academic_year=2027, call_offer__offer__months=5
    )
    selection_services.accept_assignment(assignment=assignment, actor=None)

    mobility = Mobility.objects.get(student=assignment.application.student)
    assert (mobility.planned_start, mobility.planned_end, mobility.months) == (
        dt.date(2027, 9, 1),
        dt.date(2028, 1, 31),
        5,
    )
    event = AuditEvent.objects.get(action="mobility.created", object_id=str(mobility.pk))
    assert event.data["planned_start"] == "2027-09-01"


def test_the_migration_proposes_dates_for_mobilities_without_them() -> None:
    from importlib import import_module

    migration = import_module("abroad.mobility.migrations.0006_propose_missing_planned_dates")
    without = MobilityFactory.create(academic_year=2026, months=10, planned_start=None)
    Mobility.objects.filter(pk=without.pk).update(planned_end=None)
    only_start = MobilityFactory.create(months=3, planned_start=dt.date(2027, 2, 15))
    Mobility.objects.filter(pk=only_start.pk).update(planned_end=None)
    kept = MobilityFactory.create(
        planned_start=dt.date(2027, 2, 1), planned_end=dt.date(2027, 6, 30)
    )

    migration.propose(apps, None)

    for mobility in (without, only_start, kept):
        mobility.refresh_from_db()
    assert (without.planned_start, without.planned_end) == (
        dt.date(2026, 9, 1),
        dt.date(2027, 6, 30),
    )
    assert only_start.planned_end == dt.date(2027, 5, 14)
    assert (kept.planned_start, kept.planned_end) == (dt.date(2027, 2, 1), dt.date(2027, 6, 30))


# ------------------------------------------------------------------------ planned dates


def test_the_student_sets_the_planned_dates() -> None:
    mobility = nominated()

    services.set_planned_dates(
        mobility=mobility,
        actor=mobility.student,
        start=dt.date(2027, 9, 15),
        end=dt.date(2028, 2, 14),
    )

    mobility.refresh_from_db()
    assert (mobility.planned_start, mobility.planned_end, mobility.months) == (
        dt.date(2027, 9, 15),
        dt.date(2028, 2, 14),
        5,
    )
    assert actions(mobility) == ["mobility.created", "mobility.planned_dates"]
    event = AuditEvent.objects.get(action="mobility.planned_dates")
    assert (event.data["previous_start"], event.data["start"]) == ("2027-09-01", "2027-09-15")


@pytest.mark.parametrize(
    ("start", "end", "refusal"),
    [
        (
            dt.date(2028, 1, 31),
            dt.date(2027, 9, 1),
            "The planned end must come after the planned start.",
        ),
        (
            dt.date(2027, 9, 1),
            dt.date(2027, 9, 1),
            "The planned end must come after the planned start.",
        ),
        (
            dt.date(2027, 9, 1),
            dt.date(2028, 3, 31),
            "From 2027-09-01 to 2028-03-31 is 7 months; this seat is for at most 5. A longer "
            "stay is asked as an extension, during the mobility.",
        ),
    ],
)
def test_planned_dates_refused(start: dt.date, end: dt.date, refusal: str) -> None:
    mobility = nominated()
    with pytest.raises(MobilityError) as raised:
        services.set_planned_dates(mobility=mobility, actor=mobility.student, start=start, end=end)
    assert str(raised.value) == refusal
    mobility.refresh_from_db()
    assert mobility.planned_start == dt.date(2027, 9, 1)


def test_planned_dates_within_the_months_of_the_study_cycle() -> None:
    mobility = nominated(months=12)
    StudentCareerFactory.create(student=mobility.student, months_used=4)
    with pytest.raises(MobilityError) as raised:
        services.set_planned_dates(
            mobility=mobility,
            actor=mobility.student,
            start=dt.date(2027, 9, 1),
            end=dt.date(2028, 6, 30),
        )
    assert str(raised.value) == (
        "From 2027-09-01 to 2028-06-30 is 10 months; with 4 used before, that exceeds the 12 "
        "months allowed in the study cycle."
    )


def test_after_the_learning_agreement_only_the_office_changes_the_dates(office: User) -> None:
    mobility = nominated()
    agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )
    with pytest.raises(MobilityError) as raised:
        services.set_planned_dates(
            mobility=mobility,
            actor=mobility.student,
            start=dt.date(2027, 9, 15),
            end=dt.date(2028, 1, 31),
        )
    assert str(raised.value) == (
        "Your learning agreement was submitted with these dates: ask the International Mobility "
        "Unit to change them."
    )

    services.set_planned_dates(
        mobility=mobility, actor=office, start=dt.date(2027, 9, 15), end=dt.date(2028, 1, 31)
    )
    mobility.refresh_from_db()
    assert mobility.planned_start == dt.date(2027, 9, 15)


def test_after_the_departure_nobody_changes_the_planned_dates(office: User) -> None:
    mobility = MobilityFactory.create(
        state=MobilityState.COMPLETED, actual_end=timezone.localdate()
    )
    with pytest.raises(MobilityError, match="The departure is recorded"):
        services.set_planned_dates(
            mobility=mobility, actor=office, start=dt.date(2027, 9, 1), end=dt.date(2028, 1, 31)
        )


def test_who_may_change_the_planned_dates(people: dict[str, Any], office: User) -> None:
    mobility = nominated(student=people["owner"])
    # The office of the student's School too, not another School's.
    assert who_may(people, DATES, mobility) == {"owner", "office", "school_office", "superuser"}

    agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )
    assert who_may(people, DATES, mobility) == {"office", "school_office", "superuser"}

    mobility.actual_end = dt.date(2028, 1, 31)
    assert who_may(people, DATES, mobility) == set()


def test_who_is_told_to_ask_the_office_for_other_dates(
    people: dict[str, Any], office: User
) -> None:
    """Only the student whose learning agreement fixed the dates, until the departure."""
    ask = "mobility.ask_office_for_dates"
    mobility = nominated(student=people["owner"])
    assert who_may(people, ask, mobility) == set()

    agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )
    assert who_may(people, ask, mobility) == {"owner"}

    mobility.actual_end = dt.date(2028, 1, 31)
    assert who_may(people, ask, mobility) == set()


def test_a_stranger_may_not_set_the_dates(other_student: User) -> None:
    mobility = nominated()
    with pytest.raises(PermissionDenied):
        services.set_planned_dates(
            mobility=mobility,
            actor=other_student,
            start=dt.date(2027, 9, 15),
            end=dt.date(2028, 1, 31),
        )


# --------------------------------------------------------------------------- certificates


def test_the_arrival_and_departure_certificates_set_the_actual_dates(office: User) -> None:
    mobility = nominated(state=MobilityState.ACCEPTED)

    arrival = services.record_certificate(
        mobility=mobility,
        actor=office,
        kind=DocumentKind.ARRIVAL,
        day=dt.date(2027, 9, 16),
        file=pdf_upload("arrival.pdf"),
    )
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_start) == (
        MobilityState.IN_MOBILITY,
        dt.date(2027, 9, 16),
    )
    assert mobility.months == 4  # 16 September to 31 January: 4 months 15 days
    assert (arrival.kind, arrival.original_name) == (DocumentKind.ARRIVAL, "arrival.pdf")

    services.record_certificate(
        mobility=mobility,
        actor=office,
        kind=DocumentKind.DEPARTURE,
        day=dt.date(2027, 12, 20),
        file=pdf_upload("departure.pdf"),
    )
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_end, mobility.months) == (
        MobilityState.COMPLETED,
        dt.date(2027, 12, 20),
        3,  # 16 September to 20 December: 3 months 5 days
    )
    assert services.months_of(mobility) == 3
    assert actions(mobility)[-1] == "mobility.certificate"
    assert sorted(mobility.documents.values_list("kind", flat=True)) == [
        DocumentKind.ARRIVAL,
        DocumentKind.DEPARTURE,
    ]


def test_a_second_certificate_corrects_the_date(office: User) -> None:
    mobility = nominated(state=MobilityState.IN_MOBILITY, actual_start=dt.date(2027, 9, 16))
    services.record_certificate(
        mobility=mobility,
        actor=office,
        kind=DocumentKind.ARRIVAL,
        day=dt.date(2027, 9, 2),
        file=pdf_upload(),
    )
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_start, mobility.months) == (
        MobilityState.IN_MOBILITY,
        dt.date(2027, 9, 2),
        5,
    )


def test_certificates_in_the_wrong_order_are_refused(office: User) -> None:
    mobility = nominated()
    with pytest.raises(MobilityError, match="Record the host's acceptance first"):
        services.record_certificate(
            mobility=mobility,
            actor=office,
            kind=DocumentKind.ARRIVAL,
            day=dt.date(2027, 9, 2),
            file=pdf_upload(),
        )
    with pytest.raises(MobilityError, match="Record the arrival first"):
        services.record_certificate(
            mobility=mobility,
            actor=office,
            kind=DocumentKind.DEPARTURE,
            day=dt.date(2027, 9, 2),
            file=pdf_upload(),
        )
    assert mobility.documents.count() == 0


def test_only_the_office_records_a_certificate() -> None:
    mobility = nominated(state=MobilityState.ACCEPTED)
    with pytest.raises(PermissionDenied):
        services.record_certificate(
            mobility=mobility,
            actor=mobility.student,
            kind=DocumentKind.ARRIVAL,
            day=dt.date(2027, 9, 2),
            file=pdf_upload(),
        )


# ------------------------------------------------------------- with dates, what now works


def test_a_mobility_from_a_call_can_be_extended(office: User) -> None:
    """Before: "The mobility has no planned end yet" for every mobility born from a call."""
    mobility = nominated(state=MobilityState.ACCEPTED)
    services.set_state(
        mobility=mobility,
        state=MobilityState.IN_MOBILITY,
        actor=office,
        arrived_on=dt.date(2027, 9, 1),
    )
    mobility.refresh_from_db()
    today = dt.date(2027, 11, 1)
    assert (
        services.extension_problem(
            mobility=mobility, requested_end=dt.date(2028, 6, 30), today=today
        )
        is None
    )
    extension = services.request_extension(
        mobility=mobility,
        actor=mobility.student,
        requested_end=dt.date(2028, 6, 30),
        reason="One more semester of courses.",
        form=pdf_upload("extension.pdf"),
        today=today,
    )
    assert (extension.current_end, extension.months_before, extension.months_after) == (
        dt.date(2028, 1, 31),
        5,
        10,
    )


# ---------------------------------------------------------------- double degree (point 12)


def test_extensions_do_not_apply_to_a_double_degree(people: dict[str, Any]) -> None:
    """Before: the page said "not applicable" and offered "Ask to stay longer"; now the one
    rule (queries.extensions_apply) decides both."""
    mobility = MobilityFactory.create(
        student=people["owner"], kind=MobilityKind.DOUBLE_DEGREE, months=24
    )
    assert who_may(people, "mobility.request_extension", mobility) == set()
    assert mobility.planned_end is not None
    later = mobility.planned_end + dt.timedelta(days=60)
    refusal = (
        "A double degree lasts as its agreement says, 24 months: extensions do not apply to it."
    )
    assert (
        services.extension_problem(
            mobility=mobility,
            requested_end=later,
            today=timezone.localdate(),
        )
        == refusal
    )
    with pytest.raises(MobilityError) as raised:
        services.request_extension(
            mobility=mobility,
            actor=mobility.student,
            requested_end=later,
            reason="More time.",
            form=pdf_upload(),
        )
    assert str(raised.value) == refusal


def test_a_double_degree_plans_its_agreement_duration() -> None:
    """A double degree's dates follow its agreement (24 months), beyond an exchange's 12."""
    mobility = nominated(months=24)
    Mobility.objects.filter(pk=mobility.pk).update(kind=MobilityKind.DOUBLE_DEGREE)
    mobility.refresh_from_db()
    services.set_planned_dates(
        mobility=mobility,
        actor=mobility.student,
        start=dt.date(2027, 9, 1),
        end=dt.date(2029, 7, 31),
    )
    mobility.refresh_from_db()
    assert mobility.months == 23
