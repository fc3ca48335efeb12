from django.urls import path

from portfolio_site.exports import views

app_name = "exports"

urlpatterns = [
    path("portfolios/<int:portfolio_id>/", views.portfolio_exports, name="portfolio-exports"),
    path("<int:job_id>/download/", views.job_download, name="job-download"),
    path("<int:job_id>/retry/", views.job_retry, name="job-retry"),
    path("centres/<slug:centre_code>/", views.centre_exports, name="centre-exports"),
    path("centres/<slug:centre_code>/jobs/", views.centre_export_jobs, name="centre-export-jobs"),
]
