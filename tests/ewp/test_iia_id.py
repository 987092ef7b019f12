"""Our iia-id is stored on the agreement (``Agreement.iia_id``): given when it is created,
served and downloaded as it is, and never changed by a setting or the secret key; the
migration gave each existing agreement the id it had been sent with (its stored identity's,
else the one derived from the secret key), and going back puts the stored ones back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from abroad.catalogue.models import Agreement
from abroad.ewp import iia, services
from abroad.ewp.models import IiaLink
from tests.ewp.test_iia import partner_copy
from tests.factories import AgreementFactory

pytestmark = pytest.mark.integration


def served_id(agreement: Agreement) -> str:
    [ours] = iia.parse(services.export_iia(agreement))
    return ours.partners[0].iia_id


@pytest.mark.django_db
def test_an_agreement_has_its_iia_id_from_its_creation_whatever_the_secret(
    agreement: Agreement, settings: Any
) -> None:
    other = AgreementFactory.create(partner=agreement.partner, start_year=2026, end_year=2028)
    assert agreement.iia_id != other.iia_id
    sent = served_id(agreement)
    assert sent == str(agreement.iia_id)
    settings.SECRET_KEY = "another secret key, after a rotation"
    settings.SECRET_KEY_FALLBACKS = []
    assert served_id(agreement) == sent
    # The first write keeps it: accepting the partner's copy stores what we know of theirs.
    assert services.iia_link(agreement).iia_id == agreement.iia_id
    agreement.refresh_from_db()
    assert str(agreement.iia_id) == sent


@pytest.mark.django_db
def test_a_partner_copy_naming_our_iia_id_finds_the_agreement_after_a_rotation(
    agreement: Agreement, settings: Any, office: Any
) -> None:
    data = partner_copy(agreement)
    IiaLink.objects.all().delete()
    settings.SECRET_KEY = "another secret key, after a rotation"
    settings.SECRET_KEY_FALLBACKS = []
    [inbound] = services.receive_iias(data=data, file_name="t.xml", actor=office)
    assert inbound.agreement == agreement


@pytest.mark.django_db(transaction=True)
def test_the_migration_stores_the_id_each_agreement_was_sent_with_and_back(
    agreement: Agreement,
) -> None:
    linked = agreement
    IiaLink.objects.create(agreement=linked)
    derived = AgreementFactory.create(partner=linked.partner, start_year=2026, end_year=2028)
    before = [("catalogue", "0007_agreement_iia_id"), ("ewp", "0008_nomineedetails_updated_at")]
    after = [("catalogue", "0008_agreement_iia_id_required")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    # As they were: the stored identity on the link, no id on the agreements.
    stored = uuid.uuid4()
    old.get_model("ewp", "IiaLink").objects.filter(agreement_id=linked.pk).update(iia_id=stored)
    old.get_model("catalogue", "Agreement").objects.update(iia_id=None)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("catalogue", "Agreement")
    assert new.objects.get(pk=linked.pk).iia_id == stored
    assert new.objects.get(pk=derived.pk).iia_id == services.derived_id("agreement", derived.pk)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    back = executor.loader.project_state(before).apps.get_model("ewp", "IiaLink")
    assert back.objects.get(agreement_id=linked.pk).iia_id == stored
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
