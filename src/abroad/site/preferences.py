"""My preferences, /accounts/preferences/: any signed-in person chooses the language of the
e-mails abroad sends them. At the first log-in the language starts as the browser's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

from abroad.people.models import User


class PreferencesForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("language", "digest")
        labels = {
            "language": _("Language of the e-mails"),
            "digest": _("E-mail me what waits on my desk"),
        }
        help_texts = {
            "language": _("Empty: the site's language."),
            "digest": _("One e-mail with everything waiting for you; none when nothing waits."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.is_promoter:  # the digest is of a promoter's desk
            del self.fields["digest"]


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PreferencesForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your preferences are saved."))
        return redirect("preferences")
    return render(request, "site/preferences.html", {"form": form})


@receiver(user_logged_in, dispatch_uid="abroad.site.preferences.language_from_browser")
def language_from_browser(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """A person without a language gets the browser's at log-in: the one chosen on the site
    (the language cookie), else the first of the browser's the site offers; none of them, the
    field stays blank (the site's language)."""
    if request is None or getattr(user, "language", None) != "":
        return
    language = browser_language(request)
    if language:
        user.language = language
        user.save(update_fields=["language"])


def browser_language(request: HttpRequest) -> str:
    offered = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in offered:
        return chosen
    for accepted, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        code = accepted.split("-")[0].lower()
        if code in offered:
            return code
    return ""
