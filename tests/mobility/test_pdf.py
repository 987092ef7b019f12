"""The learning agreement as a PDF: what it says (read back with pypdf) and who may get it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from abroad.catalogue.models import Institution
from abroad.mobility.enums import (
    ComponentStatus,
    LearningAgreementState,
    ReasonCode,
    Stage,
    Table,
)
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.mobility.pdf import _NoFetching, home_institution, render_learning_agreement
from abroad.people.enums import Role
from abroad.people.models import User
from tests.conftest import logged_in
from tests.factories import CourseOfStudyFactory, InstitutionFactory, PromoterFactory, UserFactory
from tests.mobility.factories import (
    ComponentFactory,
    MobilityFactory,
    agreement_with_rows,
    coordinate,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SIGNED_BY_STUDENT = timezone.make_aware(dt.datetime(2027, 2, 1, 10, 15))
SIGNED_BY_PROMOTER = timezone.make_aware(dt.datetime(2027, 2, 3, 9, 0))
SIGNED_BY_HOST = timezone.make_aware(dt.datetime(2027, 2, 10, 16, 30))


def text_of(pdf: bytes) -> str:
    """The PDF's text with every run of white space made one space."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def signed_on(moment: dt.datetime) -> str:
    return "Signed on " + dateformat.format(timezone.localtime(moment), "j F Y, H:i")


@pytest.fixture
def home() -> Institution:
    return InstitutionFactory.create(
        name="Politecnico di Milano",
        country="IT",
        city="Milano",
        erasmus_code="I MILANO02",
        is_home=True,
    )


@pytest.fixture
def mobility() -> Mobility:
    student = UserFactory.create(
        username="lucia",
        first_name="Lucia",
        last_name="Ferraro",
        student_number="987654",
        role=Role.STUDENT,
        course_of_study=CourseOfStudyFactory.create(name="Mechanical Engineering"),
    )
    return MobilityFactory.create(
        student=student,
        host=InstitutionFactory.create(
            name="Technische Universität München", country="DE", erasmus_code="D MUNCHEN02"
        ),
    )


def signed(agreement: LearningAgreement, promoter: User) -> LearningAgreement:
    agreement.state = LearningAgreementState.SIGNED
    agreement.student_signed_at = SIGNED_BY_STUDENT
    agreement.promoter = promoter
    agreement.promoter_signed_at = SIGNED_BY_PROMOTER
    agreement.host_signer = "Dr. Anna Schmidt"
    agreement.host_signed_at = SIGNED_BY_HOST
    agreement.save()
    return agreement


def test_pdf_of_a_signed_first_version(home: Institution, mobility: Mobility) -> None:
    promoter = PromoterFactory.create(user__first_name="Marco", user__last_name="Bellandi").user
    agreement = signed(agreement_with_rows(mobility), promoter)

    pdf = render_learning_agreement(agreement)
    text = text_of(pdf)

    assert pdf.startswith(b"%PDF-")
    assert "Learning Agreement — Student Mobility for Studies" in text
    assert "Version 1 Before the mobility State: Signed by all three" in text
    assert "Name Ferraro Lucia" in text
    assert "Student number 987654" in text
    assert "Course of study Mechanical Engineering (Master (Laurea Magistrale))" in text
    assert "Study cycle EQF 7" in text
    assert "Field of education (ISCED-F) 0715" in text
    assert "Politecnico di Milano" in text
    assert "I MILANO02" in text
    assert "Technische Universität München" in text
    assert "D MUNCHEN02" in text
    assert "Germany" in text
    for component in agreement.components.all():
        assert component.title in text
    assert "Total A 30" in text
    assert "Total B 30" in text
    assert "Table C" not in text
    assert "Language of instruction English" in text
    assert "The student's level B2" in text
    assert f"Student Lucia Ferraro {signed_on(SIGNED_BY_STUDENT)}" in text
    assert (
        f"Sending institution (promoter) Prof. Marco Bellandi {signed_on(SIGNED_BY_PROMOTER)}"
        in (text)
    )
    assert f"Receiving institution Dr. Anna Schmidt {signed_on(SIGNED_BY_HOST)}" in text
    assert "not yet signed" not in text


