"""A learning agreement version as a PDF, in the layout of the Erasmus+ template (student,
sending and receiving institutions, tables A, B and C, the changes of a version made during the
mobility, the language competence and the three signatures).

The HTML is rendered by WeasyPrint with a URL fetcher that fetches nothing: the template has
no external resource (its CSS is inline), so a PDF never reaches the network or the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from abroad.catalogue.models import Institution
from abroad.core.enums import isced_name
from abroad.mobility import checks
from abroad.mobility.enums import Stage, Table
from abroad.mobility.models import Component, LearningAgreement
from abroad.mobility.queries import live

TEMPLATE = "mobility/pdf/learning_agreement.html"

# The fonts the PDF is drawn with, in order (see the operator's guide, Install): DejaVu Sans for
# Latin, Greek and Cyrillic (Debian's fonts-dejavu-core), Noto Sans CJK for Chinese, Japanese
# and Korean course titles and names (fonts-noto-cjk; the Simplified Chinese face first, the
# partners' most frequent script), Noto Color Emoji (fonts-noto-color-emoji). Without a font
# that covers a character, the PDF shows an empty box; a family named here is chosen before
# whatever other font the system would fall back on (Noto Sans CJK JP draws Chinese with
# Japanese glyph forms).
FONT_FAMILIES: tuple[str, ...] = (
    "DejaVu Sans",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Noto Color Emoji",
    "Liberation Sans",
)


def font_family() -> str:
    """The CSS ``font-family`` value of :data:`FONT_FAMILIES`."""
    return ", ".join(f'"{family}"' for family in FONT_FAMILIES) + ", sans-serif"


@dataclass(frozen=True)
class TableView:
    code: str  # A, B or C
    title: str
    rows: list[Component]
    total: Decimal


@dataclass(frozen=True)
class Signature:
    role: str
    name: str
    signed_at: Any  # a datetime, or None when not signed yet


def home_institution() -> Institution | None:
    """The sending institution (see ``Institution.objects.find_home``)."""
    return Institution.objects.find_home()


def _tables(components: list[Component]) -> list[TableView]:
    tables: list[TableView] = []
    for table in Table:
        rows = live(components, table)
        if table == Table.C and not rows:
            continue  # table C only when there are virtual components
        total = checks.credits(rows)
        tables.append(TableView(table.value, str(table.label), rows, total))
    return tables


def _sending_signer(agreement: LearningAgreement) -> str:
    """Who signs for the sending institution: the promoter who acted, else the student's
    exchange coordinators (those who will)."""
    user = agreement.promoter
    if user is not None:
        promoter = getattr(user, "promoter", None)
        return str(promoter) if promoter is not None else str(user)
    course = agreement.mobility.student.course_of_study
    if course is None:
        return ""
    return ", ".join(str(p) for p in course.coordinators.select_related("user"))


def context(agreement: LearningAgreement) -> dict[str, Any]:
    """What the template shows."""
    mobility = agreement.mobility
    student = mobility.student
    components = list(agreement.components.all())
    home = home_institution()
    changes = [c for c in components if c.status] if agreement.stage == Stage.DURING else []
    return {
        "agreement": agreement,
        "mobility": mobility,
        "student": student,
        "course": student.course_of_study,
        "isced_name": isced_name(agreement.isced_code) if agreement.isced_code else "",
        "home": home,
        "home_code": home.erasmus_code if home is not None else settings.HOME_ERASMUS_CODE,
        "host": mobility.host,
        "tables": _tables(components),
        "changes": changes,
        "during": agreement.stage == Stage.DURING,
        "signatures": [
            Signature(
                "student", student.get_full_name() or str(student), agreement.student_signed_at
            ),
            Signature("sending", _sending_signer(agreement), agreement.promoter_signed_at),
            Signature("receiving", agreement.host_signer, agreement.host_signed_at),
        ],
        "generated_at": timezone.now(),
        "font_family": font_family(),
    }


class _NoFetching(weasyprint.URLFetcher):
    """Refuses every URL but inline ``data:`` ones: nothing is read from the network or disk."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    """A self-contained HTML page as a PDF (nothing is fetched)."""
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_NoFetching())
    pdf: bytes = document.write_pdf()
    return pdf


def render_learning_agreement(agreement: LearningAgreement) -> bytes:
    """The PDF of one learning agreement version."""
    return html_to_pdf(render_to_string(TEMPLATE, context(agreement)))
