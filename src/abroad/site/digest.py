"""The promoter's digest, sent by ``python -m abroad run-scheduled`` (registered in
:mod:`abroad.site.apps`): one e-mail with what waits on the promoter's desks (learning
agreements and changes to approve, extensions to decide, recognitions to validate,
double-degree plans), with one link to the desk; daily or on Mondays, as the promoter chose on
"My preferences"; from ``DIGEST_HOUR`` (local time) on, once a day at most (an outbox key);
nothing when nothing waits. It lives on the top floor because it reads the desks of mobility,
recognition and networks, each through its own app's query."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from abroad.core import mail
from abroad.mobility.queries import waiting_agreements, waiting_extensions
from abroad.networks.queries import waiting_plans
from abroad.people.enums import Digest, Role
from abroad.people.models import User
from abroad.recognition.enums import TranscriptState
from abroad.recognition.queries import waiting_transcripts

MONDAY = 0


def waiting_for(user: User) -> dict[str, int]:
    """What waits for ``user`` (a promoter), by kind; kinds with nothing are left out."""
    promoter = getattr(user, "promoter", None)
    if promoter is None:
        return {}
    counts = {
        "agreements": waiting_agreements(promoter, user).count(),
        "extensions": waiting_extensions(promoter, user).count(),
        "recognitions": waiting_transcripts(user, promoter, TranscriptState.PROPOSED).count(),
        "plans": waiting_plans(promoter, user).count(),
    }
    return {kind: n for kind, n in counts.items() if n}


def send_digests(now: dt.datetime) -> int:
    """Queue the digests due at ``now``; how many."""
    local = timezone.localtime(now)
    if local.hour < settings.DIGEST_HOUR:
        return 0
    promoters = (
        User.objects.filter(role=Role.PROMOTER, is_active=True)
        .exclude(digest=Digest.NEVER)
        .exclude(email="")
        .select_related("promoter")
        .order_by("pk")
    )
    sent = 0
    for user in promoters:
        if user.digest == Digest.WEEKLY and local.weekday() != MONDAY:
            continue
        waiting = waiting_for(user)
        if not waiting:
            continue
        sent += mail.send_once(
            f"site.digest/{user.pk}/{local.date().isoformat()}",
            "site/email/digest",
            {"user": user, "waiting": waiting, "total": sum(waiting.values())},
            user,
        )
    return sent
