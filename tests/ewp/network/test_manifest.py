"""Our discovery manifest at /ewp/manifest.xml: valid against the discovery v6 schema (and
its Echo entry against the Echo manifest-entry schema), naming our HEI, the APIs served now
and our public keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.network import keys
from abroad.ewp.network.registry import DISCOVERY_V6, ECHO_V2, REGISTRY

pytestmark = pytest.mark.integration
MANIFEST_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-discovery/tree/stable-v6"


def test_the_manifest_is_valid_and_lists_echo_and_our_keys(
    client: Client, node_keys: dict[str, Path], settings: Any, ewp_schemas: Path, home: Any
) -> None:
    settings.SITE_URL = "https://abroad.example.eu"
    settings.EWP_ADMIN_EMAIL = "ewp-admin@abroad.example.eu"
    response = client.get("/ewp/manifest.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    errors = list(
        xml._schema(ewp_schemas, "ewp-specs-api-discovery/manifest.xsd").iter_errors(root)
    )
    assert errors == []
    ns = {"m": MANIFEST_NS, "r": REGISTRY, "e": ECHO_V2.namespace, "d": DISCOVERY_V6.namespace}
    echo = root.find("m:host/r:apis-implemented/e:echo", ns)
    assert echo is not None
    assert echo.get("version") == "2.0.0"
    entry = xml._schema(ewp_schemas, "ewp-specs-api-echo/manifest-entry.xsd")
    assert list(entry.iter_errors(echo)) == []
    assert xml.text(echo, "e:url", ns) == "https://abroad.example.eu/ewp/echo"
    discovery = root.find("m:host/r:apis-implemented/d:discovery", ns)
    assert xml.text(discovery, "d:url", ns) == "https://abroad.example.eu/ewp/manifest.xml"
    apis = root.find("m:host/r:apis-implemented", ns)
    assert [etree.QName(n).localname for n in apis] == [
        "discovery",
        "echo",
        "iias",
        "iia-cnr",
        "iias-approval",
        "omobility-las",
        "omobility-la-cnr",
        "omobilities",
        "imobility-tor-cnr",
        "institutions",
        "organizational-units",
    ]  # served now
    hei = root.find("m:host/m:institutions-covered/r:hei", ns)
    assert hei is not None
    assert hei.get("id") == "polimi.it"
    assert xml.text(hei, "r:name", ns) == "Politecnico di Milano"
    client_key = xml.text(root, "m:host/m:client-credentials-in-use/m:rsa-public-key", ns)
    server_key = xml.text(root, "m:host/m:server-credentials-in-use/m:rsa-public-key", ns)
    assert "".join(client_key.split()) == keys.current("client").public_base64
    assert "".join(server_key.split()) == keys.current("server").public_base64


def test_without_keys_or_hei_id_the_manifest_says_why_with_503(
    client: Client, settings: Any, tmp_path: Path, db: None
) -> None:
    settings.EWP_CLIENT_KEY = str(tmp_path / "none.pem")
    settings.EWP_SERVER_KEY = str(tmp_path / "none.pem")
    settings.EWP_HEI_ID = "polimi.it"
    response = client.get("/ewp/manifest.xml")
    assert response.status_code == 503
    assert b"ewp keys" in response.content
    settings.EWP_HEI_ID = ""  # and no home institution
    response = client.get("/ewp/manifest.xml")
    assert response.status_code == 503
    assert b"ABROAD_EWP_HEI_ID" in response.content


def test_the_manifest_command_prints_it(
    node_keys: dict[str, Path], settings: Any, capsys: Any, db: None
) -> None:
    from django.core.management import call_command

    settings.EWP_HEI_ID = "polimi.it"
    call_command("ewp", "manifest")
    assert keys.current("server").public_base64[:40] in capsys.readouterr().out
