"""The office's payment list: the amount of each instalment computed (never typed), recorded
all or nothing with an audit event, the last instalment settling the recomputed grant, the
list filtered by the office's School, exported with formulas escaped, in a fixed number of
queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from abroad.core.models import AuditEvent
from abroad.grants import services
from abroad.grants.models import Payment
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.jobs import exported
from tests.mobility.factories import MobilityFactory

URL = "/grants/office/payments/?year=2026&instalment={}&state={}"
EXPORT = "/grants/office/payments/export/?year=2026&instalment={}&state={}"
pytestmark = pytest.mark.usefixtures("rates_2025")


def listed(client: Client, instalment: int = 1, state: str = "due") -> tuple[int, str]:
    response = client.get(URL.format(instalment, state), HTTP_ACCEPT_LANGUAGE="en")
    return response.status_code, response.content.decode()


def test_who_opens_the_payment_list(personas: dict[str, Client], mobility: Mobility) -> None:
    seen = {name: listed(client) for name, client in personas.items()}
    assert {name: status for name, (status, _) in seen.items()} == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "school_office": 200,
        "other_school_office": 200,
        "anonymous": 302,
    }
    name = mobility.student.get_full_name()
    assert name in seen["office"][1]
    assert name in seen["school_office"][1]
    assert name not in seen["other_school_office"][1]  # another School's student


def test_instalments_are_computed_recorded_and_settled(
    personas: dict[str, Client], mobility: Mobility, office: User
) -> None:
    client = personas["office"]
    html = listed(client)[1]
    assert "1,400.00" in html  # 80 % of 5 x 350
    response = client.post(
        URL.format(1, "due"),
        {"ids": [mobility.pk], "instalment": 1, "paid_on": "2026-10-01", "reference": "OP-17"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get(mobility=mobility)
    assert (payment.instalment, payment.amount, payment.reference) == (
        1,
        Decimal("1400.00"),
        "OP-17",
    )
    assert payment.recorded_by == office
    event = AuditEvent.objects.get(action="grants.payments_recorded")
    assert event.data["total"] == "1400.00"
    assert event.data["mobilities"] == [mobility.pk]
    assert mobility.student.get_full_name() not in listed(client, 1, "due")[1]
    assert "OP-17" in listed(client, 1, "paid")[1]
    # Home early: 3 months and 15 days are 1,225.00; the second instalment recovers 175.00.
    mobility.actual_start = dt.date(2026, 9, 1)
    mobility.actual_end = dt.date(2026, 12, 15)
    mobility.save()
    assert "-175.00" in listed(client, 2)[1]
    services.record_payments(
        actor=office, mobility_ids=[mobility.pk], instalment=2, paid_on=dt.date(2027, 1, 10)
    )
    assert sum(p.amount for p in Payment.objects.filter(mobility=mobility)) == Decimal("1225.00")


def test_a_batch_with_nothing_due_records_nothing(
    personas: dict[str, Client], mobility: Mobility, office: User
) -> None:
    services.record_payments(
        actor=office, mobility_ids=[mobility.pk], instalment=1, paid_on=dt.date(2026, 10, 1)
    )
    other = MobilityFactory.create(
        student__course_of_study=mobility.student.course_of_study,
        offer__agreement__partner=mobility.host,
        academic_year=2026,
        planned_start=dt.date(2026, 9, 1),
        planned_end=dt.date(2027, 1, 31),
        actual_start=None,
    )
    with pytest.raises(services.PaymentError, match="Nothing is due on instalment 1"):
        services.record_payments(
            actor=office,
            mobility_ids=[other.pk, mobility.pk],
            instalment=1,
            paid_on=dt.date(2026, 10, 2),
        )
    assert Payment.objects.count() == 1
    # The form says so too, and stores nothing.
    response = personas["office"].post(
        URL.format(1, "all"),
        {"ids": [other.pk, mobility.pk], "instalment": 1, "paid_on": "2026-10-02"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Nothing is due on instalment 1" in response.content.decode()
    assert Payment.objects.count() == 1


def test_another_schools_office_cannot_record_a_payment(
    mobility: Mobility, other_school_office: User
) -> None:
    with pytest.raises(services.PaymentError, match="no longer exists"):
        services.record_payments(
            actor=other_school_office,
            mobility_ids=[mobility.pk],
            instalment=1,
            paid_on=dt.date(2026, 10, 1),
        )
    assert not Payment.objects.exists()


def test_the_export_escapes_formulas(personas: dict[str, Client], mobility: Mobility) -> None:
    student = mobility.student
    student.first_name = '=HYPERLINK("http://evil.example","x")'
    student.save()
    office = personas["office"]
    assert "/grants/office/payments/export/?year=2026" in listed(office)[1]
    response = exported(office, EXPORT.format(1, "due"), {"format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="payments-2026-1.csv"'
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert list(rows[0]) == list(services.PAYMENT_COLUMNS)
    assert rows[0]["student"].startswith("'=HYPERLINK")
    assert rows[0]["amount"] == "1400.00"
    xlsx = exported(office, EXPORT.format(1, "due"), {"format": "xlsx"})
    assert xlsx.getvalue()[:2] == b"PK"


def test_who_exports_the_payment_list(personas: dict[str, Client], mobility: Mobility) -> None:
    """The file holds what the asker's list shows: another School's office gets a file
    without this student; nobody but the office may ask."""
    asked = {
        name: client.post(EXPORT.format(1, "due"), {"format": "csv"})
        for name, client in personas.items()
    }
    assert {name: response.status_code for name, response in asked.items()} == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 302,
        "school_office": 302,
        "other_school_office": 302,
        "anonymous": 302,
    }
    assert asked["anonymous"]["Location"].startswith("/accounts/login/")
    name = mobility.student.get_full_name()
    for persona, sees in (("school_office", True), ("other_school_office", False)):
        client = personas[persona]
        text = exported(client, EXPORT.format(1, "due"), {"format": "csv"}).getvalue().decode()
        assert (name in text) is sees


def test_the_list_costs_the_same_queries_for_many_mobilities(
    personas: dict[str, Client],
    mobility: Mobility,
    django_assert_max_num_queries: Any,
) -> None:
    client = personas["office"]
    client.get(URL.format(1, "due"))  # session and permissions warmed up
    with django_assert_max_num_queries(14) as few:
        listed(client)
    for _ in range(20):
        MobilityFactory.create(
            student__course_of_study=mobility.student.course_of_study,
            offer__agreement__partner=mobility.host,
            academic_year=2026,
            planned_start=dt.date(2026, 9, 1),
            planned_end=dt.date(2027, 1, 31),
            actual_start=None,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = listed(client)[1]
    assert html.count('name="ids"') == 21
