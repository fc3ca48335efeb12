"""The permission matrix: every URL of the project, with real ids, as every kind of person.

The table below says, for each view name, what anonymous visitors and each actor of
tests/permission_world.py get for each method tried: allowed, a login redirect, 403 or 404
(405 for the wrong method). The test walks the project's URL configuration and fails if a URL
is missing from the table or the table names a URL that no longer exists, so a page cannot be
added without deciding who sees it.

The project's rule (evidence/permissions.py): an object outside a user's reach is a 404, so a
guessed id reveals nothing; a 403 is for an object the user may see but not act on that way.
Pages for a role (dashboards, the audit trail) are 403 to signed-in people without the role.
"""

from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portfolio_site.accounts.models import Membership, Role
from tests.factories import CentreFactory, UserFactory, member
from tests.permission_world import ACTORS, World, build_world

pytestmark = pytest.mark.django_db

# 2xx or a redirect elsewhere than the login page; for a POST (always sent empty), also any
# other 4xx that is not a refusal: the view took the form and said what was wrong with it.
ALLOWED = "allowed"
LOGIN = "login redirect"  # 302 to the login page, with ?next= to come back
FORBIDDEN = "403"
NOT_FOUND = "404"
WRONG_METHOD = "405"

ANONYMOUS = "anonymous"
SIGNED_IN = tuple(ACTORS)
EVERYONE = (ANONYMOUS, *SIGNED_IN)

# Who reads the home learner's portfolio and everything in it. An EQA reads it through a
# grant; nobody else at the centre (classmate, colleague) nor anyone elsewhere sees it at all.
READERS = frozenset({"learner", "assessor", "iqa", "eqa", "admin"})

Expectation = dict[str, str]


def everyone(outcome: str = ALLOWED) -> Expectation:
    """A page that needs no account (login, password reset, health check, witness link)."""
    return dict.fromkeys(EVERYONE, outcome)


def signed_in(outcome: str = ALLOWED) -> Expectation:
    return {ANONYMOUS: LOGIN, **dict.fromkeys(SIGNED_IN, outcome)}


def for_role(role: Role) -> Expectation:
    """A page for a role, held at any centre (role_required)."""
    return {
        ANONYMOUS: LOGIN,
        **{name: ALLOWED if held == role else FORBIDDEN for name, (held, _) in ACTORS.items()},
    }


def in_portfolio(*may_act: str, **exceptions: str) -> Expectation:
    """A page about the home learner's portfolio or something in it: ``may_act`` are allowed,
    the other readers 403, everyone else 404. ``exceptions`` name actors answered otherwise."""
    expectation = {ANONYMOUS: LOGIN}
    for name in SIGNED_IN:
        expectation[name] = (
            ALLOWED if name in may_act else FORBIDDEN if name in READERS else NOT_FOUND
        )
    return expectation | exceptions


def only(*may_act: str) -> Expectation:
    """Allowed to ``may_act``, 404 to every other signed-in person, readers included."""
    return {
        ANONYMOUS: LOGIN,
        **{name: ALLOWED if name in may_act else NOT_FOUND for name in SIGNED_IN},
    }


READ = in_portfolio(*READERS)


@dataclass(frozen=True)
class Page:
    """How to name one URL with the world's real objects, and what each actor gets per method.

    WRONG_METHOD for a method the view refuses: that is decided before anyone's rights are
    looked at, so it is tried as anonymous (sent to log in) and as the actors allowed the
    other method (405, and nothing happens), not as everyone.
    """

    kwargs: Callable[[World], dict] = lambda world: {}
    get: Expectation | str | None = None
    post: Expectation | str | None = None
    query: Callable[[World], dict] = lambda world: {}

    def expectations(self) -> list[tuple[str, Expectation]]:
        rows = [(method, e) for method, e in (("GET", self.get), ("POST", self.post)) if e]
        return [
            (method, self._refused(rows) if expectation == WRONG_METHOD else expectation)
            for method, expectation in rows
        ]

    @staticmethod
    def _refused(rows) -> Expectation:
        allowed = [
            actor
            for _, expectation in rows
            if expectation != WRONG_METHOD
            for actor, outcome in expectation.items()
            if outcome == ALLOWED and actor != ANONYMOUS
        ]
        return {ANONYMOUS: LOGIN, **dict.fromkeys(allowed, WRONG_METHOD)}


