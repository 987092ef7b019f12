"""My preferences (/accounts/preferences/): every signed-in person chooses the language of
their e-mails, for themselves only; at the first log-in it starts as the browser's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from abroad.people.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

URL = "/accounts/preferences/"


def test_the_url() -> None:
    assert reverse("preferences") == URL


def test_each_persona_sees_their_own(
    personas: dict[str, Client], student: User, other_student: User, promoter: User, office: User
) -> None:
    for name, user in (
        ("student", student),
        ("other_student", other_student),
        ("promoter", promoter),
        ("office", office),
    ):
        response = personas[name].get(URL)
        assert response.status_code == 200, name
        assert response.context["form"].instance == user
        assert 'name="language"' in response.text
    anonymous = personas["anonymous"].get(URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def test_a_person_changes_their_own_language_only(
    personas: dict[str, Client], student: User, other_student: User
) -> None:
    response = personas["student"].post(URL, {"language": "it"})
    assert response.status_code == 302
    student.refresh_from_db()
    other_student.refresh_from_db()
    assert (student.language, other_student.language) == ("it", "")
    # a user's id in the form changes nothing for another person
    personas["other_student"].post(URL, {"language": "en", "id": student.pk})
    student.refresh_from_db()
    other_student.refresh_from_db()
    assert (student.language, other_student.language) == ("it", "en")
    personas["student"].post(URL, {"language": ""})  # back to the site's
    student.refresh_from_db()
    assert student.language == ""


def test_an_unknown_language_is_refused(personas: dict[str, Client], student: User) -> None:
    response = personas["student"].post(URL, {"language": "fr"})
    assert response.status_code == 200
    assert response.context["form"].errors
    student.refresh_from_db()
    assert student.language == ""


def test_anonymous_visitors_change_nothing(personas: dict[str, Client], student: User) -> None:
    personas["anonymous"].post(URL, {"language": "it"})
    student.refresh_from_db()
    assert student.language == ""


def test_the_footer_links_it(personas: dict[str, Client]) -> None:
    assert f'href="{URL}"' in personas["student"].get(reverse("home")).text
    assert f'href="{URL}"' not in personas["anonymous"].get(reverse("home")).text


def _log_in(username: str, accept_language: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("it-IT,it;q=0.9,en;q=0.8", "it"), ("de-DE,en;q=0.5", "en"), ("de-DE", "")],
)
def test_the_first_log_in_takes_the_browsers_language(accept: str, expected: str) -> None:
    UserFactory.create(username="new")
    _log_in("new", accept)
    assert User.objects.get(username="new").language == expected


def test_a_chosen_language_is_kept_at_log_in() -> None:
    UserFactory.create(username="chosen", language="en")
    _log_in("chosen", "it")
    assert User.objects.get(username="chosen").language == "en"
