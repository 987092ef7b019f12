"""The promoter desk, under /mobility/desk/: who sees what, filters, single and bulk decisions on
learning agreements, extension decisions, and a constant query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from abroad.mobility import services
from abroad.mobility.enums import (
    ComponentStatus,
    ExtensionState,
    LearningAgreementState,
    ReasonCode,
    Stage,
    Table,
)
from abroad.mobility.models import ExtensionRequest, LearningAgreement, Mobility
from abroad.mobility.services import MobilityError
from abroad.people.models import User
from tests.conftest import logged_in
from tests.factories import PromoterFactory
from tests.mobility.factories import (
    ComponentFactory,
    MobilityFactory,
    agreement_with_rows,
    coordinate,
    pdf_upload,
)
from tests.selection.factories import LanguageCertificateFactory, StudentCareerFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def mobility(student: User, promoter: User) -> Mobility:
    """The student's mobility; the promoter persona coordinates the student's course, so
    approves its learning agreements; the partner site's promoter decides extensions."""
    found: Mobility = MobilityFactory.create(student=student)
    coordinate(found, promoter)
    return found


@pytest.fixture
def site_promoter(mobility: Mobility) -> User:
    assert mobility.offer is not None
    assert mobility.offer.agreement.promoter is not None
    user: User = mobility.offer.agreement.promoter.user
    return user


@pytest.fixture
def bystander() -> Client:
    """A promoter who neither approves nor decides anything of these mobilities."""
    return logged_in(PromoterFactory.create().user)


def submitted(mobility: Mobility, **kwargs: Any) -> LearningAgreement:
    return agreement_with_rows(
        mobility,
        state=LearningAgreementState.SUBMITTED,
        student_signed_at=timezone.now(),
        **kwargs,
    )


def extension_of(mobility: Mobility, days: int = 60) -> ExtensionRequest:
    assert mobility.planned_end is not None
    return services.request_extension(
        mobility=mobility,
        actor=mobility.student,
        requested_end=mobility.planned_end + dt.timedelta(days=days),
        reason="The host offers a research project in the spring.",
        form=pdf_upload("extension.pdf"),
    )


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def post(client: Client, address: str, data: dict[str, Any]) -> list[str]:
    """POST, follow the redirect, return the messages shown."""
    response = client.post(address, data, follow=True)
    assert response.status_code == 200
    return messages_of(response)


def desk_url(query: str = "") -> str:
    return reverse("mobility:desk") + (f"?{query}" if query else "")


def review_url(agreement: LearningAgreement) -> str:
    return reverse("mobility:la_review", args=[agreement.pk])


def extension_url(extension: ExtensionRequest) -> str:
    return reverse("mobility:extension_review", args=[extension.pk])


def login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("login") + "?next="
    )


# ---------------------------------------------------------------------------- who may see


def test_desk_permissions(personas: dict[str, Client], mobility: Mobility) -> None:
    submitted(mobility)
    address = desk_url()
    statuses = {name: client.get(address).status_code for name, client in personas.items()}
    assert statuses == {
        "student": 404,
        "other_student": 404,
        "promoter": 200,
        "office": 200,
        "school_office": 200,
        "other_school_office": 200,  # the desk, without the other School's items
        "anonymous": 302,
    }
    assert login_redirect(personas["anonymous"].get(address))


