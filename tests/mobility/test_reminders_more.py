"""The reminders of the mobility left by issue 16, run by ``run-scheduled`` with the clock
moved: the change window closing, a document missing (the acceptance letter, the arrival
confirmation), an extension waiting for the promoter. Each goes once, to the right person, in
their language, with a text and an HTML part, not when the action was done, and not when its
setting is 0."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail as django_mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from abroad.core import scheduled
from abroad.core.models import OutboxMessage, SchedulerRun
from abroad.mobility import services
from abroad.mobility.enums import (
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityState,
    Stage,
)
from abroad.mobility.models import ExtensionRequest, Mobility
from abroad.people.models import User
from tests.mobility.factories import DocumentFactory, LearningAgreementFactory, MobilityFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Near the real clock: the outbox forgets messages older than its keeping time, and with them
# the keys that make a reminder go once.
NOW = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
TODAY = timezone.localdate(NOW)
SITE = "https://abroad.example.org"


@pytest.fixture(autouse=True)
def defaults(settings: Any) -> None:
    settings.LA_CHANGE_WINDOW_DAYS = 35
    settings.REMINDER_CHANGE_WINDOW_DAYS = 5
    settings.REMINDER_ACCEPTANCE_LETTER_DAYS = 45
    settings.REMINDER_ARRIVAL_DAYS = 7
    settings.REMINDER_EXTENSION_DAYS = 7
    settings.SITE_URL = SITE


def run_at(when: dt.datetime, capture: Any) -> SchedulerRun:
    with capture(execute=True):
        return scheduled.run(now=when)


def sent() -> list[EmailMultiAlternatives]:
    """The messages sent, each with its HTML part (as :mod:`abroad.core.mail` renders them)."""
    found = [m for m in django_mail.outbox if isinstance(m, EmailMultiAlternatives)]
    assert len(found) == len(django_mail.outbox)
    return found


def to(email: str, words: str) -> list[EmailMultiAlternatives]:
    return [m for m in sent() if email in m.to and words in m.subject]


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def italian(user: User) -> User:
    user.language = "it"
    user.save(update_fields=["language"])
    return user


# ------------------------------------------------------------------------- the change window


def arrived(on: dt.date, email: str) -> Mobility:
    """A student abroad since ``on`` with a learning agreement signed by all three."""
    mobility: Mobility = MobilityFactory.create(
        actual_start=on, planned_start=on, student__email=email
    )
    LearningAgreementFactory.create(
        mobility=mobility,
        number=1,
        state=LearningAgreementState.SIGNED,
        student_signed_at=NOW - days(60),
    )
    return mobility


def test_the_change_window_reminder_goes_once_five_days_before_it_closes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # arrived 25 days ago: the window (35 days) closes in 10 days
    mobility = arrived(TODAY - days(25), "rossi@polimi.example")
    italian(mobility.student)
    run = run_at(NOW, django_capture_on_commit_callbacks)
    assert run.report["mobility.change_window"] == 0
    assert to("rossi@polimi.example", "il periodo sta per chiudersi") == []

    run = run_at(NOW + days(5), django_capture_on_commit_callbacks)  # closes in 5 days
    assert run.report["mobility.change_window"] == 1
    for later in (6, 9, 10):
        run_at(NOW + days(later), django_capture_on_commit_callbacks)
    (message,) = to("rossi@polimi.example", "il periodo sta per chiudersi")
    assert message.to == ["rossi@polimi.example"]
    deadline = (TODAY + days(10)).strftime("%d/%m/%Y")
    assert deadline in message.body
    assert f"{SITE}/mobility/{mobility.pk}/la/" in message.body
    assert len(message.alternatives) == 1  # and an HTML part
    (outbox,) = OutboxMessage.objects.all()
    assert outbox.language == "it"
    assert outbox.key == f"mobility.change_window_reminder/mobility/{mobility.pk}"


def test_no_change_window_reminder_once_a_change_is_submitted_or_the_window_closed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    changed = arrived(TODAY - days(32), "changed@polimi.example")
    LearningAgreementFactory.create(
        mobility=changed,
        number=2,
        stage=Stage.DURING,
        state=LearningAgreementState.SUBMITTED,
        student_signed_at=NOW - days(1),
    )
    arrived(TODAY - days(36), "closed@polimi.example")  # closed yesterday
    not_signed: Mobility = MobilityFactory.create(
        actual_start=TODAY - days(32), student__email="unsigned@polimi.example"
    )  # nothing in force to change
    assert not_signed.state == MobilityState.IN_MOBILITY
    run = run_at(NOW, django_capture_on_commit_callbacks)
    assert run.report["mobility.change_window"] == 0
    assert django_mail.outbox == []


def test_the_reminder_follows_the_change_deadline_rule(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The reminder selects by the services' rule (arrival + LA_CHANGE_WINDOW_DAYS): the
    filter and the deadline the e-mail names agree, at the edges, for another window too."""
    settings.LA_CHANGE_WINDOW_DAYS = 20
    edges = {
        arrived(TODAY - days(20 - offset), f"m{offset}@polimi.example"): offset
        for offset in (-1, 0, 5, 6)
    }
    for mobility, offset in edges.items():
        assert services.change_deadline(mobility) == TODAY + days(offset)
    closing = Mobility.objects.filter(services.change_deadline_q(TODAY, TODAY + days(5)))
    assert sorted(edges[m] for m in closing) == [0, 5]
    run = run_at(NOW, django_capture_on_commit_callbacks)
    assert run.report["mobility.change_window"] == 2
    (last_day,) = to("m0@polimi.example", "")
    assert TODAY.strftime("%d/%m/%Y") in last_day.body