def test_pdf_of_a_draft_is_not_signed_by_anybody(home: Institution, mobility: Mobility) -> None:
    coordinator = PromoterFactory.create(
        user__first_name="Giulia", user__last_name="Ferraresi"
    ).user
    coordinate(mobility, coordinator)
    agreement = agreement_with_rows(mobility, a=2, b=1)

    text = text_of(render_learning_agreement(agreement))

    assert "Version 1 Before the mobility State: Draft" in text
    assert "Total A 12" in text
    assert "Total B 6" in text
    assert "Student Lucia Ferraro not yet signed" in text
    # the coordinator who will sign for the sending institution
    assert "Sending institution (promoter) Prof. Giulia Ferraresi not yet signed" in text
    assert "Receiving institution — not yet signed" in text
    assert text.count("not yet signed") == 3


def test_pdf_approved_waits_for_the_host(home: Institution, mobility: Mobility) -> None:
    promoter = PromoterFactory.create(user__first_name="Marco", user__last_name="Bellandi").user
    agreement = agreement_with_rows(
        mobility,
        state=LearningAgreementState.APPROVED,
        student_signed_at=SIGNED_BY_STUDENT,
        promoter=promoter,
        promoter_signed_at=SIGNED_BY_PROMOTER,
    )

    text = text_of(render_learning_agreement(agreement))

    assert "State: Approved by the promoter, waiting for the host" in text
    assert f"Prof. Marco Bellandi {signed_on(SIGNED_BY_PROMOTER)}" in text
    assert "Receiving institution — not yet signed" in text
    assert text.count("not yet signed") == 1


def test_pdf_of_a_change_lists_the_changes_with_their_reasons(
    home: Institution, mobility: Mobility
) -> None:
    first = agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)
    change = agreement_with_rows(mobility, number=2, stage=Stage.DURING, based_on=first, a=4, b=5)
    ComponentFactory.create(
        agreement=change,
        table=Table.A,
        code="OLD1",
        title="Fluid Dynamics",
        status=ComponentStatus.DELETED,
        reason_code=ReasonCode.TIMETABLE_CONFLICT,
    )
    ComponentFactory.create(
        agreement=change,
        table=Table.A,
        code="NEW1",
        title="Computational Mechanics",
        ects=Decimal("7.5"),
        status=ComponentStatus.INSERTED,
        reason_code=ReasonCode.OTHER,
        reason_text="Recommended by the host coordinator",
    )

    text = text_of(render_learning_agreement(change))

    assert "Version 2 Change during the mobility State: Draft" in text
    assert "During the mobility: the study programme as changed" in text
    # the deleted component no longer counts: 4 x 6 + 7.5
    assert "Total A 31.5" in text
    assert "Changes to the study programme (tables A2, B2, C2)" in text
    assert "A2 OLD1 Fluid Dynamics Deleted Timetable conflict 6" in text
    assert (
        "A2 NEW1 Computational Mechanics Added Other reason (explained): Recommended by the host "
        "coordinator 7.5"
    ) in text


def test_pdf_shows_table_c_and_the_thesis_mark(home: Institution, mobility: Mobility) -> None:
    agreement = agreement_with_rows(mobility, a=1, b=0)
    ComponentFactory.create(
        agreement=agreement,
        table=Table.B,
        code="THESIS",
        title="Master thesis",
        is_thesis=True,
        ects=Decimal(20),
    )
    ComponentFactory.create(
        agreement=agreement, table=Table.C, code="", title="Online summer school"
    )

    text = text_of(render_learning_agreement(agreement))

    assert "THESIS Master thesis thesis 20" in text
    assert "Table C: virtual components" in text
    assert "— Online summer school Fall 6" in text
    assert "Total C 6" in text


def test_pdf_without_a_home_institution_uses_the_setting(mobility: Mobility) -> None:
    agreement = agreement_with_rows(mobility, a=1, b=1)

    assert home_institution() is None
    assert "Erasmus code I MILANO02" in text_of(render_learning_agreement(agreement))


def test_pdf_home_institution_by_its_code(settings: object) -> None:
    polimi = InstitutionFactory.create(name="Politecnico di Milano", erasmus_code="I  MILANO02")

    assert home_institution() == polimi


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/logo.png",
        "https://example.org/style.css",
        "file:///etc/passwd",
        "ftp://example.org/x",
    ],
)
def test_pdf_fetches_nothing(url: str) -> None:
    with pytest.raises(ValueError, match="disallowed protocol"):
        _NoFetching().fetch(url)


# ---------------------------------------------------------------------------------- view


@pytest.fixture
def own(student: User, home: Institution) -> LearningAgreement:
    """A learning agreement of the ``student`` persona."""
    return agreement_with_rows(MobilityFactory.create(student=student))


