"""django-helpdesk mounted at the root, as its own docs suggest, plus Django's login."""

from django.urls import include, path

urlpatterns = [
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
