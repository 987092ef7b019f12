"""The office's outbox, /office/outbox/: every e-mail abroad queued, newest first, 50 a page,
filtered by state. Who: the office (``core.view_outboxmessage``); anybody else gets 404."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from abroad.core.models import OutboxMessage, OutboxState
from abroad.core.permissions import office_page

PAGE_SIZE = 50


@office_page("core.view_outboxmessage")
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    messages = OutboxMessage.objects.defer("context").order_by("-created_at", "-id")
    if state in OutboxState.values:
        messages = messages.filter(state=state)
    else:
        state = ""
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "site/outbox.html",
        {
            "page": page,
            "state": state,
            "states": OutboxState.choices,
            "query": f"state={state}" if state else "",
        },
    )
