from django.contrib import admin

from abroad.catalogue.models import (
    Agreement,
    Contact,
    CourseOfStudy,
    Institution,
    Network,
    NetworkMembership,
    Offer,
    Promoter,
    School,
)


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin[Institution]):
    list_display = ("name", "country", "city", "erasmus_code", "schac_code", "is_home")
    list_filter = ("is_home", "country")
    search_fields = ("name", "name_en", "city", "erasmus_code", "schac_code")


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin[School]):
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")


@admin.register(CourseOfStudy)
class CourseOfStudyAdmin(admin.ModelAdmin[CourseOfStudy]):
    list_display = ("code", "name", "level", "school", "isced_code", "language")
    list_filter = ("level", "school", "language")
    search_fields = ("code", "name", "name_it")
    filter_horizontal = ("coordinators",)


class MembershipInline(admin.TabularInline[NetworkMembership, Network]):
    model = NetworkMembership
    autocomplete_fields = ("institution",)
    extra = 0


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin[Network]):
    list_display = ("name", "code", "website")
    inlines = (MembershipInline,)
    search_fields = ("name",)


@admin.register(Promoter)
class PromoterAdmin(admin.ModelAdmin[Promoter]):
    list_display = ("__str__", "school", "email")
    list_filter = ("school",)
    search_fields = ("user__first_name", "user__last_name", "email")
    autocomplete_fields = ("user",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ("name", "kind", "school", "email", "phone", "order")
    list_filter = ("kind", "school")


class OfferInline(admin.StackedInline[Offer, Agreement]):
    model = Offer
    extra = 0
    filter_horizontal = ("courses",)


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin[Agreement]):
    list_display = ("code", "partner", "programme", "network", "start_year", "end_year", "status")
    list_filter = ("status", "programme", "network", "partner__country")
    search_fields = ("code", "partner__name", "partner__name_en", "partner__erasmus_code")
    autocomplete_fields = ("partner", "promoter")
    inlines = (OfferInline,)
    list_select_related = ("partner", "network")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin[Offer]):
    list_display = ("__str__", "mobility_type", "isced_code", "seats", "months", "language")
    list_filter = ("mobility_type", "language", "extendable", "agreement__programme")
    search_fields = ("agreement__code", "agreement__partner__name")
    filter_horizontal = ("courses",)
    list_select_related = ("agreement__partner",)
