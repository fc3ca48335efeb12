from django.urls import path

from processes import views

app_name = "processes"

urlpatterns = [
    path("portfolios/<int:portfolio_id>/processes/", views.map_list, name="map-list"),
    path("portfolios/<int:portfolio_id>/processes/new/", views.map_create, name="map-create"),
    path("processes/<int:map_id>/", views.map_detail, name="map"),
    path("processes/<int:map_id>/edit/", views.map_edit, name="map-edit"),
    path("processes/<int:map_id>/compare/", views.compare, name="compare"),
    path("process-versions/<int:version_id>/", views.version_detail, name="version"),
    path(
        "process-versions/<int:version_id>/preview/", views.version_preview, name="version-preview"
    ),
    path(
        "process-versions/<int:version_id>/<str:technique>.svg",
        views.version_svg,
        name="version-svg",
    ),
    path("process-versions/<int:version_id>/bpmn/", views.version_bpmn, name="version-bpmn"),
    path("process-versions/<int:version_id>/import/", views.version_import, name="version-import"),
    path("process-versions/<int:version_id>/submit/", views.version_submit, name="version-submit"),
    path(
        "process-versions/<int:version_id>/withdraw/",
        views.version_withdraw,
        name="version-withdraw",
    ),
    path(
        "process-versions/<int:version_id>/approval/",
        views.version_approval,
        name="version-approval",
    ),
    path(
        "process-versions/<int:version_id>/approval-request/",
        views.version_approval_request,
        name="version-approval-request",
    ),
    path(
        "process-approval/<str:token>/",
        views.stakeholder_approval,
        name="stakeholder-approval",
    ),
    path("process-versions/<int:version_id>/new/", views.version_new, name="version-new"),
    path(
        "process-versions/<int:version_id>/add-to-portfolio/",
        views.version_add_to_portfolio,
        name="version-add",
    ),
]
