"""The project's URLs plus a view that fails, for testing the 500 page."""

from django.urls import path

from portfolio_site.urls import urlpatterns as project_urlpatterns


def broken_view(request):
    raise RuntimeError("a bug in our code")


urlpatterns = [*project_urlpatterns, path("broken/", broken_view)]
