from django.urls import path

from people.views import imports, people

app_name = "people"

urlpatterns = [
    path("centres/<slug:centre_code>/", people.people_list, name="list"),
    path("centres/<slug:centre_code>/add/", people.person_add, name="add"),
    path("centres/<slug:centre_code>/settings/", people.centre_settings, name="centre-settings"),
    path("centres/<slug:centre_code>/reassign/", people.caseload_reassign, name="reassign"),
    path("centres/<slug:centre_code>/import/", imports.import_upload, name="import"),
    path(
        "centres/<slug:centre_code>/import/template.csv",
        imports.import_template,
        name="import-template",
    ),
    path("imports/<int:import_id>/", imports.import_preview, name="import-preview"),
    path("centres/<slug:centre_code>/<int:person_id>/", people.person_detail, name="person"),
    path(
        "centres/<slug:centre_code>/<int:person_id>/edit/", people.person_edit, name="person-edit"
    ),
    path("centres/<slug:centre_code>/<int:person_id>/roles/", people.role_add, name="role-add"),
    path(
        "centres/<slug:centre_code>/<int:person_id>/invite/",
        people.invitation_send,
        name="invite",
    ),
    path(
        "invitations/<int:invitation_id>/cancel/",
        people.invitation_cancel,
        name="invitation-cancel",
    ),
    path(
        "memberships/<int:membership_id>/suspend/",
        people.membership_suspend,
        name="membership-suspend",
    ),
    path(
        "memberships/<int:membership_id>/reactivate/",
        people.membership_reactivate,
        name="membership-reactivate",
    ),
    path("memberships/<int:membership_id>/end/", people.membership_end, name="membership-end"),
    # The invited person has no password yet: the link is the permission.
    path("invitation/<str:token>/", people.invitation_accept, name="invitation-accept"),
]
