"""/health: for the monitoring; 200 when the database answers, the queue moves and the
scheduler ran recently, 503 otherwise (abroad.core.health). Open to anybody: states and ages,
nothing secret."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from abroad.core import health as core_health


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    state = core_health.check()
    return JsonResponse(state.as_json(), status=200 if state.ok else 503)