def item(name: str) -> Callable[[World], dict]:
    return lambda world: {"item_id": getattr(world, name).pk}


def portfolio(world: World) -> dict:
    return {"portfolio_id": world.portfolio.pk}


def centre(world: World) -> dict:
    return {"centre_code": world.home.code}


def sign_off(world: World) -> dict:
    return {"sign_off_id": world.unit_sign_off.pk}


def process_map(world: World) -> dict:
    return {"map_id": world.process_map.pk}


def version(world: World) -> dict:
    return {"version_id": world.process_version.pk}


def person(world: World) -> dict:
    return {"centre_code": world.home.code, "person_id": world.users["learner"].pk}


def membership(world: World) -> dict:
    return {"membership_id": world.membership.pk}


def job(world: World) -> dict:
    return {"job_id": world.export_job.pk}


# View name -> Page. Django admin is left to its own check below.
MATRIX: dict[str, Page] = {
    # --- Project pages and accounts -------------------------------------------------------------
    "home": Page(get=signed_in()),  # sent on to one's dashboard, or told one has no role
    "healthz": Page(get=everyone()),
    "login": Page(get=everyone(), post=everyone()),  # signed in: sent home
    "logout": Page(get=WRONG_METHOD, post=signed_in()),
    "password_change": Page(get=signed_in(), post=signed_in()),
    "password_change_done": Page(get=signed_in()),
    "password_reset": Page(get=everyone(), post=everyone()),
    "password_reset_done": Page(get=everyone()),
    "password_reset_confirm": Page(
        lambda world: {"uidb64": world.password_reset_uidb64, "token": world.password_reset_token},
        get=everyone(),
    ),
    "password_reset_complete": Page(get=everyone()),
    # Two-factor sign-in: one's own (nobody in the world has it set up, nor is required to).
    "two_factor": Page(get=signed_in()),
    "two_factor_setup": Page(get=signed_in(), post=signed_in()),
    "two_factor_verify": Page(get=signed_in(), post=signed_in()),  # not set up: sent on
    "two_factor_recovery_codes": Page(get=WRONG_METHOD, post=signed_in()),
    "two_factor_disable": Page(get=WRONG_METHOD, post=signed_in()),
    # A centre's requirement: its admins only.
    "centre_two_factor": Page(centre, get=WRONG_METHOD, post=only("admin")),
    # --- Catalogue: every signed-in user ------------------------------------------------------
    "criteria:qualification-list": Page(get=signed_in()),
    "criteria:qualification-detail": Page(
        lambda world: {"code": world.portfolio.qualification.code}, get=signed_in()
    ),
    "criteria:unit-detail": Page(lambda world: {"code": world.unit.code}, get=signed_in()),
    # --- Notifications: one's own ---------------------------------------------------------------
    "notifications:list": Page(get=signed_in()),
    "notifications:open": Page(
        lambda world: {"notification_id": world.notification.pk}, get=only("learner")
    ),
    "notifications:mark-all-read": Page(get=WRONG_METHOD, post=signed_in()),
    # --- Audit trail: centre admins (of their own centres' events) ------------------------------
    "audit:trail": Page(get=for_role(Role.CENTRE_ADMIN)),
    # --- Dashboards: one per role -------------------------------------------------------------
    "evidence:learner-dashboard": Page(get=for_role(Role.LEARNER)),
    "evidence:assessor-dashboard": Page(get=for_role(Role.ASSESSOR)),
    "evidence:iqa-dashboard": Page(get=for_role(Role.IQA)),
    "evidence:centre-admin-dashboard": Page(get=for_role(Role.CENTRE_ADMIN)),
    "evidence:eqa-dashboard": Page(get=for_role(Role.EQA)),
    # --- A portfolio ----------------------------------------------------------------------------
    "evidence:evidence-list": Page(portfolio, get=READ),
    "evidence:tracking-grid": Page(portfolio, get=READ),
    "evidence:sign-offs": Page(portfolio, get=READ),
    # The learner adds evidence; their assessor writes observation records.
    "evidence:item-create": Page(
        portfolio,
        get=in_portfolio("learner", "assessor"),
        post=in_portfolio("learner", "assessor"),
    ),
    "evidence:criteria-sign-off": Page(portfolio, get=WRONG_METHOD, post=in_portfolio("assessor")),
    "evidence:unit-sign-off": Page(
        lambda world: {"portfolio_id": world.portfolio.pk, "unit_id": world.unit.pk},
        get=WRONG_METHOD,
        post=in_portfolio("assessor"),
    ),
    "evidence:unit-countersign": Page(sign_off, get=WRONG_METHOD, post=in_portfolio("learner")),
    "evidence:sign-off-withdraw": Page(
        sign_off, get=in_portfolio("assessor"), post=in_portfolio("assessor")
    ),
    # Enrolments are the centre admin's; to everyone else the page does not exist.
    "evidence:portfolio-edit": Page(portfolio, get=only("admin"), post=only("admin")),
    # --- Evidence items and files -------------------------------------------------------------
    "evidence:item-detail": Page(item("draft_item"), get=READ),
    # Only an item's author changes it (here the learner).
    "evidence:item-edit": Page(
        item("draft_item"), get=in_portfolio("learner"), post=in_portfolio("learner")
    ),
    "evidence:item-mappings": Page(
        item("draft_item"), get=in_portfolio("learner"), post=in_portfolio("learner")
    ),
    "evidence:item-submit": Page(
        item("draft_item"), get=in_portfolio("learner"), post=in_portfolio("learner")
    ),
    "evidence:item-delete": Page(
        item("draft_item"), get=in_portfolio("learner"), post=in_portfolio("learner")
    ),
    "evidence:file-upload": Page(
        item("draft_item"), get=WRONG_METHOD, post=in_portfolio("learner")
    ),
    "evidence:file-download": Page(
        lambda world: {"file_id": world.evidence_file.pk}, get=READ, post=WRONG_METHOD
    ),
    "evidence:file-delete": Page(
        lambda world: {"file_id": world.evidence_file.pk},
        get=WRONG_METHOD,
        post=in_portfolio("learner"),
    ),
    "evidence:item-review": Page(
        item("submitted_item"), get=in_portfolio("assessor"), post=in_portfolio("assessor")
    ),
    # Records: the assessor writes and sends them; the learner confirms or returns them.
    "evidence:record-send": Page(
        item("draft_record"), get=in_portfolio("assessor"), post=in_portfolio("assessor")
    ),
    "evidence:record-confirm": Page(
        item("sent_record"), get=WRONG_METHOD, post=in_portfolio("learner")
    ),
    "evidence:record-return": Page(
        item("sent_record"), get=WRONG_METHOD, post=in_portfolio("learner")
    ),
    # Every reader may post: the service refuses all but the learner and the assessor, with a
    # message on the item page (tests/evidence/test_witness.py), not with a 403.
    "evidence:witness-request": Page(
        item("testimony"), get=WRONG_METHOD, post=in_portfolio("learner", "assessor")
    ),
    # The witness has no account: the signed link is the permission.
    "evidence:witness-sign": Page(
        lambda world: {"token": world.witness_token}, get=everyone(), post=everyone()
    ),
    # --- Quality assurance ----------------------------------------------------------------------
    "evidence:sampling-plan": Page(get=for_role(Role.IQA), post=for_role(Role.IQA)),
    "evidence:sample-review": Page(
        lambda world: {"review_id": world.review.pk},
        get=in_portfolio("iqa"),
        post=in_portfolio("iqa"),
    ),
    "evidence:sample-sign-off": Page(sign_off, get=in_portfolio("iqa"), post=in_portfolio("iqa")),
    # The sample judges the assessor: not for the learner, to whom it does not exist.
    "evidence:iqa-sample-detail": Page(
        lambda world: {"sample_id": world.sample.pk},
        get=in_portfolio("iqa", "assessor", "admin", "eqa", learner=NOT_FOUND),
    ),
    # --- A centre's pages: its admins only; to everyone else the centre does not exist --------
    "evidence:eqa-access": Page(centre, get=only("admin"), post=only("admin")),
    "evidence:eqa-revoke": Page(
        lambda world: {"grant_id": world.eqa_grant.pk}, get=WRONG_METHOD, post=only("admin")
    ),
    "evidence:portfolio-create": Page(centre, get=only("admin"), post=only("admin")),
    "exports:centre-exports": Page(centre, get=only("admin"), post=only("admin")),
    "exports:centre-export-jobs": Page(
        centre,
        get=only("admin"),
        post=WRONG_METHOD,
        query=lambda world: {"ids": world.export_job.pk},
    ),
    # --- People: a centre's admins run them; to everyone else they do not exist ---------------
    "people:list": Page(centre, get=only("admin"), post=WRONG_METHOD),
    "people:add": Page(centre, get=only("admin"), post=only("admin")),
    "people:centre-settings": Page(centre, get=only("admin"), post=only("admin")),
    "people:reassign": Page(centre, get=only("admin"), post=only("admin")),
    "people:person": Page(person, get=only("admin"), post=WRONG_METHOD),
    "people:person-edit": Page(person, get=only("admin"), post=only("admin")),
    "people:role-add": Page(person, get=WRONG_METHOD, post=only("admin")),
    "people:invite": Page(person, get=WRONG_METHOD, post=only("admin")),
    "people:invitation-cancel": Page(
        lambda world: {"invitation_id": world.invitation.pk}, get=WRONG_METHOD, post=only("admin")
    ),
    "people:membership-suspend": Page(membership, get=WRONG_METHOD, post=only("admin")),
    "people:membership-reactivate": Page(membership, get=WRONG_METHOD, post=only("admin")),
    "people:membership-end": Page(membership, get=only("admin"), post=only("admin")),
    "people:import": Page(centre, get=only("admin"), post=only("admin")),
    "people:import-template": Page(centre, get=only("admin"), post=WRONG_METHOD),
    "people:import-preview": Page(
        lambda world: {"import_id": world.people_import.pk}, get=only("admin"), post=only("admin")
    ),
    # The invited person has no password yet: the emailed link is the permission.
    "people:invitation-accept": Page(
        lambda world: {"token": world.invitation_token}, get=everyone(), post=everyone()
    ),
    # --- Exports: the learner and the centre's admins; assessors, IQAs and EQAs read here ------
    "exports:portfolio-exports": Page(
        portfolio, get=in_portfolio("learner", "admin"), post=in_portfolio("learner", "admin")
    ),
    # A job id says nothing about the portfolio: 404 to all who may not export it.
    "exports:job-download": Page(job, get=only("learner", "admin"), post=WRONG_METHOD),
    "exports:job-retry": Page(job, get=WRONG_METHOD, post=only("learner", "admin")),
    # --- Process maps: every reader sees them; only the learner draws ---------------------------
    "processes:map-list": Page(portfolio, get=READ),
    "processes:map-create": Page(
        portfolio, get=in_portfolio("learner"), post=in_portfolio("learner")
    ),
    "processes:map": Page(process_map, get=READ),
    "processes:map-edit": Page(
        process_map, get=in_portfolio("learner"), post=in_portfolio("learner")
    ),
    "processes:compare": Page(process_map, get=READ),
    "processes:version": Page(version, get=READ, post=in_portfolio("learner")),
    "processes:version-preview": Page(version, get=WRONG_METHOD, post=in_portfolio("learner")),
    "processes:version-svg": Page(
        lambda world: {"version_id": world.process_version.pk, "technique": "swimlane"},
        get=READ,
    ),
    "processes:version-bpmn": Page(version, get=READ),
    "processes:version-import": Page(version, get=WRONG_METHOD, post=in_portfolio("learner")),
    "processes:version-submit": Page(version, get=WRONG_METHOD, post=in_portfolio("learner")),
    "processes:version-withdraw": Page(version, get=WRONG_METHOD, post=in_portfolio("learner")),
    # A decision made in person is recorded by the assessor; never by the learner.
    "processes:version-approval": Page(
        version, get=in_portfolio("assessor"), post=in_portfolio("assessor")
    ),
    "processes:version-approval-request": Page(
        version, get=in_portfolio("learner", "assessor"), post=in_portfolio("learner", "assessor")
    ),
    # The stakeholder has no account: the signed link is the permission.
    "processes:stakeholder-approval": Page(
        lambda world: {"token": world.stakeholder_token}, get=everyone(), post=everyone()
    ),
    "processes:version-new": Page(version, get=WRONG_METHOD, post=in_portfolio("learner")),
    "processes:version-add": Page(version, get=WRONG_METHOD, post=in_portfolio("learner")),
}


