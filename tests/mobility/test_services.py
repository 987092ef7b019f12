"""Every transition of a mobility, its learning agreement, documents and extensions: what it
does, and every refusal with its exact message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.utils import timezone

from abroad.core import audit
from abroad.core.models import AuditEvent
from abroad.mobility import queries, services
from abroad.mobility.checks import Row
from abroad.mobility.enums import (
    ComponentStatus,
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
    ReasonCode,
    Stage,
    Table,
)
from abroad.mobility.models import (
    Component,
    Document,
    ExtensionRequest,
    LearningAgreement,
    Mobility,
)
from abroad.mobility.services import MobilityError
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from tests.factories import CourseOfStudyFactory, InstitutionFactory, PromoterFactory, UserFactory
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
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ARRIVAL = dt.date(2027, 2, 1)
PLANNED_END = dt.date(2027, 7, 31)
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploaded documents go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def mobility() -> Mobility:
    """In mobility since 1 February 2027, until 31 July 2027 (6 months), extendable."""
    return MobilityFactory.create(
        planned_start=ARRIVAL,
        actual_start=ARRIVAL,
        planned_end=PLANNED_END,
        student__first_name="Lucia",
        student__last_name="Ferraro",
    )


@pytest.fixture
def coordinator(mobility: Mobility) -> User:
    user: User = PromoterFactory.create().user
    coordinate(mobility, user)
    return user


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def actions(obj: Model) -> list[str]:
    """The audit events about ``obj``, oldest first."""
    return list(reversed(audit.history(obj).values_list("action", flat=True)))


def raises(message: str) -> Any:
    """pytest.raises for a MobilityError with exactly this message."""
    return pytest.raises(MobilityError, match=f"^{__import__('re').escape(message)}$")


def rows_of(agreement: LearningAgreement) -> list[tuple[Any, ...]]:
    return list(
        agreement.components.order_by("table", "position").values_list(
            "table", "position", "code", "title", "term", "ects", "status", "reason_code"
        )
    )


def reload(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj


# ------------------------------------------------------------------- open_draft: first version


def test_open_draft_first_version_is_prefilled(mobility: Mobility) -> None:
    student = mobility.student

    draft = services.open_draft(mobility=mobility, actor=student)

    assert (draft.number, draft.stage, draft.state) == (
        1,
        Stage.BEFORE,
        LearningAgreementState.DRAFT,
    )
    assert (draft.language, draft.isced_code, draft.eqf) == ("en", "0715", 7)
    assert draft.created_by == student
    assert draft.based_on is None
    assert draft.components.count() == 0
    assert actions(draft) == ["la.created"]


def test_open_draft_without_offer_takes_the_course(db: None) -> None:
    course = CourseOfStudyFactory.create(isced_code="0731", level="BSc")
    mobility = MobilityFactory.create(
        offer=None, host=InstitutionFactory.create(), student__course_of_study=course
    )

    draft = services.open_draft(mobility=mobility, actor=None)

    assert (draft.language, draft.isced_code, draft.eqf) == ("", "0731", 6)
    assert draft.created_by is None


def test_open_draft_returns_the_existing_draft(mobility: Mobility) -> None:
    first = services.open_draft(mobility=mobility, actor=mobility.student)

    again = services.open_draft(mobility=mobility, actor=mobility.student)

    assert again == first
    assert mobility.learning_agreements.count() == 1
    assert actions(first) == ["la.created"]


def test_open_draft_refused_for_an_inactive_mobility(mobility: Mobility) -> None:
    mobility.state = MobilityState.WITHDRAWN
    mobility.save()

    with raises("This mobility is no longer active."):
        services.open_draft(mobility=mobility, actor=mobility.student)
    assert mobility.learning_agreements.count() == 0


# ---------------------------------------------------------------- open_draft: later versions


def test_open_draft_after_a_return_copies_the_components_with_their_status(
    mobility: Mobility,
) -> None:
    returned = agreement_with_rows(
        mobility,
        a=1,
        b=1,
        stage=Stage.DURING,
        state=LearningAgreementState.RETURNED,
        language_level="C1",
        comment="Add a course",
    )
    ComponentFactory.create(
        agreement=returned,
        table=Table.A,
        position=2,
        code="DEL1",
        title="Dropped",
        status=ComponentStatus.DELETED,
        reason_code=ReasonCode.TIMETABLE_CONFLICT,
    )
    ComponentFactory.create(
        agreement=returned,
        table=Table.A,
        position=3,
        code="NEW1",
        title="Added",
        status=ComponentStatus.INSERTED,
        reason_code=ReasonCode.OTHER,
        reason_text="Advised by the host",
    )

    draft = services.open_draft(mobility=mobility, actor=mobility.student)

    assert (draft.number, draft.stage, draft.state) == (
        2,
        Stage.DURING,
        LearningAgreementState.DRAFT,
    )
    assert draft.based_on == returned
    assert (draft.language, draft.language_level, draft.isced_code, draft.eqf) == (
        "en",
        "C1",
        "0715",
        7,
    )
    assert draft.comment == ""
    assert [row[2:] for row in rows_of(draft)] == [row[2:] for row in rows_of(returned)]
    copied = draft.components.get(code="NEW1")
    assert (copied.status, copied.reason_code, copied.reason_text) == (
        ComponentStatus.INSERTED,
        ReasonCode.OTHER,
        "Advised by the host",
    )
    assert draft.components.filter(status=ComponentStatus.DELETED).count() == 1
    assert actions(draft) == ["la.revised"]
    assert AuditEvent.objects.get(action="la.revised").data == {"based_on": 1}


def test_open_draft_after_a_withdrawn_version_copies_it(mobility: Mobility) -> None:
    withdrawn = agreement_with_rows(mobility, a=2, b=0, state=LearningAgreementState.WITHDRAWN)

    draft = services.open_draft(mobility=mobility, actor=mobility.student)

    assert (draft.number, draft.stage, draft.based_on) == (2, Stage.BEFORE, withdrawn)
    assert draft.components.count() == 2


def test_open_draft_after_signing_opens_a_change_during_the_mobility(
    mobility: Mobility,
) -> None:
    signed = agreement_with_rows(mobility, a=5, b=5, state=LearningAgreementState.SIGNED)

    draft = services.open_draft(
        mobility=mobility, actor=mobility.student, now=at(ARRIVAL + dt.timedelta(days=10))
    )

    assert (draft.number, draft.stage, draft.state) == (
        2,
        Stage.DURING,
        LearningAgreementState.DRAFT,
    )
    assert draft.based_on == signed
    assert [row[2:] for row in rows_of(draft)] == [row[2:] for row in rows_of(signed)]
    assert actions(draft) == ["la.change_opened"]
    assert reload(signed).state == LearningAgreementState.SIGNED


def test_open_draft_change_of_a_change_drops_deleted_rows_and_resets_status(
    mobility: Mobility,
) -> None:
    agreement_with_rows(mobility, a=1, b=0, state=LearningAgreementState.SIGNED)
    change = agreement_with_rows(
        mobility, a=1, b=0, number=2, stage=Stage.DURING, state=LearningAgreementState.SIGNED
    )
    ComponentFactory.create(
        agreement=change,
        code="GONE",
        status=ComponentStatus.DELETED,
        reason_code=ReasonCode.NOT_AVAILABLE,
    )
    ComponentFactory.create(
        agreement=change,
        code="NEW",
        status=ComponentStatus.INSERTED,
        reason_code=ReasonCode.OTHER,
        reason_text="why",
    )

    draft = services.open_draft(
        mobility=mobility, actor=mobility.student, now=at(ARRIVAL + dt.timedelta(days=20))
    )

    assert draft.number == 3
    assert draft.based_on == change
    kept = set(change.components.exclude(code="GONE").values_list("code", flat=True))
    assert set(draft.components.values_list("code", flat=True)) == kept
    assert "NEW" in kept
    assert set(draft.components.values_list("status", "reason_code", "reason_text")) == {
        ("", "", "")
    }


def test_open_draft_change_refused_before_the_arrival(mobility: Mobility) -> None:
    mobility.state = MobilityState.ACCEPTED
    mobility.actual_start = None
    mobility.save()
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)

    with raises(
        "Changes to a signed learning agreement are made during the mobility, after the office "
        "has recorded your arrival."
    ):
        services.open_draft(mobility=mobility, actor=mobility.student, now=at(ARRIVAL))
    assert mobility.learning_agreements.count() == 1


def test_open_draft_change_allowed_until_the_last_day_of_the_window(
    mobility: Mobility, settings: Any
) -> None:
    settings.LA_CHANGE_WINDOW_DAYS = 35
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)
    last_day = ARRIVAL + dt.timedelta(days=35)  # 8 March 2027

    draft = services.open_draft(mobility=mobility, actor=mobility.student, now=at(last_day, 23, 59))

    assert draft.number == 2


def test_open_draft_change_refused_after_the_window_for_the_student(
    mobility: Mobility, settings: Any
) -> None:
    settings.LA_CHANGE_WINDOW_DAYS = 35
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)

    with raises(
        "Changes were possible until 2027-03-08 (35 days after your arrival); ask the "
        "International Mobility Unit."
    ):
        services.open_draft(
            mobility=mobility, actor=mobility.student, now=at(dt.date(2027, 3, 9), 0, 30)
        )
    assert mobility.learning_agreements.count() == 1


def test_open_draft_change_window_follows_the_setting(mobility: Mobility, settings: Any) -> None:
    settings.LA_CHANGE_WINDOW_DAYS = 10
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)

    with raises(
        "Changes were possible until 2027-02-11 (10 days after your arrival); ask the "
        "International Mobility Unit."
    ):
        services.open_draft(mobility=mobility, actor=mobility.student, now=at(dt.date(2027, 2, 12)))


def test_open_draft_change_allowed_for_the_office_at_any_time(
    mobility: Mobility, office: User
) -> None:
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)

    draft = services.open_draft(mobility=mobility, actor=office, now=at(dt.date(2027, 7, 1)))

    assert (draft.number, draft.stage, draft.created_by) == (2, Stage.DURING, office)


@pytest.mark.parametrize(
    "state", [LearningAgreementState.SUBMITTED, LearningAgreementState.APPROVED]
)
def test_open_draft_refused_while_a_version_is_pending(mobility: Mobility, state: str) -> None:
    agreement_with_rows(mobility, state=state)

    with raises("Version 1 is waiting for approval; it cannot be changed meanwhile."):
        services.open_draft(mobility=mobility, actor=mobility.student)
    assert mobility.learning_agreements.count() == 1


def test_change_deadline(mobility: Mobility, settings: Any) -> None:
    settings.LA_CHANGE_WINDOW_DAYS = 35

    assert services.change_deadline(mobility) == dt.date(2027, 3, 8)
    mobility.actual_start = None
    assert services.change_deadline(mobility) is None


# ------------------------------------------------------------------------------ save_draft


def test_save_draft_replaces_the_rows_and_skips_empty_lines(mobility: Mobility) -> None:
    draft = agreement_with_rows(mobility, a=3, b=3)
    rows = [
        Row(table=Table.A, title=" Thermodynamics ", code=" TH1 ", term=" Fall ", ects=Decimal(6)),
        Row(table=Table.A),  # an empty line of the form
        Row(table=Table.A, title="Heat transfer", code="HT", ects=Decimal("7.5")),
        Row(table=Table.B, title="Thermal engineering", code="052450", ects=Decimal("13.5")),
        Row(table=Table.B, title="  ", code="  "),  # blank all the same
        # a status outside a change is dropped
        Row(
            table=Table.C,
            title="Online course",
            ects=Decimal(3),
            status=ComponentStatus.INSERTED,
            reason_code=ReasonCode.ADDING_VIRTUAL,
        ),
    ]

    saved = services.save_draft(
        agreement=draft, actor=mobility.student, rows=rows, language="fr", language_level="B2"
    )

    assert (saved.language, saved.language_level) == ("fr", "B2")
    assert rows_of(saved) == [
        ("A", 1, "TH1", "Thermodynamics", "Fall", Decimal("6.0"), "", ""),
        ("A", 2, "HT", "Heat transfer", "", Decimal("7.5"), "", ""),
        ("B", 1, "052450", "Thermal engineering", "", Decimal("13.5"), "", ""),
        ("C", 1, "", "Online course", "", Decimal("3.0"), "", ""),
    ]
    assert Component.objects.count() == 4
    assert actions(saved) == ["la.saved"]
    assert AuditEvent.objects.get(action="la.saved").data == {"components": 4}


def test_save_draft_keeps_the_changes_of_a_change(mobility: Mobility) -> None:
    draft = LearningAgreementFactory.create(mobility=mobility, number=2, stage=Stage.DURING)
    rows = [
        Row(
            table=Table.A,
            title="Added",
            code="N1",
            ects=Decimal(6),
            status=ComponentStatus.INSERTED,
            reason_code=ReasonCode.OTHER,
            reason_text="  Advised by the host  ",
        ),
        Row(table=Table.A, title="Kept", code="K1", ects=Decimal(6)),
    ]

    services.save_draft(agreement=draft, actor=mobility.student, rows=rows)

    assert list(
        draft.components.order_by("position").values_list(
            "code", "status", "reason_code", "reason_text"
        )
    ) == [("N1", "inserted", "other", "Advised by the host"), ("K1", "", "", "")]


@pytest.mark.parametrize("state", LearningAgreementState.frozen_states())
def test_save_draft_refused_on_a_frozen_version(mobility: Mobility, state: str) -> None:
    agreement = agreement_with_rows(mobility, a=2, b=0, state=state)
    before = rows_of(agreement)

    with raises("Version 1 is signed and can no longer change."):
        services.save_draft(
            agreement=agreement,
            actor=mobility.student,
            rows=[Row(table=Table.A, title="Sneaked in", ects=Decimal(6))],
            language="fr",
        )
    assert rows_of(agreement) == before
    assert reload(agreement).language == "en"


# ---------------------------------------------------------------------------------- submit


def test_submit_refused_with_errors_leaves_the_draft_untouched(mobility: Mobility) -> None:
    draft = LearningAgreementFactory.create(mobility=mobility, number=1)
    ComponentFactory.create(agreement=draft, table=Table.B, title="", code="P1")

    with raises(
        "Fix these first: Table B, row 1: give the title. Add the courses you will take at the "
        "host (table A)."
    ):
        services.submit(agreement=draft, actor=mobility.student)
    draft.refresh_from_db()
    assert (draft.state, draft.student_signed_at) == (LearningAgreementState.DRAFT, None)
    assert actions(draft) == []


def test_submit_with_warnings_only_signs_and_notifies_the_coordinator(
    mobility: Mobility,
    coordinator: User,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    # 24 ECTS instead of 30 and no language certificate: warnings, not errors
    draft = agreement_with_rows(mobility, a=4, b=4)
    assert {f.severity for f in services.findings(draft)} == {"warning"}

    with django_capture_on_commit_callbacks(execute=True):
        signed = services.submit(agreement=draft, actor=mobility.student)

    assert signed.state == LearningAgreementState.SUBMITTED
    assert signed.student_signed_at is not None
    assert reload(draft).state == LearningAgreementState.SUBMITTED
    assert actions(draft) == ["la.submitted"]
    assert [message.to for message in mailoutbox] == [[coordinator.email]]


def test_submit_checks_the_certificates_and_passed_exams(mobility: Mobility) -> None:
    student = mobility.student
    LanguageCertificate.objects.create(student=student, language="en", level="C1")
    student.passed_courses.create(code="HOME000", title="Fluid Machines", credits=Decimal(6))
    draft = agreement_with_rows(mobility)

    with raises(
        "Fix these first: Table B, row 1: you already passed HOME000 Fluid Machines at home; it "
        "cannot be recognised again."
    ):
        services.submit(agreement=draft, actor=student)


def test_submit_refused_for_a_version_not_a_draft(mobility: Mobility) -> None:
    agreement = agreement_with_rows(mobility, state=LearningAgreementState.RETURNED)

    with raises("Only a draft can be signed."):
        services.submit(agreement=agreement, actor=mobility.student)


# --------------------------------------------------------------------------- approve, return


@pytest.fixture
def submitted(mobility: Mobility) -> LearningAgreement:
    return agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )


def test_approve_signs_for_the_promoter_and_tells_the_student(
    submitted: LearningAgreement,
    coordinator: User,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.approve(agreement=submitted, actor=coordinator)

    assert approved.state == LearningAgreementState.APPROVED
    assert approved.promoter == coordinator
    assert approved.promoter_signed_at is not None
    assert actions(submitted) == ["la.approved"]
    assert [message.to for message in mailoutbox] == [[submitted.mobility.student.email]]


def test_approve_twice_is_refused(submitted: LearningAgreement, coordinator: User) -> None:
    services.approve(agreement=submitted, actor=coordinator)

    with raises(
        "Version 1 is “Approved by the promoter, waiting for the host”; somebody may have acted "
        "on it already."
    ):
        services.approve(agreement=submitted, actor=coordinator)
    assert actions(submitted) == ["la.approved"]


def test_approve_a_draft_is_refused(mobility: Mobility, coordinator: User) -> None:
    draft = agreement_with_rows(mobility)

    with raises("Version 1 is “Draft”; somebody may have acted on it already."):
        services.approve(agreement=draft, actor=coordinator)


@pytest.mark.parametrize("comment", ["", "   \n"])
def test_return_needs_a_comment(
    submitted: LearningAgreement, coordinator: User, comment: str
) -> None:
    with raises("Write what the student should change."):
        services.return_to_student(agreement=submitted, actor=coordinator, comment=comment)
    assert reload(submitted).state == LearningAgreementState.SUBMITTED


def test_return_with_comment(
    submitted: LearningAgreement,
    coordinator: User,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        returned = services.return_to_student(
            agreement=submitted, actor=coordinator, comment="  Replace HOST1 with a 6 ECTS course "
        )

    assert returned.state == LearningAgreementState.RETURNED
    assert (returned.promoter, returned.comment) == (
        coordinator,
        "Replace HOST1 with a 6 ECTS course",
    )
    assert returned.returned_at is not None
    assert returned.promoter_signed_at is None
    assert actions(submitted) == ["la.returned"]
    assert [message.to for message in mailoutbox] == [[submitted.mobility.student.email]]


def test_return_after_approval_is_refused(submitted: LearningAgreement, coordinator: User) -> None:
    services.approve(agreement=submitted, actor=coordinator)

    with raises(
        "Version 1 is “Approved by the promoter, waiting for the host”; somebody may have acted "
        "on it already."
    ):
        services.return_to_student(agreement=submitted, actor=coordinator, comment="Too late")


# ----------------------------------------------------------------------- host signature


@pytest.fixture
def approved(submitted: LearningAgreement, coordinator: User) -> LearningAgreement:
    return services.approve(agreement=submitted, actor=coordinator)


def test_record_host_signature(approved: LearningAgreement, office: User) -> None:
    document = DocumentFactory.create(mobility=approved.mobility, kind=DocumentKind.SIGNED_LA)

    signed = services.record_host_signature(
        agreement=approved, actor=office, signer="  Dr. Anna Schmidt ", document=document
    )

    assert signed.state == LearningAgreementState.SIGNED
    assert (signed.host_signer, signed.host_document) == ("Dr. Anna Schmidt", document)
    assert signed.host_signed_at is not None
    assert queries.in_force(approved.mobility) == signed
    assert actions(approved) == ["la.approved", "la.host_signed"]


def test_record_host_signature_refusals(approved: LearningAgreement, office: User) -> None:
    own = DocumentFactory.create(mobility=approved.mobility)
    foreign = DocumentFactory.create()

    with raises("That document belongs to another mobility."):
        services.record_host_signature(
            agreement=approved, actor=office, signer="Dr. Schmidt", document=foreign
        )
    with raises("Give the name of who signed at the host."):
        services.record_host_signature(agreement=approved, actor=office, signer=" ", document=own)
    services.record_host_signature(agreement=approved, actor=office, signer="Dr. S", document=own)
    with raises("Version 1 is “Signed by all three”; somebody may have acted on it already."):
        services.record_host_signature(
            agreement=approved, actor=office, signer="Dr. S", document=own
        )


def test_record_host_signature_before_the_promoter_is_refused(
    submitted: LearningAgreement, office: User
) -> None:
    document = DocumentFactory.create(mobility=submitted.mobility)

    with raises(
        "Version 1 is “Signed by the student, waiting for the promoter”; somebody may have "
        "acted on it already."
    ):
        services.record_host_signature(
            agreement=submitted, actor=office, signer="Dr. S", document=document
        )


def test_in_force_is_the_last_signed_version(mobility: Mobility) -> None:
    assert queries.in_force(mobility) is None
    first = agreement_with_rows(mobility, a=1, b=0, state=LearningAgreementState.SIGNED)
    agreement_with_rows(mobility, a=1, b=0, number=2, stage=Stage.DURING)

    assert queries.in_force(mobility) == first
    assert services.latest(mobility).number == 2  # type: ignore[union-attr]


# -------------------------------------------------------------------------------- bulk_decide


def test_bulk_decide_approves_each_and_reports_the_refused(
    mobility: Mobility, coordinator: User
) -> None:
    other = MobilityFactory.create(student__course_of_study=mobility.student.course_of_study)
    first = agreement_with_rows(mobility, state=LearningAgreementState.SUBMITTED)
    second = agreement_with_rows(other, state=LearningAgreementState.SUBMITTED)
    services.approve(agreement=second, actor=coordinator)  # somebody was quicker

    done, refused = services.bulk_decide(
        agreements=[first, second], actor=coordinator, approve_them=True
    )

    assert [a.pk for a in done] == [first.pk]
    assert reload(first).state == LearningAgreementState.APPROVED
    assert [(a.pk, why) for a, why in refused] == [
        (
            second.pk,
            "Version 1 is “Approved by the promoter, waiting for the host”; somebody may have "
            "acted on it already.",
        )
    ]


def test_bulk_decide_return_needs_the_comment(mobility: Mobility, coordinator: User) -> None:
    first = agreement_with_rows(mobility, state=LearningAgreementState.SUBMITTED)

    done, refused = services.bulk_decide(
        agreements=[first], actor=coordinator, approve_them=False, comment=""
    )
    assert (done, [why for _a, why in refused]) == ([], ["Write what the student should change."])

    done, refused = services.bulk_decide(
        agreements=[first], actor=coordinator, approve_them=False, comment="Fix table B"
    )
    assert ([a.state for a in done], refused) == ([LearningAgreementState.RETURNED], [])


# --------------------------------------------------------------------------- immutability


def test_a_submitted_version_never_changes_through_the_services(
    mobility: Mobility, coordinator: User
) -> None:
    student = mobility.student
    draft = services.open_draft(mobility=mobility, actor=student)
    services.save_draft(
        agreement=draft,
        actor=student,
        rows=[Row(table=Table.A, title=f"Course {i}", ects=Decimal(6)) for i in range(5)],
    )
    services.submit(agreement=draft, actor=student)
    frozen = rows_of(draft)

    with raises("Version 1 is signed and can no longer change."):
        services.save_draft(agreement=draft, actor=student, rows=[])
    with raises("Version 1 is waiting for approval; it cannot be changed meanwhile."):
        services.open_draft(mobility=mobility, actor=student)
    services.return_to_student(agreement=draft, actor=coordinator, comment="Add table B")
    fix = services.open_draft(mobility=mobility, actor=student)
    services.save_draft(agreement=fix, actor=student, rows=[Row(table=Table.B, title="X")])

    assert fix.number == 2
    assert rows_of(draft) == frozen
    assert reload(draft).state == LearningAgreementState.RETURNED


# ------------------------------------------------------------------------------- documents


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("letter.PDF", PDF_BYTES, "application/pdf"),
        ("scan.png", PNG_BYTES, "image/png"),
        ("photo.jpeg", JPEG_BYTES, "image/jpeg"),
        ("no-extension", PDF_BYTES, "application/pdf"),
    ],
)
def test_upload_document_recognises_the_type_from_the_content(
    mobility: Mobility, media: Path, name: str, content: bytes, content_type: str
) -> None:
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")

    document = services.upload_document(
        mobility=mobility, kind=DocumentKind.ACCEPTANCE_LETTER, file=upload, actor=mobility.student
    )

    assert (document.content_type, document.original_name, document.size) == (
        content_type,
        name,
        len(content),
    )
    assert document.uploaded_by == mobility.student
    assert document.file.name.startswith(f"mobility/{mobility.pk}/")
    assert document.file.name != f"mobility/{mobility.pk}/{name}"
    assert (media / document.file.name).read_bytes() == content
    assert actions(document) == ["document.uploaded"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "letter.pdf",
            b"Dear student, you are accepted.",
            "Only PDF, JPEG and PNG files are accepted.",
        ),
        ("letter.pdf", b"PK\x03\x04 a zip", "Only PDF, JPEG and PNG files are accepted."),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_upload_document_refusals(
    mobility: Mobility, name: str, content: bytes, message: str
) -> None:
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")

    with raises(message):
        services.upload_document(
            mobility=mobility, kind=DocumentKind.OTHER, file=upload, actor=mobility.student
        )
    assert Document.objects.count() == 0


def test_upload_document_size_limit(mobility: Mobility, settings: Any) -> None:
    settings.DOCUMENT_MAX_MB = 1
    limit = 1024 * 1024
    at_limit = pdf_upload(content=PDF_BYTES + b"0" * (limit - len(PDF_BYTES)))
    over = pdf_upload(content=PDF_BYTES + b"0" * (limit * 3 // 2 - len(PDF_BYTES)))

    services.upload_document(
        mobility=mobility, kind=DocumentKind.OTHER, file=at_limit, actor=mobility.student
    )
    with raises("The file is 1.5 MB; the limit is 1 MB."):
        services.upload_document(
            mobility=mobility, kind=DocumentKind.OTHER, file=over, actor=mobility.student
        )
    assert Document.objects.count() == 1


def test_upload_document_needs_a_known_kind(mobility: Mobility) -> None:
    with raises("Choose the kind of document."):
        services.upload_document(
            mobility=mobility, kind="passport", file=pdf_upload(), actor=mobility.student
        )


def test_upload_document_replacing_keeps_the_old_one_marked(mobility: Mobility) -> None:
    old = services.upload_document(
        mobility=mobility,
        kind=DocumentKind.ACCEPTANCE_LETTER,
        file=pdf_upload("first.pdf"),
        actor=mobility.student,
    )

    new = services.upload_document(
        mobility=mobility,
        kind=DocumentKind.OTHER,  # a replacement keeps the kind of what it replaces
        file=pdf_upload("second.pdf"),
        actor=mobility.student,
        replaces=old,
    )

    old.refresh_from_db()
    assert old.replaced_at is not None
    assert not old.is_current
    assert (new.kind, new.is_current) == (DocumentKind.ACCEPTANCE_LETTER, True)
    assert AuditEvent.objects.filter(action="document.uploaded").first().data == {  # type: ignore[union-attr]
        "mobility": mobility.pk,
        "kind": "acceptance_letter",
        "size": len(PDF_BYTES),
        "replaces": old.pk,
    }
    with raises("That document cannot be replaced any more."):
        services.upload_document(
            mobility=mobility,
            kind=DocumentKind.OTHER,
            file=pdf_upload(),
            actor=mobility.student,
            replaces=old,
        )


def test_upload_document_cannot_replace_another_mobilitys(mobility: Mobility) -> None:
    foreign = DocumentFactory.create()

    with raises("That document cannot be replaced any more."):
        services.upload_document(
            mobility=mobility,
            kind=DocumentKind.OTHER,
            file=pdf_upload(),
            actor=mobility.student,
            replaces=foreign,
        )
    assert reload(foreign).replaced_at is None


# ------------------------------------------------------------------------------- set_state


@pytest.fixture
def nominated() -> Mobility:
    return MobilityFactory.create(state=MobilityState.NOMINATED, actual_start=None)


def test_set_state_walks_the_whole_flow(nominated: Mobility, office: User) -> None:
    for state in (MobilityState.APPLIED, MobilityState.ACCEPTED):
        services.set_state(mobility=nominated, state=state, actor=office)
    services.set_state(
        mobility=nominated, state=MobilityState.IN_MOBILITY, actor=office, arrived_on=ARRIVAL
    )
    done = services.set_state(
        mobility=nominated, state=MobilityState.COMPLETED, actor=office, left_on=PLANNED_END
    )

    nominated.refresh_from_db()
    assert (nominated.state, nominated.actual_start, nominated.actual_end) == (
        MobilityState.COMPLETED,
        ARRIVAL,
        PLANNED_END,
    )
    assert done.state == MobilityState.COMPLETED
    assert actions(nominated) == ["mobility.state"] * 4
    assert AuditEvent.objects.filter(action="mobility.state").first().data == {  # type: ignore[union-attr]
        "previous": "in_mobility",
        "state": "completed",
        "arrived_on": None,
        "left_on": "2027-07-31",
    }


@pytest.mark.parametrize(
    "state", [MobilityState.ACCEPTED, MobilityState.NOMINATED, MobilityState.COMPLETED]
)
def test_set_state_one_step_at_a_time(nominated: Mobility, office: User, state: str) -> None:
    with raises(
        "A mobility moves one step at a time: from “Nominated to the host” it can go to the next "
        "or the previous state only."
    ):
        services.set_state(mobility=nominated, state=state, actor=office, left_on=PLANNED_END)
    assert reload(nominated).state == MobilityState.NOMINATED


def test_set_state_unknown_state(nominated: Mobility, office: User) -> None:
    with raises("Unknown state on_the_moon."):
        services.set_state(mobility=nominated, state="on_the_moon", actor=office)


def test_set_state_arrival_date_required(office: User) -> None:
    accepted = MobilityFactory.create(state=MobilityState.ACCEPTED, actual_start=None)

    with raises("Give the arrival date."):
        services.set_state(mobility=accepted, state=MobilityState.IN_MOBILITY, actor=office)
    assert reload(accepted).state == MobilityState.ACCEPTED


def test_set_state_departure_date_required_and_not_before_the_arrival(
    mobility: Mobility, office: User
) -> None:
    with raises("Give the departure date."):
        services.set_state(mobility=mobility, state=MobilityState.COMPLETED, actor=office)
    with raises("The departure cannot come before the arrival."):
        services.set_state(
            mobility=mobility,
            state=MobilityState.COMPLETED,
            actor=office,
            left_on=ARRIVAL - dt.timedelta(days=1),
        )
    assert reload(mobility).state == MobilityState.IN_MOBILITY

    services.set_state(
        mobility=mobility, state=MobilityState.COMPLETED, actor=office, left_on=ARRIVAL
    )
    assert reload(mobility).actual_end == ARRIVAL


def test_set_state_back_one_step_forgets_the_date_recorded_by_mistake(
    mobility: Mobility, office: User
) -> None:
    services.set_state(
        mobility=mobility, state=MobilityState.COMPLETED, actor=office, left_on=PLANNED_END
    )

    services.set_state(mobility=mobility, state=MobilityState.IN_MOBILITY, actor=office)
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_start, mobility.actual_end) == (
        MobilityState.IN_MOBILITY,
        ARRIVAL,
        None,
    )

    services.set_state(mobility=mobility, state=MobilityState.ACCEPTED, actor=office)
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_start) == (MobilityState.ACCEPTED, None)


def test_set_state_withdrawn_is_final(mobility: Mobility, office: User) -> None:
    services.set_state(mobility=mobility, state=MobilityState.WITHDRAWN, actor=office)

    assert reload(mobility).state == MobilityState.WITHDRAWN
    assert actions(mobility) == ["mobility.withdrawn"]
    with raises("This mobility was withdrawn; it cannot change any more."):
        services.set_state(mobility=mobility, state=MobilityState.IN_MOBILITY, actor=office)


# ------------------------------------------------------------------------------ set_thesis


def test_set_thesis_only_for_a_thesis_mobility(mobility: Mobility, office: User) -> None:
    with raises("Only a thesis mobility has thesis supervisors."):
        services.set_thesis(
            mobility=mobility,
            actor=office,
            home_supervisor="Prof. Rossi",
            host_supervisor="Prof. Meyer",
            thesis_credits=20,
        )
    assert reload(mobility).home_supervisor == ""


def test_set_thesis(office: User) -> None:
    thesis = MobilityFactory.create(kind=MobilityKind.THESIS)

    services.set_thesis(
        mobility=thesis,
        actor=office,
        home_supervisor=" Prof. Rossi ",
        host_supervisor="Prof. Meyer ",
        thesis_credits=20,
    )

    thesis.refresh_from_db()
    assert (thesis.home_supervisor, thesis.host_supervisor, thesis.thesis_credits) == (
        "Prof. Rossi",
        "Prof. Meyer",
        20,
    )
    assert actions(thesis) == ["mobility.thesis"]


# ------------------------------------------------------------------------------ extensions

TODAY = dt.date(2027, 3, 1)


def problem(mobility: Mobility, requested_end: dt.date, today: dt.date = TODAY) -> str | None:
    return services.extension_problem(mobility=mobility, requested_end=requested_end, today=today)


def test_extension_problem_none_for_a_good_request(mobility: Mobility) -> None:
    assert problem(mobility, dt.date(2027, 12, 31)) is None


def test_extension_problem_not_extendable(mobility: Mobility) -> None:
    assert mobility.offer is not None
    mobility.offer.extendable = False
    mobility.offer.save()

    assert problem(mobility, dt.date(2027, 12, 31)) == (
        "This destination's agreement does not allow extensions."
    )
    mobility.offer = None
    assert problem(mobility, dt.date(2027, 12, 31)) == (
        "This destination's agreement does not allow extensions."
    )


@pytest.mark.parametrize("state", [MobilityState.ACCEPTED, MobilityState.COMPLETED])
def test_extension_problem_not_in_mobility(mobility: Mobility, state: str) -> None:
    mobility.state = state

    assert problem(mobility, dt.date(2027, 12, 31)) == (
        "An extension is requested during the mobility, after your arrival."
    )


def test_extension_problem_without_planned_end(mobility: Mobility) -> None:
    mobility.planned_end = None

    assert problem(mobility, dt.date(2027, 12, 31)) == (
        "The mobility has no planned end yet; ask the International Mobility Unit."
    )


@pytest.mark.parametrize("requested_end", [PLANNED_END, dt.date(2027, 6, 30)])
def test_extension_problem_new_end_must_come_after(
    mobility: Mobility, requested_end: dt.date
) -> None:
    assert problem(mobility, requested_end) == (
        "The new end must come after the planned end, 2027-07-31."
    )


def test_extension_problem_notice(mobility: Mobility, settings: Any) -> None:
    settings.EXTENSION_NOTICE_DAYS = 30
    last_day = PLANNED_END - dt.timedelta(days=30)  # 1 July 2027

    assert problem(mobility, dt.date(2027, 12, 31), today=last_day) is None
    assert problem(mobility, dt.date(2027, 12, 31), today=last_day + dt.timedelta(days=1)) == (
        "Extensions are requested at least 30 days before the planned end (2027-07-31); the "
        "last day was 2027-07-01."
    )


@pytest.mark.parametrize(
    ("used", "requested_end", "expected"),
    [
        (0, dt.date(2028, 2, 15), None),  # 12 months
        (
            0,
            dt.date(2028, 3, 1),
            "With the extension this mobility lasts 13 months; with 0 used before, that exceeds "
            "the 12 months allowed in your study cycle.",
        ),
        (
            2,
            dt.date(2027, 12, 31),  # 11 months
            "With the extension this mobility lasts 11 months; with 2 used before, that exceeds "
            "the 12 months allowed in your study cycle.",
        ),
        (1, dt.date(2027, 12, 31), None),
    ],
)
def test_extension_problem_months_of_the_cycle(
    mobility: Mobility, used: int, requested_end: dt.date, expected: str | None
) -> None:
    StudentCareer.objects.create(
        student=mobility.student, first_enrolment_year=2022, months_used=used
    )

    assert problem(reload(mobility), requested_end) == expected


def test_extension_problem_single_cycle_allows_24_months(db: None) -> None:
    single_cycle = MobilityFactory.create(
        planned_start=ARRIVAL,
        actual_start=ARRIVAL,
        planned_end=PLANNED_END,
        student__course_of_study=CourseOfStudyFactory.create(level="SC"),
    )
    StudentCareer.objects.create(
        student=single_cycle.student, first_enrolment_year=2022, months_used=10
    )

    assert services.cycle_limit(single_cycle.student) == 24
    assert problem(single_cycle, dt.date(2028, 3, 1)) is None  # 13 + 10 = 23
    assert problem(single_cycle, dt.date(2028, 5, 1)) == (
        "With the extension this mobility lasts 15 months; with 10 used before, that exceeds "
        "the 24 months allowed in your study cycle."
    )


def test_cycle_limit_without_a_course(db: None) -> None:
    assert services.cycle_limit(UserFactory.create(role=Role.STUDENT)) == 12


def test_the_cycle_limit_of_a_mobility_is_its_calls(mobility: Mobility) -> None:
    """A call that allows 18 months per cycle: its mobility's extension is checked against 18;
    a mobility without the call's number (older data, another origin) follows the rule."""
    StudentCareer.objects.create(student=mobility.student, first_enrolment_year=2022, months_used=8)
    assert services.cycle_limit_of(mobility) == 12
    assert problem(mobility, dt.date(2027, 9, 30)) is not None  # 8 + 8 > 12
    mobility.cycle_months = 18
    mobility.save()
    assert services.cycle_limit_of(mobility) == 18
    assert problem(mobility, dt.date(2027, 9, 30)) is None  # 8 + 8 <= 18