def pdf_url(agreement: LearningAgreement) -> str:
    return reverse(
        "mobility:la_pdf", kwargs={"pk": agreement.mobility_id, "number": agreement.number}
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student", 200),
        ("other_student", 404),
        ("promoter", 404),  # a promoter with nothing to do with this mobility
        ("office", 200),
    ],
)
def test_pdf_view_personas(
    personas: dict[str, Client], own: LearningAgreement, persona: str, status: int
) -> None:
    response = personas[persona].get(pdf_url(own))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'inline; filename="learning-agreement-{own.mobility_id}-v1.pdf"'
        )
        assert "no-store" in response["Cache-Control"]
        assert response.content.startswith(b"%PDF-")


def test_pdf_view_coordinator_and_site_promoter(own: LearningAgreement) -> None:
    coordinator = PromoterFactory.create().user
    coordinate(own.mobility, coordinator)
    site_promoter = own.mobility.offer.agreement.promoter.user  # type: ignore[union-attr]

    assert logged_in(coordinator).get(pdf_url(own)).status_code == 200
    # the partner site's promoter decides extensions, so sees the mobility too
    assert logged_in(site_promoter).get(pdf_url(own)).status_code == 200


def test_pdf_view_anonymous_goes_to_the_login(own: LearningAgreement) -> None:
    url = pdf_url(own)
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_pdf_view_unknown_version_or_mobility(
    personas: dict[str, Client], own: LearningAgreement
) -> None:
    office = personas["office"]
    missing_version = reverse("mobility:la_pdf", kwargs={"pk": own.mobility_id, "number": 9})
    missing_mobility = reverse("mobility:la_pdf", kwargs={"pk": own.mobility_id + 100, "number": 1})

    assert office.get(missing_version).status_code == 404
    assert office.get(missing_mobility).status_code == 404


def test_pdf_view_another_mobilitys_version_is_not_reachable(
    personas: dict[str, Client], own: LearningAgreement
) -> None:
    """The number is looked up within the mobility of the URL, that the user may see."""
    other = agreement_with_rows(MobilityFactory.create(), number=2)

    url = reverse("mobility:la_pdf", kwargs={"pk": own.mobility_id, "number": other.number})
    assert personas["student"].get(url).status_code == 404


# ------------------------------------------------------------------------- fonts (issue 18)


def _embedded_fonts(pdf: bytes) -> dict[str, int]:
    """Every font the PDF embeds, by its name without the subset tag, with how many glyphs
    its subset holds (a subset of the .notdef box alone holds one)."""
    from fontTools.ttLib import TTFont

    fonts: dict[str, int] = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for reference in resources["/Font"].values():
            font: Any = reference.get_object()
            name = str(font["/BaseFont"]).split("+", 1)[-1]
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            stream = next(
                descriptor[key].get_object()
                for key in ("/FontFile2", "/FontFile3", "/FontFile")
                if key in descriptor
            )
            data = stream.get_data()
            try:
                glyphs = TTFont(io.BytesIO(data))["maxp"].numGlyphs
            except Exception:  # a bare CFF program: count its CharStrings
                from fontTools.cffLib import CFFFontSet

                cff = CFFFontSet()
                cff.decompile(io.BytesIO(data), None)
                glyphs = len(cff[cff.fontNames[0]].CharStrings)
            fonts[name] = max(fonts.get(name, 0), glyphs)
    return fonts


def test_pdf_draws_chinese_and_emoji_with_fonts_that_have_them(
    home: Institution, mobility: Mobility
) -> None:
    """A Chinese course title and an emoji come out in Noto Sans CJK SC and Noto Color Emoji
    (Debian's fonts-noto-cjk and fonts-noto-color-emoji, which the operator's guide asks
    for), not as empty boxes; Greek and Cyrillic in DejaVu Sans."""
    agreement = agreement_with_rows(mobility, a=2, b=2)
    ComponentFactory.create(
        agreement=agreement, table=Table.A, position=3, title="机器人学导论 🤖 Αρχιτεκτονική Физика"
    )

    pdf = render_learning_agreement(agreement)

    assert "机器人学导论" in text_of(pdf)
    fonts = _embedded_fonts(pdf)
    assert "DejaVu-Sans" in fonts, fonts
    cjk = [name for name in fonts if "CJK-SC" in name]
    assert cjk, fonts  # named in the stack: not the system's fallback (CJK JP) nor a box
    assert fonts[cjk[0]] >= 1 + len("机器人学导论"), fonts  # real glyphs, not .notdef
    emoji = [name for name in fonts if "Emoji" in name]
    assert emoji, fonts
    assert fonts[emoji[0]] >= 2, fonts
