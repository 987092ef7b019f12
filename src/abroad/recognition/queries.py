"""What the recognition answers others ask, written once.

* :func:`recognised_credits` - the credits a mobility had recognised at home: the sum of the
  lines of its validated recognition, None before it is validated (the timeline, the ATHENS
  certificate of ``networks``);
* :func:`total_credits` - the credits of some recognition lines already in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet, Sum

from abroad.catalogue.models import Promoter
from abroad.mobility.models import Mobility
from abroad.mobility.queries import acting_q, office_mobilities_q
from abroad.people.models import User
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import RecognitionLine, Transcript

__all__ = ["recognised_credits", "total_credits"]


def recognised_credits(mobility: Mobility | int) -> Decimal | None:
    """The credits recognised at home once the recognition is validated (0 when it recognises
    nothing); None while there is no validated recognition. Two queries at most."""
    validated = Transcript.objects.filter(mobility=mobility, state=TranscriptState.VALIDATED)
    if not validated.exists():
        return None
    total = RecognitionLine.objects.filter(transcript__in=validated).aggregate(
        total=Sum("credits")
    )["total"]
    return total if total is not None else Decimal(0)


def total_credits(lines: Iterable[RecognitionLine]) -> Decimal:
    """The credits of ``lines`` (a line has credits only with a grade)."""
    return sum((line.credits for line in lines), Decimal(0))


def waiting_transcripts(user: User, promoter: Promoter | None, state: str) -> QuerySet[Transcript]:
    """The transcripts in ``state`` on ``user``'s desk: within the office's School, and for a
    promoter those of the mobilities they (or whom they stand in for) approve."""
    transcripts = Transcript.objects.filter(state=state).filter(
        office_mobilities_q(user, "mobility__")
    )
    if promoter is not None:
        transcripts = transcripts.filter(acting_q(promoter, user, "mobility__"))
    return transcripts.select_related(
        "mobility__student__course_of_study", "mobility__host", "rule"
    )
