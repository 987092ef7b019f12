from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from abroad.api.api import api
from abroad.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("", include("abroad.catalogue.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("office/admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
