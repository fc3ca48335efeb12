from django.urls import path

from evidence.views import dashboards, enrolments, files, items

app_name = "evidence"

urlpatterns = [
    path("dashboard/learner/", dashboards.learner_dashboard, name="learner-dashboard"),
    path("dashboard/assessor/", dashboards.assessor_dashboard, name="assessor-dashboard"),
    path("dashboard/iqa/", dashboards.iqa_dashboard, name="iqa-dashboard"),
    path("dashboard/centre/", dashboards.centre_admin_dashboard, name="centre-admin-dashboard"),
    path("dashboard/eqa/", dashboards.eqa_dashboard, name="eqa-dashboard"),
    # A portfolio's evidence and progress
    path("portfolios/<int:portfolio_id>/evidence/", items.evidence_list, name="evidence-list"),
    path("portfolios/<int:portfolio_id>/evidence/new/", items.item_create, name="item-create"),
    path("portfolios/<int:portfolio_id>/grid/", items.tracking_grid, name="tracking-grid"),
    path("evidence/<int:item_id>/", items.item_detail, name="item-detail"),
    path("evidence/<int:item_id>/edit/", items.item_edit, name="item-edit"),
    path("evidence/<int:item_id>/criteria/", items.item_mappings, name="item-mappings"),
    path("evidence/<int:item_id>/submit/", items.item_submit, name="item-submit"),
    path("evidence/<int:item_id>/delete/", items.item_delete, name="item-delete"),
    path("evidence/<int:item_id>/files/", files.file_upload, name="file-upload"),
    path("files/<int:file_id>/", files.file_download, name="file-download"),
    path("files/<int:file_id>/delete/", files.file_delete, name="file-delete"),
    # Enrolment, by centre admins
    path(
        "centres/<slug:centre_code>/portfolios/new/",
        enrolments.portfolio_create,
        name="portfolio-create",
    ),
    path("portfolios/<int:portfolio_id>/edit/", enrolments.portfolio_edit, name="portfolio-edit"),
]
