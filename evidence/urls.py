from django.urls import path

from evidence import views

app_name = "evidence"

urlpatterns = [
    path("dashboard/learner/", views.learner_dashboard, name="learner-dashboard"),
    path("dashboard/assessor/", views.assessor_dashboard, name="assessor-dashboard"),
    path("dashboard/iqa/", views.iqa_dashboard, name="iqa-dashboard"),
    path("dashboard/centre/", views.centre_admin_dashboard, name="centre-admin-dashboard"),
    path("dashboard/eqa/", views.eqa_dashboard, name="eqa-dashboard"),
]
