"""The office reads learning agreements, documents and extension requests in the admin, and
cannot change them there (they change only through the services)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from abroad.mobility.models import LearningAgreement
from tests.mobility.factories import DocumentFactory, agreement_with_rows

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MODELS = ["learningagreement", "document", "extensionrequest"]


@pytest.mark.parametrize("model", MODELS)
def test_the_office_reads_the_records(personas: dict[str, Client], model: str) -> None:
    agreement = agreement_with_rows(DocumentFactory.create().mobility)
    url = reverse(f"admin:mobility_{model}_changelist")
    assert personas["office"].get(url).status_code == 200
    assert personas["student"].get(url).status_code == 302  # to the admin's login
    assert personas["promoter"].get(url).status_code == 302
    if model == "learningagreement":
        page = personas["office"].get(
            reverse("admin:mobility_learningagreement_change", args=[agreement.pk])
        )
        assert page.status_code == 200
        assert "Host course" in page.content.decode()


def test_the_office_cannot_change_a_version_in_the_admin(personas: dict[str, Client]) -> None:
    agreement = agreement_with_rows(DocumentFactory.create().mobility)
    office = personas["office"]
    assert office.get(reverse("admin:mobility_learningagreement_add")).status_code == 403
    response = office.post(
        reverse("admin:mobility_learningagreement_change", args=[agreement.pk]),
        {"state": "signed"},
    )
    assert response.status_code == 403
    assert LearningAgreement.objects.get(pk=agreement.pk).state == "draft"
    delete = reverse("admin:mobility_learningagreement_delete", args=[agreement.pk])
    assert office.post(delete, {"post": "yes"}).status_code == 403
    assert LearningAgreement.objects.filter(pk=agreement.pk).exists()
