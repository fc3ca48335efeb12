"""A centre admin's People pages: the list, a person, adding and inviting, roles, caseloads,
and the invited person's page to set a password."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from evidence.views import posted
from people import forms, permissions, selectors, services
from portfolio_site.accounts.models import Membership, MembershipStatus, Role
from portfolio_site.accounts.selectors import users_with_role

PAGE_SIZE = 50


def _person_url(centre, person) -> str:
    return reverse("people:person", args=[centre.code, person.pk])


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_safe
def people_list(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    search = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    status = request.GET.get("status", "")
    people = selectors.people_at(centre=centre, search=search, role=role, status=status)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "people/people_list.html",
        {
            "centre": centre,
            "page": page,
            "search": search,
            "role": role,
            "status": status,
            "roles": Role.choices,
            "statuses": MembershipStatus.choices,
            "filters": filters.urlencode(),
        },
    )


def person_add(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    if request.htmx and request.method == "GET":
        # The optional units of the qualification just picked (htmx swaps them in).
        form = forms.PersonForm(request.GET, centre=centre)
        return render(request, "evidence/_chosen_units.html", {"form": form})
    form = forms.PersonForm(posted(request), centre=centre)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person, created = services.person_add(
                centre=centre,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                uln=data.get("uln", ""),
                enrolment=form.enrolment(),
                added_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(
                    request,
                    f"{person} was added; an invitation to set a password was emailed "
                    f"to {person.email}.",
                )
            else:
                messages.success(
                    request,
                    f"{person.email} already had an account, so {person} was given the new "
                    "role(s) on it; they sign in as before.",
                )
            return redirect(_person_url(centre, person))
    return render(request, "people/person_add.html", {"form": form, "centre": centre})


@require_safe
def person_detail(request: HttpRequest, centre_code: str, person_id: int) -> HttpResponse:
    centre, person = permissions.access_person(request.user, centre_code, person_id)
    roles = selectors.person_roles(centre=centre, person=person)
    held = {membership.role for membership in roles}
    return render(
        request,
        "people/person_detail.html",
        {
            "centre": centre,
            "person": person,
            "roles": roles,
            "portfolios": selectors.person_portfolios(centre=centre, person=person),
            "events": selectors.person_events(centre=centre, person=person),
            "invitations": selectors.person_invitations(centre=centre, person=person),
            "role_form": forms.RoleAddForm(),
            "addable_roles": [(value, label) for value, label in Role.choices if value not in held],
            "end_form": forms.MembershipEndForm(),
        },
    )


def person_edit(request: HttpRequest, centre_code: str, person_id: int) -> HttpResponse:
    centre, person = permissions.access_person(request.user, centre_code, person_id)
    learner_role = Membership.objects.filter(centre=centre, user=person, role=Role.LEARNER).first()
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "uln": learner_role.uln if learner_role else "",
    }
    form = forms.PersonEditForm(
        posted(request), initial=initial, is_learner=learner_role is not None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                centre=centre, person=person, changed_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{person}'s details were saved.")
            return redirect(_person_url(centre, person))
    return render(
        request, "people/person_edit.html", {"form": form, "centre": centre, "person": person}
    )


@require_POST
def role_add(request: HttpRequest, centre_code: str, person_id: int) -> HttpResponse:
    centre, person = permissions.access_person(request.user, centre_code, person_id)
    form = forms.RoleAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role to add.")
        return redirect(_person_url(centre, person))
    role = Role(form.cleaned_data["role"])
    with transaction.atomic():
        _, changed = services.role_grant(
            user=person, centre=centre, role=role, granted_by=request.user
        )
    if changed:
        messages.success(request, f"{person} is now {role.label.lower()} at {centre}.")
    else:
        messages.info(request, f"{person} already holds the {role.label.lower()} role here.")
    return redirect(_person_url(centre, person))


@require_POST
def invitation_send(request: HttpRequest, centre_code: str, person_id: int) -> HttpResponse:
    centre, person = permissions.access_person(request.user, centre_code, person_id)
    try:
        with transaction.atomic():
            services.invitation_send(user=person, centre=centre, invited_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request,
            f"A new invitation was emailed to {person.email}; any earlier link no longer works.",
        )
    return redirect(_person_url(centre, person))


@require_POST
def invitation_cancel(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = permissions.access_invitation(request.user, invitation_id)
    try:
        services.invitation_cancel(invitation=invitation, cancelled_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, f"The invitation to {invitation.user} was cancelled.")
    return redirect(_person_url(invitation.centre, invitation.user))


@require_POST
def membership_suspend(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = permissions.access_membership(request.user, membership_id)
    try:
        services.membership_suspend(membership=membership, suspended_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request,
            f"{membership.user}'s {membership.get_role_display().lower()} role is suspended: "
            "they are signed out and can open nothing of this centre's in that role.",
        )
    return redirect(_person_url(membership.centre, membership.user))


@require_POST
def membership_reactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = permissions.access_membership(request.user, membership_id)
    try:
        services.membership_reactivate(membership=membership, reactivated_by=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request,
            f"{membership.user}'s {membership.get_role_display().lower()} role is active again.",
        )
    return redirect(_person_url(membership.centre, membership.user))


def membership_end(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = permissions.access_membership(request.user, membership_id)
    form = forms.MembershipEndForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_end(
                membership=membership,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
                ended_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{membership.user} left the {membership.get_role_display().lower()} role on "
                f"{form.cleaned_data['ended_on']:%d %B %Y}.",
            )
            return redirect(_person_url(membership.centre, membership.user))
    return render(
        request,
        "people/membership_end.html",
        {"form": form, "membership": membership, "centre": membership.centre},
    )


def caseload_reassign(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    source = request.POST if request.method == "POST" else request.GET
    role = Role.IQA if source.get("role") == Role.IQA else Role.ASSESSOR
    holders = selectors.caseload_holders(centre=centre, role=role)
    holder = None
    if source.get("from_user", "").isdigit():
        holder = holders.filter(pk=int(source["from_user"])).first()
    caseload = (
        list(selectors.caseload_of(centre=centre, role=role, holder=holder)) if holder else []
    )
    form = forms.ReassignForm(
        posted(request),
        initial={"role": role.value, "from_user": holder},
        centre=centre,
        holders=holders,
        candidates=users_with_role(role=role, centres=centre),
        portfolio_choices=[
            (portfolio.pk, f"{portfolio.learner} - {portfolio.qualification}")
            for portfolio in caseload
        ],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = None
        if not data["move_all"]:
            chosen = [portfolio for portfolio in caseload if portfolio.pk in data["portfolios"]]
        try:
            moved = services.caseload_reassign(
                centre=centre,
                role=role,
                from_user=data["from_user"],
                to_user=data["to_user"],
                portfolios=chosen,
                reason=data["reason"],
                reassigned_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{len(moved)} learner{'s' if len(moved) != 1 else ''} moved from "
                f"{data['from_user']} to {data['to_user']}; both were told.",
            )
            return redirect("people:list", centre_code=centre.code)
    return render(
        request,
        "people/reassign.html",
        {
            "centre": centre,
            "form": form,
            "role": role,
            "holder": holder,
            "caseload": caseload,
        },
    )


def centre_settings(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    form = forms.CentreForm(posted(request), instance=centre)
    if request.method == "POST" and form.is_valid():
        try:
            services.centre_update(centre=centre, changed_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The centre's details were saved.")
            return redirect("people:centre-settings", centre_code=centre.code)
    return render(request, "people/centre_settings.html", {"centre": centre, "form": form})


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person sets their password. The link itself is the permission; a used,
    cancelled or expired one says so (and who to ask), never a bare error."""
    invitation = services.invitation_for_token(token)
    if invitation is None or invitation.state != "open":
        return render(
            request,
            "people/invitation_invalid.html",
            {"invitation": invitation},
            status=410 if invitation else 404,
        )
    form = forms.InvitationAcceptForm(invitation.user, posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Your password is set. Sign in with your email address, {user.email}."
            )
            return redirect("login")
    return render(
        request, "people/invitation_accept.html", {"form": form, "invitation": invitation}
    )
