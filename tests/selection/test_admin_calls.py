"""The admin of calls (issue 18, point 1): read-only. Its change page once carried every
offer of the call as an inline (523 rows, 2,092 fields: Django refused to save it, "Bad
Request (400)"); now it shows the call, how many offers it has and links to the office's
editor, in a constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from abroad.people.enums import Role
from abroad.selection.models import Call
from tests.conftest import logged_in
from tests.factories import UserFactory
from tests.selection.test_call_editor import MANY, big_call

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def admin_client() -> Client:
    return logged_in(
        UserFactory.create(username="root", role=Role.ADMIN, is_superuser=True, password="!")
    )


def test_the_change_page_of_a_call_with_2100_offers_is_light(
    admin_client: Client, django_assert_max_num_queries: Any
) -> None:
    big = big_call()
    address = reverse("admin:selection_call_change", args=[big.call.pk])
    with django_assert_max_num_queries(25):
        response = admin_client.get(address)
    assert response.status_code == 200
    page = response.content.decode()
    assert "call_offers-" not in page
    assert f"{MANY} · " in page
    assert reverse("selection:office_call_offers", args=[big.call.code]) in page
    assert reverse("selection:office_call_edit", args=[big.call.code]) in page
    assert "every level" in page
    assert '<div class="readonly">[]</div>' not in page
    assert "Erasmus+ (EU and associated countries), Bilateral agreement (non-EU)" in page


def test_the_admin_changes_no_call(admin_client: Client) -> None:
    big = big_call(fill=False)
    address = reverse("admin:selection_call_change", args=[big.call.pk])
    response = admin_client.post(address, {"title": "Changed in the admin"})
    assert response.status_code == 403
    assert Call.objects.get().title == "Engineering"
    assert admin_client.get(reverse("admin:selection_call_add")).status_code == 403