def walk(patterns, namespace: str = ""):
    """The namespaced name of every URL pattern of the project, Django admin's apart."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else f"<unnamed: {entry.pattern}>"


def outcome_of(response, method: str) -> str:
    status = response.status_code
    if status == 302 and response.url.startswith(f"{reverse('login')}?next="):
        return LOGIN
    if status in (403, 404, 405):
        return str(status)
    if 200 <= status < 400:
        return ALLOWED
    if method == "POST" and 400 <= status < 500 and status != 401:
        return ALLOWED
    return f"status {status}"


def clients(world: World) -> dict[str, Client]:
    """A signed-in client per actor, and one for anonymous visitors."""
    made = {ANONYMOUS: Client()}
    for name, user in world.users.items():
        made[name] = Client()
        made[name].force_login(user)
    return made


def ask(client: Client, cookies: SimpleCookie, method: str, url: str, query: dict) -> str:
    """One request, undone afterwards: an allowed POST (a deletion, a logout) must not change
    the world for the next actor. The client's cookies are put back for the same reason."""
    client.cookies = SimpleCookie(cookies)
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url, query)
            else:
                response = client.post(url + (f"?{urlencode(query)}" if query else ""), {})
            transaction.set_rollback(True)
    except Exception as error:  # a crash is one more mismatch to report
        return f"raised {type(error).__name__}: {error}"
    if response.streaming:
        # Read to the end: the test client then closes the file, as a WSGI server would.
        b"".join(response.streaming_content)
    return outcome_of(response, method)


