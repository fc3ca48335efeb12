from django.urls import path

from evidence.views import assessment, dashboards, enrolments, files, items, quality, witness

app_name = "evidence"

urlpatterns = [
    path("dashboard/learner/", dashboards.learner_dashboard, name="learner-dashboard"),
    path("dashboard/assessor/", dashboards.assessor_dashboard, name="assessor-dashboard"),
    path("dashboard/iqa/", dashboards.iqa_dashboard, name="iqa-dashboard"),
    path("dashboard/centre/", dashboards.centre_admin_dashboard, name="centre-admin-dashboard"),
    path("dashboard/eqa/", dashboards.eqa_dashboard, name="eqa-dashboard"),
    # A portfolio's evidence, progress and sign-off
    path("portfolios/<int:portfolio_id>/evidence/", items.evidence_list, name="evidence-list"),
    path("portfolios/<int:portfolio_id>/evidence/new/", items.item_create, name="item-create"),
    path("portfolios/<int:portfolio_id>/grid/", items.tracking_grid, name="tracking-grid"),
    path("portfolios/<int:portfolio_id>/sign-off/", assessment.sign_offs, name="sign-offs"),
    path(
        "portfolios/<int:portfolio_id>/sign-off/criteria/",
        assessment.criteria_sign_off,
        name="criteria-sign-off",
    ),
    path(
        "portfolios/<int:portfolio_id>/sign-off/units/<int:unit_id>/",
        assessment.unit_sign_off,
        name="unit-sign-off",
    ),
    path(
        "sign-offs/<int:sign_off_id>/countersign/",
        assessment.unit_countersign,
        name="unit-countersign",
    ),
    path(
        "sign-offs/<int:sign_off_id>/withdraw/",
        assessment.sign_off_withdraw,
        name="sign-off-withdraw",
    ),
    # Evidence items
    path("evidence/<int:item_id>/", items.item_detail, name="item-detail"),
    path("evidence/<int:item_id>/edit/", items.item_edit, name="item-edit"),
    path("evidence/<int:item_id>/criteria/", items.item_mappings, name="item-mappings"),
    path("evidence/<int:item_id>/submit/", items.item_submit, name="item-submit"),
    path("evidence/<int:item_id>/delete/", items.item_delete, name="item-delete"),
    path("evidence/<int:item_id>/files/", files.file_upload, name="file-upload"),
    path("evidence/<int:item_id>/review/", assessment.item_review, name="item-review"),
    path("evidence/<int:item_id>/send/", assessment.record_send, name="record-send"),
    path("evidence/<int:item_id>/confirm/", assessment.record_confirm, name="record-confirm"),
    path("evidence/<int:item_id>/return/", assessment.record_return, name="record-return"),
    path("evidence/<int:item_id>/witness/", witness.witness_request, name="witness-request"),
    path("files/<int:file_id>/", files.file_download, name="file-download"),
    path("files/<int:file_id>/delete/", files.file_delete, name="file-delete"),
    # Witnesses, without an account
    path("witness/<str:token>/", witness.witness_sign, name="witness-sign"),
    # Quality assurance
    path("iqa/plans/", quality.sampling_plan, name="sampling-plan"),
    path("iqa/reviews/<int:review_id>/sample/", quality.sample_review, name="sample-review"),
    path(
        "iqa/sign-offs/<int:sign_off_id>/sample/",
        quality.sample_sign_off,
        name="sample-sign-off",
    ),
    path("iqa/samples/<int:sample_id>/", quality.sample_detail, name="iqa-sample-detail"),
    path("centres/<slug:centre_code>/eqa/", quality.eqa_access, name="eqa-access"),
    path("eqa-grants/<int:grant_id>/revoke/", quality.eqa_revoke, name="eqa-revoke"),
    # Enrolment, by centre admins
    path(
        "centres/<slug:centre_code>/portfolios/new/",
        enrolments.portfolio_create,
        name="portfolio-create",
    ),
    path("portfolios/<int:portfolio_id>/edit/", enrolments.portfolio_edit, name="portfolio-edit"),
]