def test_the_change_window_reminder_can_be_turned_off(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REMINDER_CHANGE_WINDOW_DAYS = 0
    arrived(TODAY - days(32), "rossi@polimi.example")
    run_at(NOW, django_capture_on_commit_callbacks)
    assert django_mail.outbox == []


# ------------------------------------------------------------------------- missing documents


def documents() -> Any:
    """The document reminders in the outbox (the learning agreement's has tests of its own)."""
    return OutboxMessage.objects.filter(key__startswith="mobility.document_reminder/")


def accepted(start: dt.date, email: str) -> Mobility:
    """A student accepted by the host, leaving on ``start``."""
    mobility: Mobility = MobilityFactory.create(
        state=MobilityState.ACCEPTED,
        planned_start=start,
        planned_end=start + days(150),
        actual_start=None,
        student__email=email,
    )
    return mobility


def test_the_acceptance_letter_reminder_goes_once_45_days_before_the_start(
    django_capture_on_commit_callbacks: Any,
) -> None:
    mobility = accepted(TODAY + days(60), "rossi@polimi.example")
    italian(mobility.student)
    uploaded = accepted(TODAY + days(50), "uploaded@polimi.example")
    DocumentFactory.create(mobility=uploaded, kind=DocumentKind.ACCEPTANCE_LETTER)
    run = run_at(NOW, django_capture_on_commit_callbacks)  # 60 days before: not yet
    assert run.report["mobility.documents"] == {"acceptance_letter": 0, "arrival": 0}

    run = run_at(NOW + days(15), django_capture_on_commit_callbacks)
    assert run.report["mobility.documents"] == {"acceptance_letter": 1, "arrival": 0}
    run_at(NOW + days(16), django_capture_on_commit_callbacks)
    run_at(NOW + days(40), django_capture_on_commit_callbacks)
    (message,) = to("rossi@polimi.example", "lettera di accettazione")
    assert message.to == ["rossi@polimi.example"]
    assert (TODAY + days(60)).strftime("%d/%m/%Y") in message.body
    assert f"{SITE}/mobility/{mobility.pk}/#documents" in message.body
    assert len(message.alternatives) == 1
    assert documents().get().language == "it"
    assert [m.recipients for m in documents()] == [["rossi@polimi.example"]]  # not "uploaded"


def test_the_arrival_reminder_goes_once_a_week_after_the_planned_start(
    django_capture_on_commit_callbacks: Any,
) -> None:
    mobility = accepted(TODAY - days(3), "rossi@polimi.example")
    DocumentFactory.create(mobility=mobility, kind=DocumentKind.ACCEPTANCE_LETTER)
    italian(mobility.student)
    sent_in = accepted(TODAY - days(10), "sent@polimi.example")
    DocumentFactory.create(mobility=sent_in, kind=DocumentKind.ARRIVAL)
    recorded: Mobility = MobilityFactory.create(  # the office recorded the arrival
        planned_start=TODAY - days(10),
        actual_start=TODAY - days(9),
        student__email="recorded@polimi.example",
    )
    assert recorded.state == MobilityState.IN_MOBILITY
    accepted(TODAY - days(90), "long-ago@polimi.example")  # not reminded for ever
    run = run_at(NOW, django_capture_on_commit_callbacks)
    assert run.report["mobility.documents"] == {"acceptance_letter": 0, "arrival": 0}

    run = run_at(NOW + days(4), django_capture_on_commit_callbacks)
    assert run.report["mobility.documents"] == {"acceptance_letter": 0, "arrival": 1}
    run_at(NOW + days(5), django_capture_on_commit_callbacks)
    (message,) = sent()
    assert message.to == ["rossi@polimi.example"]
    assert "conferma di arrivo" in message.subject
    assert f"{SITE}/mobility/{mobility.pk}/#documents" in message.body
    assert len(message.alternatives) == 1
    assert OutboxMessage.objects.get().language == "it"


def test_the_document_reminders_can_be_turned_off(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REMINDER_ACCEPTANCE_LETTER_DAYS = 0
    settings.REMINDER_ARRIVAL_DAYS = 0
    accepted(TODAY + days(10), "soon@polimi.example")
    accepted(TODAY - days(10), "late@polimi.example")
    run = run_at(NOW, django_capture_on_commit_callbacks)
    assert run.report["mobility.documents"] == {"acceptance_letter": 0, "arrival": 0}
    assert not documents().exists()


# ------------------------------------------------------------------- an extension to decide


def requested(mobility: Mobility, at: dt.datetime, state: str) -> ExtensionRequest:
    assert mobility.planned_end is not None
    extension = ExtensionRequest.objects.create(
        mobility=mobility,
        state=state,
        current_end=mobility.planned_end,
        requested_end=mobility.planned_end + days(60),
        months_before=6,
        months_after=8,
        reason="A research project in the spring.",
        form=DocumentFactory.create(mobility=mobility, kind=DocumentKind.EXTENSION_FORM),
    )
    ExtensionRequest.objects.filter(pk=extension.pk).update(requested_at=at)
    return extension


def test_the_extension_reminder_goes_once_to_the_promoter_after_a_week(
    django_capture_on_commit_callbacks: Any,
) -> None:
    mobility: Mobility = MobilityFactory.create(
        student__first_name="Anna",
        student__last_name="Rossi",
        student__email="anna@polimi.example",
        offer__agreement__promoter__user__email="neri@polimi.example",
    )
    decider = mobility.offer.agreement.promoter.user  # type: ignore[union-attr]
    italian(decider)
    extension = requested(mobility, NOW, ExtensionState.REQUESTED)
    decided: Mobility = MobilityFactory.create(
        offer__agreement__promoter__user__email="bruni@polimi.example"
    )
    requested(decided, NOW - days(30), ExtensionState.APPROVED)

    run = run_at(NOW + days(6), django_capture_on_commit_callbacks)
    assert run.report["mobility.extensions"] == 0
    run = run_at(NOW + days(7), django_capture_on_commit_callbacks)
    assert run.report["mobility.extensions"] == 1
    run_at(NOW + days(8), django_capture_on_commit_callbacks)
    run_at(NOW + days(20), django_capture_on_commit_callbacks)
    (message,) = sent()
    assert message.to == ["neri@polimi.example"]  # the promoter, not the student
    assert message.subject == "Richiesta di prolungamento di Anna Rossi ancora da decidere"
    assert f"{SITE}/mobility/desk/extension/{extension.pk}/" in message.body
    assert len(message.alternatives) == 1
    (outbox,) = OutboxMessage.objects.all()
    assert outbox.language == "it"
    assert outbox.key == f"mobility.extension_reminder/extension/{extension.pk}"


def test_a_decided_extension_is_not_reminded(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mobility: Mobility = MobilityFactory.create()
    extension = requested(mobility, NOW - days(10), ExtensionState.REQUESTED)
    extension.state = ExtensionState.REFUSED
    extension.save()
    run_at(NOW, django_capture_on_commit_callbacks)
    settings.REMINDER_EXTENSION_DAYS = 0
    requested(MobilityFactory.create(), NOW - days(10), ExtensionState.REQUESTED)
    run_at(NOW, django_capture_on_commit_callbacks)
    assert django_mail.outbox == []


def test_the_reminders_read_in_italian(django_capture_on_commit_callbacks: Any) -> None:
    """Needs the Italian catalogue with this work's strings (merged by the lead)."""
    student = italian(arrived(TODAY - days(32), "rossi@polimi.example").student)
    letter = accepted(TODAY + days(40), "bianchi@polimi.example")
    italian(letter.student)
    run_at(NOW, django_capture_on_commit_callbacks)
    (window,) = to(student.email, "learning agreement")
    assert window.subject.endswith(": il periodo sta per chiudersi")
    assert "puoi proporre modifiche al tuo learning agreement" in window.body
    (upload,) = to("bianchi@polimi.example", "lettera di accettazione")
    assert "Apri i tuoi documenti" in str(upload.alternatives[0][0])