def test_every_url_is_in_the_matrix():
    """The table names every URL pattern, and only those: a new page needs a decision about
    who sees it, and a removed page's row must go."""
    walked = list(walk(get_resolver().url_patterns))
    duplicates = sorted({name for name in walked if walked.count(name) > 1})
    assert not duplicates, f"URL names used twice (the table cannot tell them apart): {duplicates}"
    missing = sorted(set(walked) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(walked))
    assert not (missing or stale), (
        f"URLs with no row in MATRIX (decide who sees them): {missing}; "
        f"MATRIX rows for URLs that no longer exist: {stale}"
    )


def test_every_row_decides_for_every_actor():
    """Each row says what every actor gets for each method the view takes, and tries the
    method it refuses as someone who would otherwise be let in."""
    for name, page in MATRIX.items():
        rows = page.expectations()
        assert rows, name
        for method, expectation in rows:
            if WRONG_METHOD in expectation.values():
                assert len(expectation) > 1, f"{method} {name}: nobody is allowed the other"
            else:
                assert set(expectation) == set(EVERYONE), f"{method} {name}"


def test_permission_matrix(catalogue, capsys):
    """Every URL, every method in its row, every actor: the answer is the one in the table.
    All mismatches are collected and reported together."""
    world = build_world()
    actors = clients(world)
    cookies = {name: SimpleCookie(client.cookies) for name, client in actors.items()}
    mismatches = []
    pairs = set()
    checked = 0
    for name, page in MATRIX.items():
        url = reverse(name, kwargs=page.kwargs(world))
        query = page.query(world)
        for method, expectation in page.expectations():
            for actor, expected in expectation.items():
                answer = ask(actors[actor], cookies[actor], method, url, query)
                checked += 1
                pairs.add((name, actor))
                if answer != expected:
                    mismatches.append(
                        f"{name} {method} {url} as {actor}: expected {expected}, got {answer}"
                    )
    summary = (
        f"permission matrix: {len(MATRIX)} URL patterns x {len(EVERYONE)} actors "
        f"(anonymous and {len(SIGNED_IN)} people) = {len(pairs)} URL/actor pairs, "
        f"{checked} requests checked"
    )
    with capsys.disabled():
        print(f"\n{summary}")
    assert not mismatches, f"{summary}; {len(mismatches)} wrong:\n" + "\n".join(mismatches)


