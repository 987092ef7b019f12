"""The networks in the admin, to read: sessions and courses are kept on the office's pages,
applications, allocations, participations and plans change only through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from abroad.mobility.admin import ReadOnlyAdmin
from abroad.networks.models import (
    AthensAllocation,
    AthensApplication,
    AthensCourse,
    AthensSession,
    DoubleDegreePlan,
    Participation,
)
from abroad.people.rules import office_scope_q


@admin.register(AthensSession)
class AthensSessionAdmin(ReadOnlyAdmin):
    list_display = ("code", "network", "season", "year", "applications_close_at", "results_state")
    list_filter = ("season", "year")


@admin.register(AthensCourse)
class AthensCourseAdmin(ReadOnlyAdmin):
    list_display = ("session", "code", "title", "host", "capacity")
    list_filter = ("session",)
    search_fields = ("code", "title", "host__name")
    list_select_related = ("session", "host")


@admin.register(AthensApplication)
class AthensApplicationAdmin(ReadOnlyAdmin):
    list_display = ("session", "student", "state", "score", "rank")
    list_filter = ("session", "state")
    search_fields = ("student__last_name", "student__student_number")
    list_select_related = ("session", "student")

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's students' records only
        return (
            super()
            .get_queryset(request)
            .filter(office_scope_q(request.user, "student__course_of_study__school"))
        )


@admin.register(AthensAllocation)
class AthensAllocationAdmin(ReadOnlyAdmin):
    list_display = ("application", "course", "choice", "state")
    list_select_related = ("application__student", "application__session", "course")

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's students' records only
        return (
            super()
            .get_queryset(request)
            .filter(office_scope_q(request.user, "application__student__course_of_study__school"))
        )


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ("student", "course", "passed", "ects_earned")
    list_select_related = ("student", "course")

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's students' records only
        return (
            super()
            .get_queryset(request)
            .filter(office_scope_q(request.user, "student__course_of_study__school"))
        )


@admin.register(DoubleDegreePlan)
class DoubleDegreePlanAdmin(ReadOnlyAdmin):
    list_display = ("mobility", "state", "credits_at_partner", "credits_recognised_at_home")
    list_filter = ("state",)
    list_select_related = ("mobility__student", "mobility__host")

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's students' records only
        return (
            super()
            .get_queryset(request)
            .filter(office_scope_q(request.user, "mobility__student__course_of_study__school"))
        )
