"""DOT's endpoints under /o/ (as its docs install them) and one API view it protects."""
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/hello/", views.hello),
]
