"""What the recognition answers others ask, written once.

* :func:`recognised_credits` - the credits a mobility had recognised at home: the sum of the
  lines of its validated recognition, None before it is validated (the timeline, the ATHENS
  certificate of ``networks``);
* :func:`total_credits` - the credits of some recognition lines already in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum

from abroad.mobility.models import Mobility
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
