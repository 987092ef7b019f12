"""``{% password_reset_path user %}``: the link of the password-reset e-mail, made when the
message is rendered (:func:`abroad.site.password_reset.reset_path`)."""

from __future__ import annotations

from django import template

from abroad.people.models import User
from abroad.site.password_reset import reset_path

register = template.Library()


@register.simple_tag
def password_reset_path(user: User) -> str:
    return reset_path(user)
