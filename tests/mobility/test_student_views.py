"""The student's side of a mobility, through the views: what each persona sees and may do,
the timeline, documents (upload, refusal, download, replacement), the learning agreement
(draft editor, checks as you type, signature, changes after the window), extensions, and
constant query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abroad.mobility import services
from abroad.mobility.enums import (
    ComponentStatus,
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    ReasonCode,
    Stage,
    Table,
)
from abroad.mobility.models import Component, Document, ExtensionRequest, Mobility
from abroad.people.models import PassedCourse, User
from tests.factories import PromoterFactory
from tests.mobility.factories import (
    PDF_BYTES,
    PNG_BYTES,
    ComponentFactory,
    DocumentFactory,
    LearningAgreementFactory,
    MobilityFactory,
    agreement_with_rows,
    coordinate,
    pdf_upload,
    today,
)
from tests.selection.factories import StudentCareerFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
LANGUAGE_WARNING = (
    "The host asks for English B2 and you have no certificate of it yet: hosts refuse "
    "agreements for this, even late. Upload one to the office."
)


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def mobility(student: User) -> Mobility:
    """The student persona's mobility: in progress, arrived ten days ago."""
    return MobilityFactory.create(student=student)


@pytest.fixture
def approver(mobility: Mobility) -> Client:
    """A promoter who approves the mobility's learning agreements (its course's coordinator)."""
    user = PromoterFactory.create(user__username="approver").user
    coordinate(mobility, user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clients(personas: dict[str, Client], approver: Client) -> dict[str, Client]:
    return {**personas, "approver": approver}


def _url(name: str, mobility: Mobility, **kwargs: Any) -> str:
    return reverse(f"mobility:{name}", kwargs={"pk": mobility.pk, **kwargs})


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _login_url(path: str) -> str:
    return f"{reverse('login')}?next={path}"


def _stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _editor_data(
    rows: dict[str, list[dict[str, Any]]], *, language: str = "en", level: str = "B2"
) -> dict[str, Any]:
    """What the editor posts: the header and one formset per table."""
    data: dict[str, Any] = {"language": language, "language_level": level}
    for table in Table.values:
        table_rows = rows.get(table, [])
        data |= {
            f"{table}-TOTAL_FORMS": str(len(table_rows)),
            f"{table}-INITIAL_FORMS": "0",
            f"{table}-MIN_NUM_FORMS": "0",
            f"{table}-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(table_rows):
            data |= {f"{table}-{index}-{field}": value for field, value in row.items()}
    return data


def _rows(*ects: int, prefix: str = "HOST") -> list[dict[str, Any]]:
    return [
        {"code": f"{prefix}{i}", "title": f"Course {prefix}{i}", "term": "Fall", "ects": str(e)}
        for i, e in enumerate(ects, start=1)
    ]


def _components(mobility: Mobility) -> list[tuple[int, str, int, str, Decimal | None]]:
    return list(
        Component.objects.filter(agreement__mobility=mobility)
        .order_by("agreement__number", "table", "position")
        .values_list("agreement__number", "table", "position", "code", "ects")
    )


# ------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("student", 302),
        ("other_student", 200),
        ("promoter", 200),
        ("office", 200),
        ("approver", 200),
        ("anonymous", 302),
    ],
)
def test_list_for_each_persona(
    clients: dict[str, Client], mobility: Mobility, persona: str, expected: int
) -> None:
    url = reverse("mobility:list")
    response = clients[persona].get(url)
    assert response.status_code == expected
    if persona == "student":
        assert response["Location"] == _url("detail", mobility)
    elif persona == "anonymous":
        assert response["Location"] == _login_url(url)
    else:
        assert list(response.context["mobilities"]) == []


