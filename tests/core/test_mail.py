"""abroad.core.mail: recipients grouped by language, the context sent as references and read
again, one outbox message per language, rendered with a text and an HTML part. The tests run
the tasks at once (tests/conftest.py), so the messages land in ``mail.outbox`` on commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail as django_mail
from django.core.mail import EmailMultiAlternatives

from abroad.core import mail
from abroad.core.models import OutboxMessage, OutboxState
from abroad.mobility.models import Mobility
from tests.factories import CourseOfStudyFactory, UserFactory
from tests.mobility.factories import MobilityFactory, agreement_with_rows

pytestmark = [pytest.mark.integration]


@dataclass
class Person:
    email: str
    language: str


@pytest.mark.unit
def test_recipients_are_grouped_by_language_without_blanks_or_duplicates() -> None:
    groups = mail.by_language(
        [
            Person("b@example.org", "it"),
            "c@example.org",
            Person("a@example.org", ""),
            Person("", "it"),
            Person("d@example.org", "fr"),  # not a language of the site: the site's
            "b@example.org",
            Person("e@example.org", "it"),
        ]
    )
    assert groups == {
        "en": ["a@example.org", "c@example.org", "d@example.org"],
        "it": ["b@example.org", "e@example.org"],
    }


@pytest.mark.unit
def test_one_recipient_or_nobody() -> None:
    assert mail.by_language("a@example.org") == {"en": ["a@example.org"]}
    assert mail.by_language(Person("a@example.org", "it")) == {"it": ["a@example.org"]}
    assert mail.by_language([]) == {}
    assert mail.by_language("") == {}


@pytest.mark.django_db
def test_the_context_travels_as_references_and_is_read_again() -> None:
    user = UserFactory.create(username="anna")
    payload = mail.to_payload({"user": user, "users": [user], "n": 3, "label": "x"})
    assert payload == {
        "user": {"__model__": "people.user", "pk": user.pk},
        "users": [{"__model__": "people.user", "pk": user.pk}],
        "n": 3,
        "label": "x",
    }
    again = mail.from_payload(payload)
    assert again["user"] == user
    assert again["users"] == [user]
    assert again["n"] == 3


@pytest.mark.django_db
def test_nothing_is_queued_for_nobody() -> None:
    assert mail.send("mobility/email/la_decided", {}, ["", ""]) == []
    assert OutboxMessage.objects.count() == 0


@pytest.fixture
def mobility(db: None) -> Mobility:
    found: Mobility = MobilityFactory.create(
        student=UserFactory.create(
            username="anna",
            first_name="Anna",
            last_name="O'Brien",
            email="anna@example.org",
            course_of_study=CourseOfStudyFactory.create(),
        ),
        offer__agreement__partner__name="Partner University Delft",
    )
    return found


@pytest.mark.django_db
def test_a_message_per_language_with_text_and_html(
    mobility: Mobility, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = "https://abroad.example.org"
    settings.SITE_NAME = "abroad Polimi"
    agreement = agreement_with_rows(mobility)
    agreement.state = "returned"
    agreement.comment = "Add <b>the thesis</b> & more."
    agreement.save()
    italian = UserFactory.create(username="it", email="it@example.org", language="it")
    context = {"agreement": agreement, "mobility": mobility}
    with django_capture_on_commit_callbacks(execute=True):
        messages = mail.send("mobility/email/la_decided", context, [mobility.student, italian])
        assert django_mail.outbox == []  # not before the commit
    assert [(m.language, m.recipients) for m in messages] == [
        ("en", ["anna@example.org"]),
        ("it", ["it@example.org"]),
    ]
    english, italian_message = sorted(django_mail.outbox, key=lambda m: m.to)
    assert isinstance(english, EmailMultiAlternatives)
    assert english.to == ["anna@example.org"]
    assert "Add <b>the thesis</b> & more." in english.body  # the text part is not escaped
    ((html, kind),) = english.alternatives
    assert kind == "text/html"
    assert isinstance(html, str)
    assert "Add &lt;b&gt;the thesis&lt;/b&gt; &amp; more." in html  # the HTML part is
    assert "abroad Polimi" in html
    assert f'href="https://abroad.example.org/mobility/{mobility.pk}/"' in html
    assert italian_message.to == ["it@example.org"]
    assert "Il tuo docente promotore ha restituito la versione 1" in italian_message.body
    assert "Open your mobility" in html
    assert {m.state for m in OutboxMessage.objects.all()} == {OutboxState.SENT}
    assert {m.subject for m in OutboxMessage.objects.all()} == {
        english.subject,
        italian_message.subject,
    }


@pytest.mark.django_db
def test_a_message_whose_object_is_gone_fails_without_retrying(
    mobility: Mobility, django_capture_on_commit_callbacks: Any
) -> None:
    agreement = agreement_with_rows(mobility)
    (message,) = mail.send(
        "mobility/email/la_decided",
        {"agreement": agreement, "mobility": mobility},
        mobility.student,
    )
    agreement.components.all().delete()
    agreement.delete()
    assert mail.deliver_message(message.pk) == OutboxState.FAILED
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.FAILED, 1)
    assert "DoesNotExist" in message.last_error
    assert django_mail.outbox == []


@pytest.mark.unit
def test_the_wait_doubles_after_each_failure(settings: Any) -> None:
    settings.MAIL_RETRY_SECONDS = 60
    assert [mail.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


@pytest.mark.django_db
def test_the_text_part_is_not_html_escaped(django_capture_on_commit_callbacks: Any) -> None:
    """A name with an apostrophe reads as written in the text part (it was "O&#x27;Brien"),
    and is escaped in the HTML part."""
    from tests.selection.factories import AssignmentFactory

    assignment = AssignmentFactory.create(
        application__student__first_name="Anna",
        application__student__last_name="O'Brien",
        application__student__email="anna@example.org",
        call_offer__offer__agreement__partner__name="Université d'Été",
    )
    with django_capture_on_commit_callbacks(execute=True):
        mail.send(
            "selection/email/accepted",
            {"assignment": assignment, "call": assignment.round.call},
            assignment.application.student,
        )
    (message,) = django_mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert "Dear Anna O'Brien," in message.body
    assert "your seat at Université d'Été." in message.body
    assert message.subject == "You accepted your seat at Université d'Été"
    ((html, _kind),) = message.alternatives
    assert isinstance(html, str)
    assert "Anna O&#x27;Brien" in html


@pytest.mark.django_db
def test_nothing_is_queued_while_e_mails_are_switched_off(
    mobility: Mobility, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The demo loaders switch e-mails off with the dummy backend: no outbox message is left
    waiting for a worker (it would be sent once one runs)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert mail.send("mobility/email/la_decided", {}, mobility.student) == []
    assert OutboxMessage.objects.count() == 0


@pytest.mark.unit
def test_every_e_mail_has_a_text_and_an_html_template() -> None:
    from pathlib import Path

    import abroad

    root = Path(abroad.__file__).parent
    subjects = sorted(root.glob("*/templates/*/email/*_subject.txt"))
    assert len(subjects) >= 12
    for subject in subjects:
        stem = str(subject)[: -len("_subject.txt")]
        assert Path(stem + ".txt").exists(), stem
        assert Path(stem + ".html").exists(), stem


@pytest.mark.django_db
def test_many_e_mails_are_written_together_and_handed_over_once(
    mobility: Mobility, django_capture_on_commit_callbacks: Any
) -> None:
    """A round's results: one transaction writes every message, one hand-over on its commit
    enqueues them all (one call to ``mail.send`` each made two commits per e-mail)."""
    context = {"agreement": agreement_with_rows(mobility), "mobility": mobility}
    students = [UserFactory.create(email=f"s{n}@example.org") for n in range(5)]
    emails = [("mobility/email/la_decided", context, s) for s in students]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messages = mail.send_many(emails)
    assert len(callbacks) == 1
    assert [m.recipients for m in messages] == [[s.email] for s in students]
    assert sorted(m.to[0] for m in django_mail.outbox) == sorted(s.email for s in students)
    assert {m.state for m in OutboxMessage.objects.all()} == {OutboxState.SENT}


@pytest.mark.django_db
def test_a_batch_that_fails_midway_queues_nothing(mobility: Mobility) -> None:
    def emails() -> Any:
        context = {"agreement": agreement_with_rows(mobility), "mobility": mobility}
        yield ("mobility/email/la_decided", context, mobility.student)
        raise RuntimeError("the round's data could not be read")

    with pytest.raises(RuntimeError):
        mail.send_many(emails())
    assert not OutboxMessage.objects.exists()