def test_create_mobility_keeps_the_calls_cycle_months(mobility: Mobility) -> None:
    assert mobility.offer is not None
    created = services.create_mobility(
        student=mobility.student,
        offer=mobility.offer,
        academic_year=2027,
        origin="call:TEST",
        cycle_months=18,
    )
    assert services.cycle_limit_of(created) == 18


def request(mobility: Mobility, **kwargs: Any) -> ExtensionRequest:
    values: dict[str, Any] = {
        "mobility": mobility,
        "actor": mobility.student,
        "requested_end": dt.date(2027, 12, 31),
        "reason": "  The thesis work needs one more semester. ",
        "form": pdf_upload("extension.pdf"),
        "today": TODAY,
    }
    return services.request_extension(**{**values, **kwargs})


def test_request_extension(
    mobility: Mobility,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        extension = request(mobility)

    assert extension.state == ExtensionState.REQUESTED
    assert (extension.current_end, extension.requested_end) == (PLANNED_END, dt.date(2027, 12, 31))
    assert (extension.months_before, extension.months_after) == (6, 11)
    assert extension.reason == "The thesis work needs one more semester."
    assert extension.requested_by == mobility.student
    assert (extension.form.kind, extension.form.original_name) == (
        DocumentKind.EXTENSION_FORM,
        "extension.pdf",
    )
    mobility.refresh_from_db()
    assert (mobility.planned_end, mobility.months) == (PLANNED_END, 6)  # not before the decision
    assert actions(extension) == ["extension.requested"]
    assert mobility.offer is not None
    assert mobility.offer.agreement.promoter is not None
    assert [m.to for m in mailoutbox] == [[mobility.offer.agreement.promoter.user.email]]


def test_request_extension_refusals(mobility: Mobility) -> None:
    with raises("The new end must come after the planned end, 2027-07-31."):
        request(mobility, requested_end=PLANNED_END)
    with raises("Explain why you ask for the extension."):
        request(mobility, reason="  ")
    with raises("Only PDF, JPEG and PNG files are accepted."):
        request(mobility, form=SimpleUploadedFile("form.pdf", b"not a pdf"))
    assert ExtensionRequest.objects.count() == 0
    assert Document.objects.count() == 0


def test_request_extension_one_open_request_at_a_time(mobility: Mobility) -> None:
    first = request(mobility)

    with raises("An extension request is already waiting for the promoter."):
        request(mobility, requested_end=dt.date(2027, 11, 30))

    services.withdraw_extension(extension=first, actor=mobility.student)
    second = request(mobility, requested_end=dt.date(2027, 11, 30))
    assert second.state == ExtensionState.REQUESTED
    assert reload(first).state == ExtensionState.WITHDRAWN


def test_authorise_extension_changes_the_end_and_the_months(
    mobility: Mobility,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    extension = request(mobility)
    assert mobility.offer is not None
    assert mobility.offer.agreement.promoter is not None
    promoter = mobility.offer.agreement.promoter.user

    with django_capture_on_commit_callbacks(execute=True):
        decided = services.decide_extension(extension=extension, actor=promoter, authorise=True)

    assert decided.state == ExtensionState.APPROVED
    assert (decided.decided_by, decided.decision_reason) == (promoter, "")
    assert decided.decided_at is not None
    mobility.refresh_from_db()
    assert (mobility.planned_end, mobility.months) == (dt.date(2027, 12, 31), 11)
    assert actions(extension) == ["extension.requested", "extension.authorised"]
    assert [m.to for m in mailoutbox] == [[mobility.student.email]]
    with raises("This request is “Authorised” already."):
        services.decide_extension(extension=extension, actor=promoter, authorise=False, reason="x")


def test_refuse_extension_needs_a_reason_and_changes_nothing(mobility: Mobility) -> None:
    extension = request(mobility)
    promoter = mobility.offer.agreement.promoter.user  # type: ignore[union-attr]  # decides

    with raises("Give the reason of the refusal."):
        services.decide_extension(extension=extension, actor=promoter, authorise=False)
    assert reload(extension).state == ExtensionState.REQUESTED

    refused = services.decide_extension(
        extension=extension, actor=promoter, authorise=False, reason=" The host cannot host. "
    )

    assert (refused.state, refused.decision_reason) == (
        ExtensionState.REFUSED,
        "The host cannot host.",
    )
    mobility.refresh_from_db()
    assert (mobility.planned_end, mobility.months) == (PLANNED_END, 6)
    assert actions(extension) == ["extension.requested", "extension.refused"]


def test_authorise_extension_rechecks_the_months_of_the_cycle(mobility: Mobility) -> None:
    extension = request(mobility)  # 11 months, none used before
    StudentCareer.objects.create(student=mobility.student, first_enrolment_year=2022, months_used=8)

    with raises("The study cycle allows 12 months and 8 are used already."):
        services.decide_extension(
            extension=extension,
            actor=mobility.offer.agreement.promoter.user,  # type: ignore[union-attr]
            authorise=True,
        )
    assert reload(extension).state == ExtensionState.REQUESTED
    assert reload(mobility).planned_end == PLANNED_END


def test_withdraw_extension_only_while_waiting(mobility: Mobility) -> None:
    extension = request(mobility)
    services.withdraw_extension(extension=extension, actor=mobility.student)

    with raises("Only a waiting request can be withdrawn."):
        services.withdraw_extension(extension=extension, actor=mobility.student)
    assert actions(extension) == ["extension.requested", "extension.withdrawn"]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2027, 2, 1), dt.date(2027, 7, 31), 6),
        (dt.date(2027, 2, 1), dt.date(2028, 1, 31), 12),
        # months of 30 days, as the Erasmus+ Programme Guide counts them
        (dt.date(2027, 9, 1), dt.date(2028, 1, 31), 5),  # 1 Sep-31 Jan: 5 months
        (dt.date(2028, 2, 1), dt.date(2028, 2, 29), 1),  # a February is a month
        (dt.date(2027, 2, 1), dt.date(2027, 2, 28), 1),
        (dt.date(2027, 9, 1), dt.date(2028, 2, 16), 6),  # 5 months 16 days: past half
        (dt.date(2027, 9, 1), dt.date(2028, 2, 15), 5),  # 5 months 15 days: half
        (dt.date(2027, 2, 1), dt.date(2027, 2, 1), 1),  # never less than one
        (dt.date(2027, 2, 1), dt.date(2027, 3, 15), 1),
        (dt.date(2027, 2, 1), dt.date(2027, 3, 17), 2),
        (dt.date(2027, 9, 1), dt.date(2029, 8, 31), 24),
    ],
)
def test_months_between(start: dt.date, end: dt.date, months: int) -> None:
    assert services.months_between(start, end) == months


# ------------------------------------------------------------------------------- mobility


def test_create_and_withdraw_mobility(office: User) -> None:
    student = UserFactory.create(role=Role.STUDENT)
    offer = MobilityFactory.create().offer
    assert offer is not None

    mobility = services.create_mobility(
        student=student, offer=offer, academic_year=2027, origin="engineering-2027-1", actor=office
    )

    assert (mobility.state, mobility.kind, mobility.months, mobility.host) == (
        MobilityState.NOMINATED,
        MobilityKind.SEMESTER,
        6,
        offer.agreement.partner,
    )
    services.withdraw_mobility(mobility=mobility, actor=office, reason="renounced")
    assert reload(mobility).state == MobilityState.WITHDRAWN
    assert actions(mobility) == ["mobility.created", "mobility.withdrawn"]
