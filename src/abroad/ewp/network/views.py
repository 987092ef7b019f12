"""The node's public URLs under /ewp/: the discovery manifest (unsigned, as the registry
reads it) and the Echo API v2 (signed requests only)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from lxml import etree

from abroad.ewp.network import keys
from abroad.ewp.network import manifest as manifest_module
from abroad.ewp.network.client import ECHO_RESPONSE
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.server import XML_TYPE, Caller, error_response, ewp_api
from abroad.ewp.xml import EwpError

log = logging.getLogger(__name__)


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The manifest; 503 (with the reason, for the operator) while the node cannot publish
    one: no key files yet, or no HEI id."""
    try:
        return HttpResponse(manifest_module.build(), content_type=XML_TYPE)
    except (keys.KeyFileError, EwpError) as error:
        log.error("EWP manifest not served: %s", error)
        return error_response(503, str(error))


@ewp_api(methods=("GET", "POST"))
def echo(request: HttpRequest, caller: Caller) -> HttpResponse:
    if request.method == "POST":
        kind = request.content_type or ""
        if kind != "application/x-www-form-urlencoded":
            raise Refused(415, "POST the parameters as application/x-www-form-urlencoded.")
        values = request.POST.getlist("echo")
    else:
        values = request.GET.getlist("echo")
    root = etree.Element(f"{{{ECHO_RESPONSE}}}response", nsmap={None: ECHO_RESPONSE})
    for hei_id in caller.hei_ids:
        etree.SubElement(root, f"{{{ECHO_RESPONSE}}}hei-id").text = hei_id
    for value in values:
        etree.SubElement(root, f"{{{ECHO_RESPONSE}}}echo").text = value
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, content_type=XML_TYPE)
