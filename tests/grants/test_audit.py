"""Every change of a mobility's grant is in the audit log: the office's details (each field,
before and after), the amount computed again when the dates, the details or the rates change
(kept on the grant case, which the dashboard sums), and each payment on its mobility."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from abroad.core.audit import history
from abroad.core.models import AuditEvent
from abroad.core.permissions import PermissionDenied
from abroad.grants import services
from abroad.grants.models import GrantCase
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.grants.conftest import DEMO_RATES


@pytest.fixture
def computed(mobility: Mobility, office: User) -> None:
    """The rates imported after the mobility was made: its grant is computed."""
    assert services.import_rates(DEMO_RATES, academic_year=2025, actor=office).ok


def actions(mobility: Mobility) -> list[str]:
    return list(history(mobility).order_by("pk").values_list("action", flat=True))


def test_importing_the_rates_computes_and_records_each_grant(
    mobility: Mobility, office: User
) -> None:
    assert not GrantCase.objects.exists()
    assert services.import_rates(DEMO_RATES, academic_year=2025, actor=office).ok
    case = GrantCase.objects.get(mobility=mobility)
    assert case.amount == services.grant_of(mobility).grant.total  # type: ignore[union-attr]
    event = history(mobility).get(action="grants.recomputed")
    assert event.data == {"before": None, "after": str(case.amount), "reason": "rates"}
    assert event.actor == office


@pytest.mark.usefixtures("computed")
def test_changing_the_details_is_audited_field_by_field_and_recomputes(
    mobility: Mobility, office: User
) -> None:
    before = GrantCase.objects.get(mobility=mobility).amount
    case = GrantCase.objects.get(mobility=mobility)
    case.fewer_opportunities = True
    case.isee = Decimal("9000.00")
    services.save_case(actor=office, case=case)
    changed = history(mobility).get(action="grants.case_changed")
    assert changed.data["changes"] == {
        "fewer_opportunities": [False, True],
        "isee": [None, "9000.00"],
    }
    recomputed = history(mobility).filter(action="grants.recomputed").latest("pk")
    assert recomputed.data["before"] == str(before)
    assert recomputed.data["reason"] == "details"
    after = GrantCase.objects.get(mobility=mobility).amount
    assert after is not None
    assert before is not None
    assert after > before
    assert recomputed.data["after"] == str(after)
    # Saving the same details again records nothing.
    count = AuditEvent.objects.count()
    services.save_case(actor=office, case=GrantCase.objects.get(mobility=mobility))
    assert AuditEvent.objects.count() == count


@pytest.mark.usefixtures("computed")
def test_another_schools_office_may_not_change_the_details(
    mobility: Mobility, other_school_office: User
) -> None:
    case = GrantCase.objects.get(mobility=mobility)
    case.zero_grant = True
    with pytest.raises(PermissionDenied):
        services.save_case(actor=other_school_office, case=case)
    assert not GrantCase.objects.get(mobility=mobility).zero_grant


@pytest.mark.usefixtures("computed")
def test_new_dates_recompute_the_grant_on_commit(
    mobility: Mobility, django_capture_on_commit_callbacks: Any
) -> None:
    before = GrantCase.objects.get(mobility=mobility).amount
    with django_capture_on_commit_callbacks(execute=True):
        mobility.actual_start = dt.date(2026, 9, 1)
        mobility.actual_end = dt.date(2026, 12, 15)
        mobility.save(update_fields=["actual_start", "actual_end"])
    case = GrantCase.objects.get(mobility=mobility)
    assert case.amount == Decimal("1225.00") != before  # 3 months and 15 days
    event = history(mobility).filter(action="grants.recomputed").latest("pk")
    assert event.data == {"before": str(before), "after": "1225.00", "reason": "mobility"}
    # A save that touches nothing the grant depends on computes nothing.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mobility.save(update_fields=["home_supervisor"])
    assert callbacks == []


@pytest.mark.usefixtures("computed")
def test_the_admin_saves_the_details_through_the_audited_service(
    mobility: Mobility, office: User
) -> None:
    office.is_staff = True
    office.is_superuser = True
    office.save()
    client = Client()
    client.force_login(office)
    case = GrantCase.objects.get(mobility=mobility)
    response = client.post(
        f"/office/admin/grants/grantcase/{case.pk}/change/",
        {
            "mobility": mobility.pk,
            "travel_days": 0,
            "zero_grant": "on",
            "isee": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert GrantCase.objects.get(pk=case.pk).amount == 0
    changed = history(mobility).get(action="grants.case_changed")
    assert changed.data["changes"] == {"zero_grant": [False, True]}
    assert changed.actor == office


@pytest.mark.usefixtures("computed")
def test_each_payment_is_in_its_mobilitys_history(mobility: Mobility, office: User) -> None:
    services.record_payments(
        actor=office,
        mobility_ids=[mobility.pk],
        instalment=1,
        paid_on=dt.date(2026, 10, 1),
        reference="OP-1",
    )
    event = history(mobility).get(action="grants.payment_recorded")
    assert event.data == {
        "instalment": 1,
        "amount": "1400.00",
        "paid_on": "2026-10-01",
        "reference": "OP-1",
    }
    assert "grants.payments_recorded" in AuditEvent.objects.values_list("action", flat=True)
    assert actions(mobility)[-1] == "grants.payment_recorded"


@pytest.mark.usefixtures("computed")
def test_the_admin_never_deletes_a_case_nor_moves_it(mobility: Mobility, office: User) -> None:
    office.is_staff = True
    office.is_superuser = True
    office.save()
    client = Client()
    client.force_login(office)
    case = GrantCase.objects.get(mobility=mobility)
    assert client.get(f"/office/admin/grants/grantcase/{case.pk}/delete/").status_code == 403
    page = client.get(f"/office/admin/grants/grantcase/{case.pk}/change/").content.decode()
    assert 'name="mobility"' not in page
    assert GrantCase.objects.filter(pk=case.pk).exists()