# Whom a role that is no longer in force is compared with: the superuser with no centre role,
# who is signed in, holds nothing, and so sees only what needs no role.
STRANGER = "site-admin"


@pytest.mark.parametrize("how", ["suspended", "left"])
def test_suspended_and_left_roles_see_what_a_stranger_sees(catalogue, capsys, how):
    """The readers of the home portfolio (its learner, assessor, IQA, EQA and the centre's
    admin) with their home role suspended, or ended: every URL, GET and POST, answers each
    of them as it answers a signed-in person with no role. Their own notification is still
    theirs to open (it is about them, not the centre)."""
    world = build_world()
    readers = {name: world.users[name] for name in sorted(READERS)}
    roles = Membership.objects.filter(centre=world.home, user__in=readers.values())
    if how == "suspended":
        roles.update(is_active=False)
    else:
        roles.update(ended_on=timezone.localdate())
    actors = clients(world)
    cookies = {name: SimpleCookie(client.cookies) for name, client in actors.items()}
    mismatches, checked = [], 0
    for name, page in MATRIX.items():
        url = reverse(name, kwargs=page.kwargs(world))
        query = page.query(world)
        for method, expectation in page.expectations():
            if STRANGER not in expectation:
                continue  # a method refused before anyone's rights are looked at
            for actor in readers:
                expected = expectation[STRANGER]
                if name == "notifications:open" and actor == "learner":
                    expected = ALLOWED
                answer = ask(actors[actor], cookies[actor], method, url, query)
                checked += 1
                if answer != expected:
                    mismatches.append(
                        f"{name} {method} {url} as {how} {actor}: expected {expected}, got {answer}"
                    )
    with capsys.disabled():
        print(f"\n{how} roles: {checked} requests checked")
    assert checked > 100
    assert not mismatches, f"{len(mismatches)} wrong:\n" + "\n".join(mismatches)


def test_django_admin_needs_a_staff_login(client):
    """Django admin has its own login: anonymous visitors and every centre role (none is
    staff) are sent to it; a staff user gets in."""
    admin_login = reverse("admin:login")
    centre = CentreFactory()
    world_roles = {role: member(role, centre, username=f"admin-check-{role}") for role in Role}
    assert client.get(reverse("admin:index")).url.startswith(admin_login)
    for role, user in world_roles.items():
        client.force_login(user)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and response.url.startswith(admin_login), role
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:index")).status_code == 200
