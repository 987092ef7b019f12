"""The registry catalogue client: the official example read and questioned; validation;
the copy kept and asked again with its ETag; the copy used when the registry is down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from abroad.ewp.models import RegistryCatalogue
from abroad.ewp.network import registry as catalogue_client
from abroad.ewp.network.registry import ECHO_V2, RegistryError
from tests.ewp.conftest import official
from tests.ewp.network.conftest import Registry

EXAMPLE = "ewp-specs-api-registry/catalogue-example.xml"
UW_KEY = "5531f9a02c44a894d0b706961259fec740ad4ae8a3555871f1a5cd9801285bd4"

pytestmark = pytest.mark.integration


def test_the_official_example_answers_who_serves_what_and_which_keys_to_trust() -> None:
    found = catalogue_client.read(official(EXAMPLE))
    public, heis = found.client_key(UW_KEY) or (b"", [])
    assert heis == ["uw.edu.pl"]
    assert public
    assert catalogue_client.fingerprint(public) == UW_KEY
    assert found.client_key(UW_KEY.upper()) is not None  # hex in either case
    assert found.client_key("0" * 64) is None
    echo = found.endpoint("uw.edu.pl", ECHO_V2, 2)
    assert echo is not None
    assert (echo.url, echo.version) == (
        "https://example.com/ewp/echo",
        "2.0.0",
    )
    assert found.endpoint("uw.edu.pl", ECHO_V2, 1) is None
    assert found.endpoint("other.example.com", ECHO_V2, 2) is None
    # The server key is trusted for the URLs of the host that lists it, and only those.
    assert found.server_key(UW_KEY, "https://example.com/ewp/echo") == public
    assert found.server_key(UW_KEY, "https://registry.erasmuswithoutpaper.eu/manifest.xml") is None
    assert found.hei_ids() == ["uw.edu.pl"]


def test_a_catalogue_not_valid_against_the_schema_is_refused() -> None:
    broken = (
        official(EXAMPLE)
        .replace(b"<institutions>", b"<institution>")
        .replace(b"</institutions>", b"</institution>")
    )
    with pytest.raises(RegistryError, match="not"):
        catalogue_client.read(broken)
    with pytest.raises(RegistryError, match="not an EWP registry catalogue"):
        catalogue_client.read(b"<catalogue/>")


def test_without_the_schema_folder_the_catalogue_is_refused(settings: Any) -> None:
    settings.EWP_SCHEMA_DIR = ""
    with pytest.raises(RegistryError, match="ABROAD_EWP_SCHEMA_DIR"):
        catalogue_client.read(official(EXAMPLE))


@pytest.mark.django_db
def test_the_catalogue_is_kept_and_asked_again_with_its_etag(
    registry: Registry, settings: Any
) -> None:
    registry.catalogue = official(EXAMPLE)
    first = catalogue_client.catalogue()
    assert first.client_key(UW_KEY) is not None
    row = RegistryCatalogue.objects.get()
    assert row.etag
    assert len(registry.requests) == 1
    assert "if-none-match" not in registry.requests[0]

    catalogue_client.catalogue()  # fresh: not asked again
    assert len(registry.requests) == 1

    RegistryCatalogue.objects.update(checked_at=timezone.now() - timedelta(hours=1))
    catalogue_client.catalogue()  # stale: asked with the ETag, answered 304
    assert registry.requests[-1]["if-none-match"] == row.etag
    assert RegistryCatalogue.objects.get().fetched_at == row.fetched_at

    registry.down = True
    RegistryCatalogue.objects.update(checked_at=timezone.now() - timedelta(hours=1))
    assert catalogue_client.catalogue().client_key(UW_KEY) is not None  # the copy we have
    assert len(registry.requests) == 3


@pytest.mark.django_db
def test_an_invalid_catalogue_from_the_registry_leaves_the_copy_we_have(
    registry: Registry,
) -> None:
    registry.catalogue = official(EXAMPLE)
    catalogue_client.refresh()
    registry.catalogue = b"<catalogue/>"
    with pytest.raises(RegistryError):
        catalogue_client.refresh()
    assert RegistryCatalogue.objects.get().xml.encode() == official(EXAMPLE)


@pytest.mark.django_db
def test_no_registry_and_no_copy_is_an_error(registry: Registry, settings: Any) -> None:
    registry.down = True
    with pytest.raises(RegistryError, match="cannot be reached"):
        catalogue_client.catalogue()
    settings.EWP_REGISTRY_URL = ""
    with pytest.raises(RegistryError, match="not configured"):
        catalogue_client.catalogue()


@pytest.mark.django_db
def test_the_registry_command_reads_the_catalogue_again(registry: Registry, capsys: Any) -> None:
    from django.core.management import CommandError, call_command

    registry.catalogue = official(EXAMPLE)
    call_command("ewp", "registry")
    assert "2 hosts, 1 HEIs" in capsys.readouterr().out
    call_command("ewp", "registry", "--force")
    assert "if-none-match" not in registry.requests[-1]
    registry.catalogue = b"<catalogue/>"
    with pytest.raises(CommandError, match="not an EWP registry catalogue"):
        call_command("ewp", "registry")


@pytest.mark.django_db
def test_a_request_does_not_read_the_catalogues_text_again(registry: Registry) -> None:
    """The real catalogue is some megabytes: once this process has parsed it, a request reads
    only the row's date and hash, never its text."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    registry.catalogue = official(EXAMPLE)
    catalogue_client.catalogue()  # fetched, kept and parsed
    with CaptureQueriesContext(connection) as queries:
        assert catalogue_client.catalogue().client_key(UW_KEY) is not None
    assert len(queries.captured_queries) == 1
    assert '"xml"' not in queries.captured_queries[0]["sql"]