def test_the_desk_of_a_schools_office_holds_its_school_only(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement = submitted(mobility)
    extension = extension_of(mobility)

    def seen(name: str) -> tuple[list[int], list[int]]:
        context = personas[name].get(desk_url()).context
        return (
            [row.agreement.pk for row in context["agreement_rows"]],
            [e.pk for e in context["extensions"]],
        )

    assert seen("office") == seen("school_office") == ([agreement.pk], [extension.pk])
    assert seen("other_school_office") == ([], [])


def test_desk_shows_only_what_the_promoter_decides(
    personas: dict[str, Client], mobility: Mobility, site_promoter: User, bystander: Client
) -> None:
    mine = submitted(mobility)
    other = submitted(MobilityFactory.create())  # approved by its site's promoter
    extension = extension_of(mobility)

    def seen(client: Client) -> tuple[list[int], list[int]]:
        context = client.get(desk_url()).context
        return (
            [row.agreement.pk for row in context["agreement_rows"]],
            [e.pk for e in context["extensions"]],
        )

    assert seen(personas["promoter"]) == ([mine.pk], [])
    assert seen(logged_in(site_promoter)) == ([], [extension.pk])
    assert seen(bystander) == ([], [])
    assert seen(personas["office"]) == (sorted([mine.pk, other.pk]), [extension.pk])


def test_desk_office_sees_no_bulk_buttons(personas: dict[str, Client], mobility: Mobility) -> None:
    submitted(mobility)
    office_page = personas["office"].get(desk_url()).content.decode()
    promoter_page = personas["promoter"].get(desk_url()).content.decode()
    assert "Approve selected" not in office_page
    assert "Approve selected" in promoter_page


def test_desk_row_shows_version_credits_and_check_counts(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    """Five courses of 6 ECTS plus one of 3: 33 ECTS where 30 are expected (a warning), and no
    certificate for the host's English B2 (another)."""
    agreement = submitted(mobility)
    ComponentFactory.create(agreement=agreement, table=Table.A, position=6, ects=Decimal(3))
    row = personas["promoter"].get(desk_url()).context["agreement_rows"][0]
    assert (row.agreement.pk, row.total_a, row.errors, row.warnings, row.is_change) == (
        agreement.pk,
        Decimal(33),
        0,
        3,  # credits, recognition (B 30 for A 33), language
        False,
    )
    LanguageCertificateFactory.create(student=student, language="en", level="C1")
    row = personas["promoter"].get(desk_url()).context["agreement_rows"][0]
    assert row.warnings == 2


def test_desk_filters(personas: dict[str, Client], mobility: Mobility, promoter: User) -> None:
    first = submitted(mobility)
    second_mobility = MobilityFactory.create(
        student__last_name="Zanetti", student__student_number="Z77"
    )
    coordinate(second_mobility, promoter)
    signed = agreement_with_rows(second_mobility, state=LearningAgreementState.SIGNED)
    change = submitted(second_mobility, number=2, stage=Stage.DURING, based_on=signed)
    client = personas["promoter"]

    def rows(query: str) -> list[int]:
        return [r.agreement.pk for r in client.get(desk_url(query)).context["agreement_rows"]]

    assert rows("") == [first.pk, change.pk]
    assert rows("kind=first") == [first.pk]
    assert rows("kind=change") == [change.pk]
    assert rows("kind=extension") == []
    assert rows("q=zanet") == [change.pk]
    assert rows("q=Z77") == [change.pk]
    assert rows(f"course={mobility.student.course_of_study_id}") == [first.pk]
    assert rows(f"partner={second_mobility.host_id}") == [change.pk]


def test_desk_course_filter_names_each_course_as_the_catalogue_does(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    """The course select's labels are ``CourseOfStudy.__str__``'s (name and degree level),
    in English and in Italian, though the desk no longer calls ``get_level_display``."""
    submitted(mobility)
    course = mobility.student.course_of_study
    assert course is not None
    client = personas["promoter"]
    labels = []
    for language in ("en", "it"):
        with translation.override(language):
            expected = str(course)
        labels.append(expected)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = client.get(desk_url("")).content.decode()
        select = html.split('name="course"')[1].split("</select>")[0]
        assert f'value="{course.pk}">{escape(expected)}</option>' in select
    assert labels[0] != labels[1]  # the level's label is translated


def test_desk_htmx_renders_the_results_only(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    submitted(mobility)
    response = personas["promoter"].get(desk_url("kind=first"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body


# --------------------------------------------------------------------------- bulk decisions


def coordinated(promoter: User, count: int) -> list[LearningAgreement]:
    agreements = []
    for _ in range(count):
        found = MobilityFactory.create(
            student__password="!", offer__agreement__promoter__user__password="!"
        )
        coordinate(found, promoter)
        agreements.append(submitted(found))
    return agreements


def who(agreement: LearningAgreement) -> str:
    student = agreement.mobility.student
    return f"{student.last_name} {student.first_name}, version {agreement.number}"


def test_bulk_approve_reports_done_and_refused(personas: dict[str, Client], promoter: User) -> None:
    first, decided, third = coordinated(promoter, 3)
    LearningAgreement.objects.filter(pk=decided.pk).update(state=LearningAgreementState.RETURNED)
    shown = post(
        personas["promoter"],
        desk_url(),
        {"action": "approve", "agreement": [first.pk, decided.pk, third.pk]},
    )
    assert shown == [
        f"2 learning agreements approved: {who(first)}; {who(third)}.",
        f"{who(decided)}: not done. Version 1 is “Returned with comments”; somebody may have "
        "acted on it already.",
    ]
    states = dict(
        LearningAgreement.objects.filter(pk__in=[first.pk, decided.pk, third.pk]).values_list(
            "pk", "state"
        )
    )
    assert states == {
        first.pk: LearningAgreementState.APPROVED,
        decided.pk: LearningAgreementState.RETURNED,
        third.pk: LearningAgreementState.APPROVED,
    }
    first.refresh_from_db()
    assert first.promoter == promoter


def test_bulk_return_with_comment(personas: dict[str, Client], promoter: User) -> None:
    first, second = coordinated(promoter, 2)
    shown = post(
        personas["promoter"],
        desk_url(),
        {"action": "return", "agreement": [first.pk, second.pk], "comment": " Add table B. "},
    )
    assert shown == [f"2 learning agreements returned: {who(first)}; {who(second)}."]
    assert list(
        LearningAgreement.objects.filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
        .values_list("state", "comment")
    ) == [
        (LearningAgreementState.RETURNED, "Add table B."),
        (LearningAgreementState.RETURNED, "Add table B."),
    ]


def test_bulk_return_without_comment_changes_nothing(
    personas: dict[str, Client], promoter: User
) -> None:
    first, second = coordinated(promoter, 2)
    shown = post(
        personas["promoter"],
        desk_url(),
        {"action": "return", "agreement": [first.pk, second.pk], "comment": "  "},
    )
    assert shown == ["Write in the comment what the students should change; nothing was returned."]
    assert set(
        LearningAgreement.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "state", flat=True
        )
    ) == {LearningAgreementState.SUBMITTED}


def test_bulk_skips_what_the_promoter_does_not_approve(
    personas: dict[str, Client], promoter: User
) -> None:
    (mine,) = coordinated(promoter, 1)
    foreign = submitted(MobilityFactory.create())
    shown = post(
        personas["promoter"], desk_url(), {"action": "approve", "agreement": [mine.pk, foreign.pk]}
    )
    assert shown == [
        f"1 learning agreement approved: {who(mine)}.",
        "1 selected learning agreement is not one you approve; it was skipped.",
    ]
    foreign.refresh_from_db()
    assert foreign.state == LearningAgreementState.SUBMITTED


def test_bulk_with_nothing_selected(personas: dict[str, Client], promoter: User) -> None:
    assert post(personas["promoter"], desk_url(), {"action": "approve"}) == [
        "Select at least one learning agreement."
    ]


def test_bulk_is_refused_to_the_office_and_students(
    personas: dict[str, Client], promoter: User
) -> None:
    (agreement,) = coordinated(promoter, 1)
    data = {"action": "approve", "agreement": [agreement.pk]}
    assert personas["office"].post(desk_url(), data).status_code == 403
    assert personas["student"].post(desk_url(), data).status_code == 404
    assert login_redirect(personas["anonymous"].post(desk_url(), data))
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.SUBMITTED


def test_bulk_keeps_the_filters_on_redirect(personas: dict[str, Client], promoter: User) -> None:
    (agreement,) = coordinated(promoter, 1)
    response = personas["promoter"].post(
        desk_url("kind=first"), {"action": "approve", "agreement": [agreement.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == desk_url("kind=first")


# ------------------------------------------------------------------------ the review page


def test_la_review_permissions(
    personas: dict[str, Client], mobility: Mobility, site_promoter: User, bystander: Client
) -> None:
    agreement = submitted(mobility)
    address = review_url(agreement)
    statuses = {name: client.get(address).status_code for name, client in personas.items()}
    assert statuses == {
        "student": 404,
        "other_student": 404,
        "promoter": 200,
        "office": 200,
        "school_office": 200,
        "other_school_office": 404,
        "anonymous": 302,
    }
    assert bystander.get(address).status_code == 404
    # the site's promoter decides extensions, not this course's agreements
    assert logged_in(site_promoter).get(address).status_code == 404
    missing = reverse("mobility:la_review", args=[agreement.pk + 100])
    assert personas["office"].get(missing).status_code == 404


def test_la_review_post_permissions(
    personas: dict[str, Client], mobility: Mobility, bystander: Client
) -> None:
    agreement = submitted(mobility)
    address = review_url(agreement)
    data = {"action": "approve"}
    assert personas["student"].post(address, data).status_code == 404
    assert personas["other_student"].post(address, data).status_code == 404
    assert personas["office"].post(address, data).status_code == 403
    assert bystander.post(address, data).status_code == 404
    assert login_redirect(personas["anonymous"].post(address, data))
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.SUBMITTED


def test_la_review_shows_findings_certificates_and_decision_form(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    LanguageCertificateFactory.create(student=student, language="en", level="B1", name="IELTS 5.5")
    agreement = submitted(mobility)
    response = personas["promoter"].get(review_url(agreement))
    page = response.content.decode()
    assert [f.code for f in response.context["findings"]] == ["language"]
    assert "The host asks for English B2; your certificate shows B1." in page
    assert "IELTS 5.5" in page
    assert 'value="approve"' in page
    office_page = personas["office"].get(review_url(agreement)).content.decode()
    assert 'value="approve"' not in office_page


def test_la_review_after_the_recognition_offers_no_decision(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    signed = agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)
    change = submitted(mobility, number=2, stage=Stage.DURING, based_on=signed, a=4)
    Mobility.objects.filter(pk=mobility.pk).update(recognised_at=timezone.now())
    page = personas["promoter"].get(review_url(change)).content.decode()
    assert 'value="approve"' not in page
    assert "The recognition of this mobility was validated" in page
    change.refresh_from_db()
    with pytest.raises(MobilityError, match="can no longer change"):
        services.approve(agreement=change, actor=None)
    assert LearningAgreement.objects.get(pk=change.pk).state == LearningAgreementState.SUBMITTED


def test_la_review_of_a_change_shows_changes_and_previous_version(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    signed = agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)
    change = submitted(mobility, number=2, stage=Stage.DURING, based_on=signed, a=4)
    ComponentFactory.create(
        agreement=change,
        table=Table.A,
        code="GONE1",
        title="Fluid Dynamics",
        status=ComponentStatus.DELETED,
        reason_code=ReasonCode.TIMETABLE_CONFLICT,
    )
    ComponentFactory.create(
        agreement=change,
        table=Table.A,
        code="NEW1",
        title="Turbulence",
        status=ComponentStatus.INSERTED,
        reason_code=ReasonCode.OTHER,
        reason_text="Recommended by the host tutor",
    )
    response = personas["promoter"].get(review_url(change))
    context = response.context
    assert context["is_change"] is True
    assert context["previous"] == signed
    assert [(c.code, c.status) for c in context["changed"]] == [
        ("GONE1", ComponentStatus.DELETED),
        ("NEW1", ComponentStatus.INSERTED),
    ]
    totals = {code: total for code, _label, _rows, total in context["tables"]}
    assert totals == {"A": Decimal(30), "B": Decimal(30)}  # the deleted 6 do not count
    page = response.content.decode()
    assert "Timetable conflict" in page
    assert "Recommended by the host tutor" in page
    assert "The version in force, v1 (signed by all three), for comparison" in page


def test_la_review_approve(personas: dict[str, Client], mobility: Mobility, promoter: User) -> None:
    agreement = submitted(mobility)
    response = personas["promoter"].post(review_url(agreement), {"action": "approve"}, follow=True)
    assert response.redirect_chain == [(desk_url(), 302)]
    assert messages_of(response) == [
        f"Version 1 of {mobility.student} approved; it now waits for the host."
    ]
    agreement.refresh_from_db()
    assert (agreement.state, agreement.promoter) == (LearningAgreementState.APPROVED, promoter)


def test_la_review_return_needs_a_comment(personas: dict[str, Client], mobility: Mobility) -> None:
    agreement = submitted(mobility)
    shown = post(personas["promoter"], review_url(agreement), {"action": "return", "comment": ""})
    assert shown == ["Write what the student should change."]
    agreement.refresh_from_db()
    assert (agreement.state, agreement.comment) == (LearningAgreementState.SUBMITTED, "")
    shown = post(
        personas["promoter"],
        review_url(agreement),
        {"action": "return", "comment": "Table B misses the thesis."},
    )
    assert shown == [f"Version 1 of {mobility.student} returned with your comments."]
    agreement.refresh_from_db()
    assert (agreement.state, agreement.comment) == (
        LearningAgreementState.RETURNED,
        "Table B misses the thesis.",
    )


def test_la_review_approve_twice_is_refused(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement = submitted(mobility)
    post(personas["promoter"], review_url(agreement), {"action": "approve"})
    shown = post(personas["promoter"], review_url(agreement), {"action": "approve"})
    assert shown == [
        "Version 1 is “Approved by the promoter, waiting for the host”; somebody may have acted "
        "on it already."
    ]


# ------------------------------------------------------------------------------ extensions


def test_extension_review_permissions(
    personas: dict[str, Client], mobility: Mobility, site_promoter: User, bystander: Client
) -> None:
    extension = extension_of(mobility)
    address = extension_url(extension)
    statuses = {name: client.get(address).status_code for name, client in personas.items()}
    assert statuses == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,  # approves the agreements; the site's promoter decides extensions
        "office": 200,
        "school_office": 200,
        "other_school_office": 404,
        "anonymous": 302,
    }
    assert logged_in(site_promoter).get(address).status_code == 200
    assert bystander.get(address).status_code == 404
    data = {"action": "authorise"}
    assert personas["office"].post(address, data).status_code == 403
    assert personas["promoter"].post(address, data).status_code == 404
    assert personas["student"].post(address, data).status_code == 404
    extension.refresh_from_db()
    assert extension.state == ExtensionState.REQUESTED


def test_extension_review_shows_months_and_cycle(mobility: Mobility, site_promoter: User) -> None:
    extension = extension_of(mobility)
    response = logged_in(site_promoter).get(extension_url(extension))
    context = response.context
    assert (context["used"], context["limit"], context["total_after"], context["over_limit"]) == (
        0,
        12,
        extension.months_after,
        False,
    )
    assert context["added"] == extension.months_after - extension.months_before
    assert context["may_act"] is True
    page = response.content.decode()
    assert reverse("mobility:document", args=[mobility.pk, extension.form_id]) in page
    assert "The host offers a research project in the spring." in page


def test_extension_authorised_changes_end_and_months(
    mobility: Mobility, site_promoter: User
) -> None:
    extension = extension_of(mobility)
    client = logged_in(site_promoter)
    shown = post(client, extension_url(extension), {"action": "authorise"})
    end = extension.requested_end
    assert shown == [
        f"Extension of {mobility.student} authorised: the mobility now ends on {end.isoformat()}."
    ]
    mobility.refresh_from_db()
    extension.refresh_from_db()
    assert (mobility.planned_end, mobility.months) == (end, extension.months_after)
    assert (extension.state, extension.decided_by) == (ExtensionState.APPROVED, site_promoter)


def test_extension_refusal_needs_a_reason_and_keeps_the_dates(
    mobility: Mobility, site_promoter: User
) -> None:
    end, months = mobility.planned_end, mobility.months
    extension = extension_of(mobility)
    client = logged_in(site_promoter)
    assert post(client, extension_url(extension), {"action": "refuse", "reason": " "}) == [
        "Give the reason of the refusal."
    ]
    extension.refresh_from_db()
    assert extension.state == ExtensionState.REQUESTED
    shown = post(
        client, extension_url(extension), {"action": "refuse", "reason": "The host said no."}
    )
    assert shown == [f"Extension of {mobility.student} refused."]
    mobility.refresh_from_db()
    extension.refresh_from_db()
    assert (mobility.planned_end, mobility.months) == (end, months)
    assert (extension.state, extension.decision_reason) == (
        ExtensionState.REFUSED,
        "The host said no.",
    )


def test_extension_over_the_cycle_is_refused_by_the_service(
    mobility: Mobility, site_promoter: User
) -> None:
    extension = extension_of(mobility)
    # the registrar reports months used since the request
    StudentCareerFactory.create(student=mobility.student, months_used=10)
    client = logged_in(site_promoter)
    page = client.get(extension_url(extension)).context
    assert page["over_limit"] is True
    shown = post(client, extension_url(extension), {"action": "authorise"})
    assert shown == ["The study cycle allows 12 months and 10 are used already."]
    extension.refresh_from_db()
    assert extension.state == ExtensionState.REQUESTED


# ---------------------------------------------------------------------------- query count


def fill_desk(promoter: User, site: User, count: int) -> None:
    """``count`` first versions, ``count`` changes (with certificates and passed courses) and
    ``count`` extension requests, all for ``promoter`` to approve and ``site`` to decide."""
    for index in range(count):
        found = MobilityFactory.create(
            student__password="!",
            offer__agreement__promoter=site.promoter,
        )
        coordinate(found, promoter)
        LanguageCertificateFactory.create(student=found.student)
        found.student.passed_courses.create(code=f"P{index}", title="Analysis", credits=6)
        signed = agreement_with_rows(found, state=LearningAgreementState.SIGNED)
        submitted(found, number=2, stage=Stage.DURING, based_on=signed)
        other = MobilityFactory.create(
            student__password="!",
            offer__agreement__promoter=site.promoter,
        )
        coordinate(other, promoter)
        submitted(other)
        extension_of(other)


def desk_queries(client: Client) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(desk_url())
    assert response.status_code == 200
    return (
        len(response.context["agreement_rows"]),
        len(response.context["extensions"]),
        len(queries),
    )


def test_desk_query_count_does_not_grow(promoter: User) -> None:
    site = PromoterFactory.create(user__password="!").user
    client = logged_in(promoter)
    fill_desk(promoter, site, 1)
    rows, extensions, few = desk_queries(client)
    assert (rows, extensions) == (2, 0)
    fill_desk(promoter, site, 3)
    rows, extensions, many = desk_queries(client)
    assert (rows, extensions) == (8, 0)
    assert many == few
    site_client = logged_in(site)
    _r, extensions, few = desk_queries(site_client)
    fill_desk(promoter, site, 2)
    _r, more, many = desk_queries(site_client)
    assert (extensions, more, many) == (4, 6, few)


def test_office_desk_query_count_does_not_grow(promoter: User, office: User) -> None:
    site = PromoterFactory.create(user__password="!").user
    client = logged_in(office)
    fill_desk(promoter, site, 1)
    rows, extensions, few = desk_queries(client)
    fill_desk(promoter, site, 3)
    rows_after, extensions_after, many = desk_queries(client)
    assert (rows, extensions, rows_after, extensions_after) == (2, 1, 8, 4)
    assert many == few
