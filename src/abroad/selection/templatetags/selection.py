"""The call offer's summary, written in Python (issue 19): the call page shows one for each of
its 25 destinations and each of the ranking's, and a template include per summary (with its
``with``, its ``blocktranslate`` and its country's name looked up among every translated name)
was a large part of the page's rendering. The HTML is the one ``selection/_offer_summary.html``
wrote (tests/selection/test_offer_summary.py compares them)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from abroad.catalogue.queries import country_names
from abroad.selection.models import CallOffer

register = template.Library()


@register.simple_tag
def offer_summary(call_offer: CallOffer) -> SafeString:
    """The destination's name (a link to its agreement) and its facts: where, for what, the
    subject area, the seats, the language. Its type's and language's names come from
    ``views_student.name_facts`` (``mobility_type_name``, ``language_name``)."""
    offer = call_offer.offer
    agreement = offer.agreement
    partner = agreement.partner
    facts = vars(offer)
    return format_html(
        '<span class="offer-name"><a href="{}">{}</a></span>\n'
        '<small class="offer-facts">{}{}{} · {} · {} · {} · {}{}</small>',
        agreement.get_absolute_url(),
        offer.label,
        partner.city,
        ", " if partner.city else "",
        country_names().get(partner.country.code, ""),
        facts.get("mobility_type_name", ""),
        offer.isced_name,
        ngettext("%(seats)s seat", "%(seats)s seats", call_offer.seats)
        % {"seats": call_offer.seats},
        facts.get("language_name", ""),
        f" {offer.language_level}" if offer.language_level else "",
    )
