"""Instants as people read them: in the site's time zone, to the second (deadlines are
enforced to the second, so they are shown so)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_moment(moment: dt.datetime, *, zone: bool = False) -> str:
    """ "16/12/2026 12:00:00" (with ``zone``: "16/12/2026 12:00:00 CET")."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M:%S" + (" %Z" if zone else ""))
