from django.urls import path

from portfolio_site.audit import views

app_name = "audit"

urlpatterns = [path("", views.audit_trail, name="trail")]
