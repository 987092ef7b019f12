"""The mobility's grant page: its student and the office see the grant line by line; the
other personas do not; the page says when the year's own amounts are not published, and the
difference the actual dates make."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from abroad.catalogue.models import Institution
from abroad.grants import services
from abroad.grants.models import GrantCase
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.factories import PromoterFactory
from tests.grants.conftest import DEMO_RATES
from tests.mobility.factories import coordinate


def page(client: Client, mobility: Mobility) -> tuple[int, str]:
    response = client.get(f"/grants/mobility/{mobility.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    return response.status_code, response.content.decode()


def test_who_sees_the_grant(
    personas: dict[str, Client], mobility: Mobility, rates_2025: None
) -> None:
    approver = PromoterFactory.create(user__username="approver").user
    coordinate(mobility, approver)
    clients = {**personas, "approver": Client()}
    clients["approver"].force_login(approver)
    seen = {name: page(client, mobility)[0] for name, client in clients.items()}
    assert seen == {
        "student": 200,
        "office": 200,
        "school_office": 200,
        "other_school_office": 404,  # another School's mobility
        "other_student": 404,
        "promoter": 404,
        "approver": 404,  # the promoter approves the studies, not the money
        "anonymous": 302,
    }


def test_the_student_reads_her_grant_line_by_line(
    personas: dict[str, Client], mobility: Mobility, rates_2025: None
) -> None:
    GrantCase.objects.update_or_create(
        mobility=mobility, defaults={"fewer_opportunities": True, "green_travel": True}
    )
    status, html = page(personas["student"], mobility)
    assert status == 200
    # 5 months x 350 + 5 x 250 fewer opportunities + 50 green + travel 500-1,999 km green 417.
    assert "Individual support" in html
    assert "1,750.00" in html
    assert "Top-up for fewer opportunities" in html
    assert "1,250.00" in html
    assert "3,467.00 euros" in html
    assert "Milano" not in html  # the home institution is not named, only the distance
    assert "1,7" in html
    assert "km (great-circle)" in html
    # The year's own amounts are not published: the page says whose are used.
    assert "Amounts of 2025/2026" in html
    assert "The amounts of 2026/2027 are not published yet" in html
    # The instalments, 80 % and 20 %.
    assert "2,773.60 + 693.40" in html


def test_the_actual_dates_recompute_it_and_the_page_shows_the_difference(
    personas: dict[str, Client], mobility: Mobility, rates_2025: None
) -> None:
    mobility.actual_start = dt.date(2026, 9, 1)
    mobility.actual_end = dt.date(2026, 12, 15)  # home early: 3 months and 15 days
    mobility.save()
    status, html = page(personas["office"], mobility)
    assert status == 200
    assert "On the planned dates the grant was 1,750.00 euros" in html
    assert "it is 1,225.00 euros" in html


def test_without_amounts_or_at_home_the_page_says_why(
    personas: dict[str, Client], mobility: Mobility, home: Institution, office: User
) -> None:
    status, html = page(personas["student"], mobility)
    assert status == 200
    assert "No grant amounts are published for this academic year yet." in html
    assert services.import_rates(DEMO_RATES, academic_year=2025, actor=office).ok
    mobility.host = home
    mobility.save()
    assert (
        "A mobility in the home country receives no mobility grant."
        in page(personas["student"], mobility)[1]
    )


def test_the_timeline_has_the_grant_step(
    personas: dict[str, Client], mobility: Mobility, rates_2025: None
) -> None:
    html = (
        personas["student"]
        .get(f"/mobility/{mobility.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert f"/grants/mobility/{mobility.pk}/" in html
    assert "1,750.00 euros, paid in 2 instalments." in html


def test_the_page_in_italian(
    personas: dict[str, Client], mobility: Mobility, rates_2025: None
) -> None:
    html = (
        personas["student"]
        .get(f"/grants/mobility/{mobility.pk}/", HTTP_ACCEPT_LANGUAGE="it")
        .content.decode()
    )
    assert "Sostegno individuale" in html
    assert "1.750,00" in html


def test_no_grant_step_while_the_office_has_no_amounts(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    html = personas["student"].get(f"/mobility/{mobility.pk}/").content.decode()
    assert "/grants/mobility/" not in html