def test_list_shows_each_mobility_of_a_student_with_two(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    second = MobilityFactory.create(student=student, academic_year=2027)
    response = personas["student"].get(reverse("mobility:list"))
    assert response.status_code == 200
    assert list(response.context["mobilities"]) == [second, mobility]


READERS = {
    "other_student": 404,
    "promoter": 404,
    "approver": 200,
    "anonymous": 302,
    "office": 200,
    "student": 200,
}
EDITORS = READERS | {"approver": 403}


def _snapshot(mobility: Mobility) -> tuple[Any, ...]:
    """What the writes could change."""
    mobility.refresh_from_db()
    return (
        mobility.home_supervisor,
        mobility.thesis_credits,
        list(Document.objects.values_list("pk", "replaced_at")),
        list(mobility.learning_agreements.values_list("number", "state", "language_level")),
        _components(mobility),
        list(ExtensionRequest.objects.values_list("pk", "state")),
    )


@pytest.mark.parametrize("view", ["detail", "la", "la_version", "extension", "document"])
def test_pages_for_each_persona(clients: dict[str, Client], mobility: Mobility, view: str) -> None:
    agreement_with_rows(mobility)
    document = DocumentFactory.create(mobility=mobility)
    kwargs = {"la_version": {"number": 1}, "document": {"doc": document.pk}}.get(view, {})
    url = _url(view, mobility, **kwargs)
    responses = {persona: clients[persona].get(url) for persona in READERS}
    assert {persona: r.status_code for persona, r in responses.items()} == READERS
    assert responses["anonymous"]["Location"] == _login_url(url)


def test_draft_editor_for_each_persona(clients: dict[str, Client], mobility: Mobility) -> None:
    agreement_with_rows(mobility)
    url = _url("la_edit", mobility)
    assert {persona: clients[persona].get(url).status_code for persona in EDITORS} == EDITORS


def _write(name: str, mobility: Mobility) -> tuple[str, dict[str, Any]]:
    """A write of each kind, with what it posts, on a mobility with a draft."""
    if name == "document_upload":
        return _url(name, mobility), {"kind": DocumentKind.OTHER, "file": pdf_upload()}
    if name == "thesis":
        return _url(name, mobility), {"home_supervisor": "Prof. Rossi", "thesis_credits": "20"}
    if name in ("la_check", "la_edit"):
        return _url(name, mobility), _editor_data({"A": _rows(6)}, level="C2")
    return _url(name, mobility), {}


@pytest.mark.parametrize(
    "view", ["document_upload", "thesis", "la_open", "la_edit", "la_check", "la_submit"]
)
def test_writes_for_each_persona(clients: dict[str, Client], mobility: Mobility, view: str) -> None:
    """Those who may not write change nothing; then the office and the student may."""
    mobility.kind = MobilityKind.THESIS
    mobility.save()
    agreement_with_rows(mobility)
    before = _snapshot(mobility)
    codes = {}
    for persona in READERS:  # the office and the student last
        url, data = _write(view, mobility)
        response = clients[persona].post(url, data)
        codes[persona] = response.status_code
        if persona == "anonymous":
            assert response["Location"] == _login_url(url)
            assert _snapshot(mobility) == before
    done = 200 if view == "la_check" else 302
    assert codes == EDITORS | {"office": done, "student": done}


def test_extension_writes_for_each_persona(clients: dict[str, Client], mobility: Mobility) -> None:
    """Only the student asks for an extension or withdraws it: not even the office."""
    request = _request_extension(mobility)
    before = _snapshot(mobility)
    withdrawals = {}
    requests = {}
    for persona in READERS:  # the student last
        if persona == "student":
            assert _snapshot(mobility) == before
        client = clients[persona]
        withdrawals[persona] = client.post(
            _url("extension_withdraw", mobility, ext=request.pk)
        ).status_code
        requests[persona] = client.post(
            _url("extension", mobility), _extension_data(mobility)
        ).status_code
    expected = READERS | {"approver": 403, "office": 403, "student": 302}
    assert withdrawals == expected
    assert requests == expected
    assert list(ExtensionRequest.objects.order_by("pk").values_list("state", flat=True)) == [
        ExtensionState.WITHDRAWN,
        ExtensionState.REQUESTED,
    ]


def test_writes_refuse_get(personas: dict[str, Client], mobility: Mobility) -> None:
    for view in ["document_upload", "thesis", "la_open", "la_check", "la_submit"]:
        assert personas["student"].get(_url(view, mobility)).status_code == 405, view


# ---------------------------------------------------------------------------- timeline


def test_detail_shows_the_steps_of_a_mobility_in_progress(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    response = personas["student"].get(_url("detail", mobility))
    steps = [(step.key, step.status) for step in response.context["steps"]]
    assert steps == [
        ("nominated", "done"),
        ("applied", "done"),
        ("accepted", "done"),
        ("agreement", "current"),
        ("arrival", "done"),
        ("changes", "open"),
        ("extension", "open"),
        ("departure", "todo"),
        ("completed", "todo"),
        ("recognition", "todo"),  # the recognition app's step
    ]
    deadline = today() + dt.timedelta(days=25)
    changes = response.context["steps"][5]
    assert changes.text == (
        f"You can propose changes to your learning agreement until {deadline:%-d %B %Y}."
    )
    assert 'aria-current="step"' in response.text


def test_detail_of_a_mobility_to_nominate_waits_for_the_office(
    personas: dict[str, Client], student: User
) -> None:
    """A seat just accepted is not a nomination: the step is done only once the office has
    moved the mobility on (issue 18, point 13: it said "done" before anybody nominated)."""
    mobility = MobilityFactory.create(
        student=student, state="nominated", actual_start=None, offer__extendable=False
    )
    response = personas["student"].get(_url("detail", mobility))
    steps = [(step.key, step.status) for step in response.context["steps"]]
    assert "The International Mobility Unit nominates you to the host" in (
        response.context["steps"][0].text
    )
    assert "nominated you" not in response.context["steps"][0].text
    assert steps == [
        ("nominated", "current"),
        ("applied", "todo"),
        ("accepted", "todo"),
        ("agreement", "todo"),
        ("arrival", "todo"),
        ("changes", "todo"),
        ("extension", "skipped"),
        ("departure", "todo"),
        ("completed", "todo"),
        ("recognition", "todo"),  # the recognition app's step
    ]


def test_detail_shows_the_facts_and_the_promoters(
    personas: dict[str, Client], mobility: Mobility, approver: Client
) -> None:
    response = personas["student"].get(_url("detail", mobility))
    people = [(p.email, p.role) for p in response.context["people"]]
    site = mobility.offer.agreement.promoter  # type: ignore[union-attr]
    assert site is not None
    assert people == [
        ("approver@example.org", "approves the learning agreement"),
        (site.email, "decides extensions"),
    ]
    assert mobility.host.display_name in response.text


def test_thesis_details_are_saved_by_the_student(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    mobility.kind = MobilityKind.THESIS
    mobility.save()
    response = personas["student"].post(
        _url("thesis", mobility),
        {"home_supervisor": " Prof. Rossi ", "host_supervisor": "Dr. Weber", "thesis_credits": 20},
    )
    assert response.status_code == 302
    assert response["Location"] == _url("detail", mobility) + "#thesis"
    mobility.refresh_from_db()
    assert (mobility.home_supervisor, mobility.host_supervisor, mobility.thesis_credits) == (
        "Prof. Rossi",
        "Dr. Weber",
        20,
    )
    assert _messages(response) == ["The thesis details are saved."]


def test_thesis_details_are_refused_for_a_semester(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    response = personas["office"].post(_url("thesis", mobility), {"home_supervisor": "X"})
    assert _messages(response) == ["Only a thesis mobility has thesis supervisors."]
    mobility.refresh_from_db()
    assert mobility.home_supervisor == ""


# --------------------------------------------------------------------------- documents


def test_upload_stores_the_document(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    response = personas["student"].post(
        _url("document_upload", mobility),
        {"kind": DocumentKind.ACCEPTANCE_LETTER, "file": pdf_upload("Letter Aalto.pdf")},
    )
    assert response.status_code == 302
    assert response["Location"] == _url("detail", mobility) + "#documents"
    document = Document.objects.get()
    assert (
        document.kind,
        document.original_name,
        document.content_type,
        document.size,
        document.uploaded_by,
    ) == (DocumentKind.ACCEPTANCE_LETTER, "Letter Aalto.pdf", "application/pdf", 45, student)
    assert _messages(response) == ["Letter Aalto.pdf is uploaded as “Host acceptance letter”."]


@pytest.mark.parametrize(
    ("upload", "why"),
    [
        (
            SimpleUploadedFile("letter.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
            "Only PDF, JPEG and PNG files are accepted.",
        ),
        (
            SimpleUploadedFile("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/x-exe"),
            "Only PDF, JPEG and PNG files are accepted.",
        ),
        (SimpleUploadedFile("letter.pdf", b"", "application/pdf"), "The file is empty."),
    ],
)
def test_upload_refused_stores_nothing(
    personas: dict[str, Client],
    mobility: Mobility,
    media: Path,
    upload: SimpleUploadedFile,
    why: str,
) -> None:
    response = personas["student"].post(
        _url("document_upload", mobility), {"kind": DocumentKind.OTHER, "file": upload}
    )
    assert response.status_code == 302
    assert _messages(response) == [f"{upload.name} was not uploaded: {why}"]
    assert Document.objects.count() == 0
    assert _stored_files(media) == []


def test_upload_too_big_stores_nothing(
    personas: dict[str, Client], mobility: Mobility, media: Path, settings: Any
) -> None:
    settings.DOCUMENT_MAX_MB = 0
    response = personas["student"].post(
        _url("document_upload", mobility), {"kind": DocumentKind.OTHER, "file": pdf_upload()}
    )
    assert _messages(response) == [
        "signed.pdf was not uploaded: The file is 0.0 MB; the limit is 0 MB."
    ]
    assert Document.objects.count() == 0
    assert _stored_files(media) == []


def test_upload_without_a_file_says_so(personas: dict[str, Client], mobility: Mobility) -> None:
    response = personas["student"].post(
        _url("document_upload", mobility), {"kind": DocumentKind.OTHER}
    )
    assert _messages(response) == ["File (PDF, JPEG or PNG): Choose the file to upload."]
    assert Document.objects.count() == 0


def test_download_returns_the_bytes_with_the_original_name(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    document = DocumentFactory.create(mobility=mobility, original_name="Acceptance letter.pdf")
    response = personas["office"].get(_url("document", mobility, doc=document.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Disposition"] == 'attachment; filename="Acceptance letter.pdf"'
    assert response["Content-Type"] == "application/pdf"


def test_download_of_another_mobilitys_document_is_404(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    elsewhere = DocumentFactory.create()
    response = personas["student"].get(_url("document", mobility, doc=elsewhere.pk))
    assert response.status_code == 404


def test_replace_keeps_the_old_document_marked_replaced(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    old = DocumentFactory.create(mobility=mobility, kind=DocumentKind.ACCEPTANCE_LETTER)
    response = personas["student"].post(
        _url("document_upload", mobility),
        {
            "kind": "",
            "file": SimpleUploadedFile("letter-v2.png", PNG_BYTES, "image/png"),
            "replaces": old.pk,
        },
    )
    assert response.status_code == 302
    old.refresh_from_db()
    new = Document.objects.exclude(pk=old.pk).get()
    assert old.replaced_at is not None
    assert (new.kind, new.content_type, new.replaced_at) == (
        DocumentKind.ACCEPTANCE_LETTER,
        "image/png",
        None,
    )
    page = personas["student"].get(_url("detail", mobility))
    assert [d.pk for d in page.context["documents"]] == [new.pk, old.pk]
    assert "replaced on" in page.text
    # The upload form offers the new document only (read with the page's rows, no query).
    select = page.text.split('name="replaces"')[1].split("</select>")[0]
    assert f'value="{new.pk}"' in select
    assert f'value="{old.pk}"' not in select


def test_replacing_a_replaced_document_is_refused(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    old = DocumentFactory.create(mobility=mobility)
    old.replaced_at = old.uploaded_at
    old.save()
    response = personas["student"].post(
        _url("document_upload", mobility), {"file": pdf_upload(), "replaces": old.pk}
    )
    assert _messages(response) == [
        "Replaces (optional): That document cannot be replaced any more."
    ]
    assert Document.objects.count() == 1


# ------------------------------------------------------------------ learning agreement


def test_open_draft_starts_the_first_version(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    response = personas["student"].post(_url("la_open", mobility))
    assert response.status_code == 302
    assert response["Location"] == _url("la_edit", mobility)
    draft = mobility.learning_agreements.get()
    assert (draft.number, draft.stage, draft.state, draft.language) == (
        1,
        Stage.BEFORE,
        LearningAgreementState.DRAFT,
        "en",
    )
    editor = personas["student"].get(response["Location"])
    assert editor.status_code == 200
    assert [formset.table for formset in editor.context["formsets"]] == ["A", "B", "C"]
    assert [len(formset.forms) for formset in editor.context["formsets"]] == [3, 3, 1]


def test_after_the_recognition_no_change_is_offered_nor_opened(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)
    open_form = f'action="{_url("la_open", mobility)}"'
    assert open_form in personas["student"].get(_url("la", mobility)).content.decode()
    Mobility.objects.filter(pk=mobility.pk).update(recognised_at=timezone.now())
    page = personas["student"].get(_url("la", mobility)).content.decode()
    assert open_form not in page
    assert "The recognition of this mobility was validated" in page
    response = personas["student"].post(_url("la_open", mobility))
    assert _messages(response) == [
        "The recognition of this mobility was validated: its learning agreement can no longer "
        "change."
    ]
    assert mobility.learning_agreements.count() == 1


def test_la_page_shows_the_latest_version_and_all_versions(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(
        mobility, state=LearningAgreementState.RETURNED, comment="Add a course in B."
    )
    agreement_with_rows(mobility, number=2, a=2, b=0)
    response = personas["student"].get(_url("la", mobility))
    assert response.status_code == 200
    assert response.context["agreement"].number == 2
    assert [v.number for v in response.context["versions"]] == [2, 1]
    assert [(t.table, len(t.components), t.total) for t in response.context["tables"]] == [
        ("A", 2, "12"),
        ("B", 0, "0"),
    ]
    assert [f.code for f in response.context["findings"]] == ["credits", "language"]
    assert response.context["open_label"] == ""


def test_editor_without_a_draft_sends_back_to_the_agreement(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    response = personas["student"].get(_url("la_edit", mobility))
    assert response.status_code == 302
    assert response["Location"] == _url("la", mobility)
    assert _messages(response) == ["There is no draft to edit: open one first."]


def test_editor_saves_the_rows_in_order(personas: dict[str, Client], mobility: Mobility) -> None:
    agreement_with_rows(mobility, a=1, b=1)
    data = _editor_data(
        {
            "A": [*_rows(6, 9), {"code": "", "title": "", "term": "", "ects": ""}],
            "B": [*_rows(15, prefix="HOME"), {"code": "X", "title": "Gone", "DELETE": "on"}],
            "C": _rows(3, prefix="VIRT"),
        },
        level="C1",
    )
    response = personas["student"].post(_url("la_edit", mobility), data)
    assert response.status_code == 302
    assert response["Location"] == _url("la_edit", mobility)
    assert _messages(response) == ["Draft saved."]
    assert _components(mobility) == [
        (1, "A", 1, "HOST1", Decimal("6.0")),
        (1, "A", 2, "HOST2", Decimal("9.0")),
        (1, "B", 1, "HOME1", Decimal("15.0")),
        (1, "C", 1, "VIRT1", Decimal("3.0")),
    ]
    draft = mobility.learning_agreements.get()
    assert (draft.language, draft.language_level) == ("en", "C1")
    editor = personas["student"].get(_url("la_edit", mobility))
    a, b, c = editor.context["formsets"]
    assert [form.initial.get("code") for form in a.forms] == ["HOST1", "HOST2", None, None, None]
    assert len(b.forms) == 4
    assert len(c.forms) == 2


def test_editor_refuses_ects_that_are_not_a_number(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(mobility, a=1, b=0)
    before = _components(mobility)
    data = _editor_data({"A": [{"code": "X1", "title": "Thermo", "ects": "six"}, *_rows(6)]})
    response = personas["student"].post(_url("la_edit", mobility), data)
    assert response.status_code == 200
    assert response.context["form_errors"] == [
        "Table A, row 1, ECTS: Write the ECTS as a number, e.g. 6 or 7.5."
    ]
    assert [f.message for f in response.context["findings"] if f.severity == "error"] == [
        "Table A, row 1: give the ECTS credits (a number above 0)."
    ]
    assert _components(mobility) == before


def test_editor_refuses_a_row_without_ects(personas: dict[str, Client], mobility: Mobility) -> None:
    agreement_with_rows(mobility, a=1, b=0)
    data = _editor_data({"A": [{"code": "X1", "title": "Thermo", "ects": ""}]})
    response = personas["student"].post(_url("la_edit", mobility), data)
    assert response.context["form_errors"] == [
        "Table A, row 1, ECTS: Give the ECTS credits, e.g. 6."
    ]


def test_editor_form_checks_as_you_type_with_htmx(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(mobility)
    response = personas["student"].get(_url("la_edit", mobility))
    check = _url("la_check", mobility)
    assert f'hx-post="{check}"' in response.text
    assert 'hx-trigger="input changed delay:400ms, change delay:400ms"' in response.text
    assert 'hx-target="#findings"' in response.text
    assert '<div id="findings" aria-live="polite">' in response.text
    assert [(t.table, t.total, t.expected) for t in response.context["totals"]] == [
        ("A", "30", "30 expected"),
        ("B", "30", "30 in table A"),
        ("C", "0", ""),
    ]


def test_check_warns_of_the_credits_while_typing(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(mobility)
    data = _editor_data({"A": _rows(6, 6, 6, 6), "B": _rows(12, 12, prefix="HOME")})
    response = personas["student"].post(_url("la_check", mobility), data, **HTMX)
    assert response.status_code == 200
    assert [f.message for f in response.context["findings"]] == [
        "Table A totals 24 ECTS; 30 are expected for 1 semester(s).",
        LANGUAGE_WARNING,
    ]
    assert "Table A totals 24 ECTS; 30 are expected for 1 semester(s)." in response.text
    assert "<html" not in response.text
    assert [(t.table, t.total, t.matches) for t in response.context["totals"]] == [
        ("A", "24", False),
        ("B", "24", True),
        ("C", "0", True),
    ]
    # nothing is stored while typing
    assert len(_components(mobility)) == 10


def test_check_warns_of_the_declared_language_level(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    agreement_with_rows(mobility)
    student.certificates.create(language="en", level="B2")
    data = _editor_data({"A": _rows(6, 6, 6, 6, 6)}, level="B1")
    response = personas["student"].post(_url("la_check", mobility), data, **HTMX)
    assert [f.message for f in response.context["findings"]] == [
        "You declared B1 in English; the host asks for B2."
    ]


def test_check_finds_a_course_passed_at_home(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    agreement_with_rows(mobility)
    PassedCourse.objects.create(student=student, code="HOME1", title="Analysis", credits=Decimal(6))
    data = _editor_data({"A": _rows(6, 6, 6, 6, 6), "B": _rows(30, prefix="HOME")})
    response = personas["student"].post(_url("la_check", mobility), data, **HTMX)
    assert [(f.severity, f.message) for f in response.context["findings"]] == [
        (
            "error",
            "Table B, row 1: you already passed HOME1 Analysis at home; it cannot be "
            "recognised again.",
        ),
        ("warning", LANGUAGE_WARNING),
    ]
    assert "1 error: it must be fixed before signing." in response.text


def test_a_check_without_a_draft_has_nothing_to_say(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    """A late check (the draft was signed meanwhile) answers 204: HTMX swaps nothing, and the
    browser logs no error."""
    response = personas["student"].post(_url("la_check", mobility), _editor_data({}))
    assert response.status_code == 204
    assert response.content == b""
    assert not mobility.learning_agreements.exists()


def test_submit_refused_leaves_the_draft_untouched(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement = agreement_with_rows(mobility, a=0)
    for position in (1, 2):
        ComponentFactory.create(agreement=agreement, table=Table.A, position=position, code="HOST7")
    before = _components(mobility)
    response = personas["student"].post(_url("la_submit", mobility))
    assert response.status_code == 302
    assert response["Location"] == _url("la", mobility)
    assert _messages(response) == ["Fix these first: Table A lists HOST7 2 times."]
    agreement.refresh_from_db()
    assert (agreement.state, agreement.student_signed_at) == (LearningAgreementState.DRAFT, None)
    assert _components(mobility) == before


@pytest.mark.django_db(transaction=True)
def test_submit_sends_the_agreement_to_the_coordinator(
    personas: dict[str, Client], mobility: Mobility, approver: Client
) -> None:
    agreement = agreement_with_rows(mobility)
    response = personas["student"].post(_url("la_submit", mobility))
    assert _messages(response) == [
        "You signed version 1. It now waits for your promoter's approval; we e-mailed them."
    ]
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.SUBMITTED
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            ["approver@example.org"],
            f"Learning agreement v1 of {mobility.student.get_full_name()} to approve",
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_save_and_sign_saves_then_submits(
    personas: dict[str, Client], mobility: Mobility, approver: Client
) -> None:
    agreement_with_rows(mobility, a=1, b=1)
    data = _editor_data({"A": _rows(15, 15), "B": _rows(30, prefix="HOME")}) | {"sign": "1"}
    response = personas["student"].post(_url("la_edit", mobility), data)
    assert response["Location"] == _url("la", mobility)
    agreement = mobility.learning_agreements.get()
    assert agreement.state == LearningAgreementState.SUBMITTED
    assert [c[3] for c in _components(mobility)] == ["HOST1", "HOST2", "HOME1"]
    assert len(mail.outbox) == 1


def test_late_change_is_refused_for_the_student_naming_the_date(
    personas: dict[str, Client], student: User, settings: Any
) -> None:
    arrival = today() - dt.timedelta(days=40)
    mobility = MobilityFactory.create(student=student, actual_start=arrival, planned_start=arrival)
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)
    response = personas["student"].post(_url("la_open", mobility))
    assert response["Location"] == _url("la", mobility)
    deadline = (arrival + dt.timedelta(days=35)).isoformat()
    assert _messages(response) == [
        f"Changes were possible until {deadline} (35 days after your arrival); ask the "
        "International Mobility Unit."
    ]
    assert mobility.learning_agreements.count() == 1
    # the office still can
    office = personas["office"].post(_url("la_open", mobility))
    assert office["Location"] == _url("la_edit", mobility)
    change = mobility.learning_agreements.get(number=2)
    assert (change.stage, change.based_on_id) == (
        Stage.DURING,
        mobility.learning_agreements.get(number=1).pk,
    )


def test_change_version_shows_added_and_deleted_rows_with_reasons(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    first = agreement_with_rows(mobility, a=1, b=0, state=LearningAgreementState.SIGNED)
    change = LearningAgreementFactory.create(
        mobility=mobility, number=2, stage=Stage.DURING, based_on=first
    )
    ComponentFactory.create(
        agreement=change,
        code="OLD1",
        title="Dropped course",
        status=ComponentStatus.DELETED,
        reason_code=ReasonCode.TIMETABLE_CONFLICT,
    )
    ComponentFactory.create(
        agreement=change,
        code="NEW1",
        title="Added course",
        status=ComponentStatus.INSERTED,
        reason_code=ReasonCode.OTHER,
        reason_text="Better fit",
    )
    ComponentFactory.create(agreement=change, code="KEEP1", title="Kept course")
    response = personas["student"].get(_url("la_version", mobility, number=2))
    assert response.status_code == 200
    assert [(c.code, c.status) for c in response.context["changes"]] == [
        ("OLD1", "deleted"),
        ("NEW1", "inserted"),
    ]
    assert "Changes to version 1" in response.text
    assert "Timetable conflict" in response.text
    assert "Other reason (explained): Better fit" in response.text
    assert "<del>Dropped course</del>" in response.text
    assert "<ins>Added course</ins>" in response.text
    assert [(t.table, t.total) for t in response.context["tables"]] == [("A", "12"), ("B", "0")]


def test_change_editor_marks_new_rows_as_added(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    first = agreement_with_rows(mobility, a=1, b=0, state=LearningAgreementState.SIGNED)
    LearningAgreementFactory.create(mobility=mobility, number=2, stage=Stage.DURING, based_on=first)
    response = personas["student"].get(_url("la_edit", mobility))
    a = response.context["formsets"][0]
    assert a.forms[0].fields["status"].initial == ComponentStatus.INSERTED
    assert response.context["during"] is True


def test_version_of_another_number_is_404(personas: dict[str, Client], mobility: Mobility) -> None:
    agreement_with_rows(mobility)
    assert personas["student"].get(_url("la_version", mobility, number=9)).status_code == 404


# -------------------------------------------------------------------------- extensions


def _extension_data(mobility: Mobility, days: int = 30) -> dict[str, Any]:
    assert mobility.planned_end is not None
    return {
        "requested_end": (mobility.planned_end + dt.timedelta(days=days)).isoformat(),
        "reason": "A course runs into July.",
        "form": pdf_upload("extension.pdf"),
    }


def _request_extension(mobility: Mobility) -> ExtensionRequest:
    assert mobility.planned_end is not None
    return services.request_extension(
        mobility=mobility,
        actor=mobility.student,
        requested_end=mobility.planned_end + dt.timedelta(days=30),
        reason="Stay longer.",
        form=pdf_upload(),
    )


def test_extension_page_says_it_is_possible(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    response = personas["student"].get(_url("extension", mobility))
    assert response.context["problem"] is None
    assert response.context["last_day"] == today() + dt.timedelta(days=120)
    assert (response.context["limit"], response.context["used"]) == (12, 0)
    assert 'name="requested_end"' in response.text


def test_extension_of_a_non_extendable_offer_is_refused(
    personas: dict[str, Client], student: User, media: Path
) -> None:
    mobility = MobilityFactory.create(student=student, offer__extendable=False)
    page = personas["student"].get(_url("extension", mobility))
    refusal = "This destination's agreement does not allow extensions."
    assert page.context["problem"] == refusal
    assert 'name="requested_end"' not in page.text
    response = personas["student"].post(_url("extension", mobility), _extension_data(mobility))
    assert response.status_code == 200
    assert _messages(response) == [refusal]
    assert ExtensionRequest.objects.count() == 0
    assert Document.objects.count() == 0
    assert _stored_files(media) == []


def test_extension_beyond_the_cycle_months_is_refused(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    StudentCareerFactory.create(student=student, months_used=10)
    response = personas["student"].post(
        _url("extension", mobility), _extension_data(mobility, days=60)
    )
    assert _messages(response) == [
        "With the extension this mobility lasts 7 months; with 10 used before, that exceeds "
        "the 12 months allowed in your study cycle."
    ]
    assert ExtensionRequest.objects.count() == 0
    assert Document.objects.count() == 0


def test_extension_less_than_30_days_before_the_end_is_refused(
    personas: dict[str, Client], student: User
) -> None:
    end = today() + dt.timedelta(days=20)
    mobility = MobilityFactory.create(student=student, planned_end=end)
    page = personas["student"].get(_url("extension", mobility))
    refusal = (
        f"Extensions are requested at least 30 days before the planned end ({end.isoformat()}); "
        f"the last day was {(end - dt.timedelta(days=30)).isoformat()}."
    )
    assert page.context["problem"] == refusal
    response = personas["student"].post(_url("extension", mobility), _extension_data(mobility))
    assert _messages(response) == [refusal]
    assert ExtensionRequest.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_extension_request_is_sent_to_the_site_promoter(
    personas: dict[str, Client], mobility: Mobility, student: User
) -> None:
    data = _extension_data(mobility)
    response = personas["student"].post(_url("extension", mobility), data)
    assert response.status_code == 302
    assert response["Location"] == _url("detail", mobility) + "#extensions"
    request = ExtensionRequest.objects.get()
    assert (
        request.state,
        request.requested_end.isoformat(),
        request.reason,
        request.form.kind,
        request.form.original_name,
        request.requested_by,
    ) == (
        ExtensionState.REQUESTED,
        data["requested_end"],
        "A course runs into July.",
        DocumentKind.EXTENSION_FORM,
        "extension.pdf",
        student,
    )
    site = mobility.offer.agreement.promoter  # type: ignore[union-attr]
    assert site is not None
    assert [m.to for m in mail.outbox] == [[site.user.email]]
    page = personas["student"].get(_url("extension", mobility))
    assert page.context["waiting"] == request
    assert 'name="requested_end"' not in page.text


def test_extension_withdrawn_by_the_student(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    request = _request_extension(mobility)
    response = personas["student"].post(_url("extension_withdraw", mobility, ext=request.pk))
    assert response["Location"] == _url("detail", mobility) + "#extensions"
    assert _messages(response) == ["Your extension request is withdrawn."]
    request.refresh_from_db()
    assert request.state == ExtensionState.WITHDRAWN
    personas["student"].get(response["Location"])  # the message is shown
    again = personas["student"].post(_url("extension_withdraw", mobility, ext=request.pk))
    assert _messages(again) == ["Only a waiting request can be withdrawn."]


# ----------------------------------------------------------------------- query counts


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _fill(mobility: Mobility, rows: int) -> None:
    agreement = agreement_with_rows(mobility, a=rows, b=rows)
    for _ in range(rows):
        DocumentFactory.create(mobility=mobility)
    agreement.state = LearningAgreementState.SUBMITTED
    agreement.save()
    agreement_with_rows(mobility, number=2, a=rows, b=rows)


@pytest.mark.parametrize("view", ["detail", "la"])
def test_queries_do_not_grow_with_rows_and_documents(
    personas: dict[str, Client], student: User, approver: Client, view: str
) -> None:
    few = MobilityFactory.create(student=student)
    many = MobilityFactory.create(student=student)
    _fill(few, 2)
    _fill(many, 10)
    client = personas["student"]
    assert _queries(client, _url(view, many)) == _queries(client, _url(view, few))
