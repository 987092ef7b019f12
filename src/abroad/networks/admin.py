"""The networks in the admin, to read: sessions and courses are kept on the office's pages,
applications, allocations, participations and plans change only through the services."""

from django.contrib import admin

from abroad.mobility.admin import ReadOnlyAdmin
from abroad.networks.models import (
    AthensAllocation,
    AthensApplication,
    AthensCourse,
    AthensSession,
    DoubleDegreePlan,
    Participation,
)


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


@admin.register(AthensAllocation)
class AthensAllocationAdmin(ReadOnlyAdmin):
    list_display = ("application", "course", "choice", "state")
    list_select_related = ("application__student", "application__session", "course")


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ("student", "course", "passed", "ects_earned")
    list_select_related = ("student", "course")


@admin.register(DoubleDegreePlan)
class DoubleDegreePlanAdmin(ReadOnlyAdmin):
    list_display = ("mobility", "state", "credits_at_partner", "credits_recognised_at_home")
    list_filter = ("state",)
    list_select_related = ("mobility__student", "mobility__host")
