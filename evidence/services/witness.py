"""Witness testimonies signed remotely, without an account.

The link carries a token signed with the site's secret key (django.core.signing) naming a
WitnessRequest and its random nonce. A forged or altered token fails its signature and gives
404; an expired, superseded or used one is recognised and explained.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from evidence.models import EvidenceItem, EvidenceKind, WitnessRequest, WitnessSignature, sha256_of
from evidence.services.common import item_snapshot, lock_item, record, when
from portfolio_site.accounts.models import User
from portfolio_site.accounts.tasks import send_email
from portfolio_site.notifications.services import notify

_SALT = "evidence.witness-link"
WITNESS_DECLARATION = (
    "I confirm that this statement is an accurate account of work I saw the learner do."
)


class WitnessLinkInvalid(Exception):
    """Not a link we sent (forged, altered, or for a request that no longer exists)."""


class StatementChanged(ValidationError):
    """The statement the witness read is no longer the item's statement."""


class WitnessLinkClosed(Exception):
    """A real link that no longer works; ``str(error)`` says why and whom to ask."""

    def __init__(self, message: str, request: WitnessRequest):
        super().__init__(message)
        self.request = request


def witness_token(request: WitnessRequest) -> str:
    return signing.dumps({"r": request.pk, "n": request.nonce}, salt=_SALT, compress=True)


def witness_statement(item: EvidenceItem) -> dict:
    """What the witness reads and confirms."""
    snapshot = item_snapshot(item)
    return {
        "learner": str(item.portfolio.learner),
        "title": snapshot["title"],
        "activity_date": snapshot["activity_date"],
        "narrative": snapshot["narrative"],
        "files": [{"name": f["name"], "sha256": f["sha256"]} for f in snapshot["files"]],
        "witness": snapshot.get("witness", {}),
    }


def witness_links_cancel_if_changed(*, item: EvidenceItem, actor: User) -> int:
    """Cancel every open link sent for a statement other than the item's statement now.

    Caller holds the item's row lock, after changing it. Returns how many were cancelled, so
    that the page can tell the learner the witness must be sent a new link."""
    if not item.is_witness_testimony:
        return 0
    current = sha256_of(witness_statement(item))
    stale = [
        request
        for request in item.witness_requests.filter(
            superseded_at__isnull=True, used_at__isnull=True
        )
        if request.statement_sha256 != current
    ]
    if not stale:
        return 0
    now = timezone.now()
    WitnessRequest.objects.filter(pk__in=[request.pk for request in stale]).update(
        superseded_at=now, cancelled_at=now
    )
    for request in stale:
        record(
            "witness.request_cancelled",
            actor=actor,
            portfolio=item.portfolio,
            target=item,
            sent_to=request.sent_to,
            reason="statement changed",
        )
    return len(stale)


@transaction.atomic
def witness_request_send(*, item: EvidenceItem, sender: User) -> tuple[WitnessRequest, str]:
    """Email the witness named on a testimony a single-use link; earlier links stop working.
    Returns the request and the link's path."""
    locked = lock_item(item)
    portfolio = locked.portfolio
    if sender.pk not in (portfolio.learner_id, portfolio.assessor_id):
        raise ValidationError("Only the learner or their assessor asks a witness to sign.")
    if locked.kind != EvidenceKind.WITNESS_TESTIMONY or not locked.witness_email:
        raise ValidationError("Only a witness testimony with the witness's email can be sent.")
    statement_hash = sha256_of(witness_statement(locked))
    signed = locked.witness_signatures.order_by("-signed_at").first()
    if signed is not None and signed.statement_sha256 == statement_hash:
        raise ValidationError(
            f"{signed.typed_name} already signed this statement on {when(signed.signed_at)}."
        )
    now = timezone.now()
    WitnessRequest.objects.filter(
        item=locked, superseded_at__isnull=True, used_at__isnull=True
    ).update(superseded_at=now)
    request = WitnessRequest.objects.create(
        item=locked,
        sent_by=sender,
        witness_name=locked.witness_name,
        sent_to=locked.witness_email,
        sent_at=now,
        expires_at=now + timedelta(days=settings.WITNESS_LINK_DAYS),
        nonce=secrets.token_urlsafe(32),
        statement_sha256=statement_hash,
    )
    path = reverse("evidence:witness-sign", args=[witness_token(request)])
    link = f"{settings.SITE_URL.rstrip('/')}{path}"
    body = (
        f"Dear {locked.witness_name},\n\n"
        f"{portfolio.learner} has named you as a witness to their work for their "
        f"{portfolio.qualification} (“{locked.title}”). Please read their statement and, if it "
        "is accurate, confirm it. You do not need an account:\n\n"
        f"{link}\n\n"
        f"The link works once and expires on {when(request.expires_at)}. If it has expired, "
        f"ask {portfolio.learner} or their assessor ({portfolio.assessor}) for a new one.\n"
    )
    transaction.on_commit(
        lambda: send_email.delay(
            subject=f"Please confirm {portfolio.learner}'s witness statement",
            body=body,
            to=[request.sent_to],
        )
    )
    record(
        "witness.request_sent",
        actor=sender,
        portfolio=portfolio,
        target=locked,
        sent_to=request.sent_to,
        expires_at=request.expires_at.isoformat(),
    )
    return request, path


def witness_request_from_token(token: str) -> WitnessRequest:
    """The open request a link names; WitnessLinkInvalid or WitnessLinkClosed otherwise."""
    try:
        data = signing.loads(token, salt=_SALT)
        request = WitnessRequest.objects.select_related(
            "item__portfolio__learner",
            "item__portfolio__assessor",
            "item__portfolio__qualification",
        ).get(pk=int(data["r"]), nonce=str(data["n"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, WitnessRequest.DoesNotExist):
        raise WitnessLinkInvalid() from None
    portfolio = request.item.portfolio
    ask = f"Ask {portfolio.learner} or their assessor, {portfolio.assessor}, for a new link."
    if request.used_at is not None:
        raise WitnessLinkClosed(
            f"This link was used on {when(request.used_at)}, when the statement was confirmed. "
            "It works only once.",
            request,
        )
    if request.cancelled_at is not None:
        raise WitnessLinkClosed(
            f"{portfolio.learner} changed the statement on {when(request.cancelled_at)}, after "
            f"this link was sent, so it no longer works: you would not be confirming what you "
            f"were asked to read. {ask}",
            request,
        )
    if request.superseded_at is not None:
        raise WitnessLinkClosed(f"A newer link has replaced this one. {ask}", request)
    if timezone.now() >= request.expires_at:
        raise WitnessLinkClosed(f"This link expired on {when(request.expires_at)}. {ask}", request)
    return request


@transaction.atomic
def witness_sign(
    *,
    request: WitnessRequest,
    typed_name: str,
    comments: str,
    confirmed: bool,
    shown_statement_sha256: str,
    ip_address: str,
    user_agent: str,
) -> WitnessSignature:
    """Sign the statement the witness was shown: ``shown_statement_sha256`` is the hash of
    the statement on the page they submitted, and it must still be the item's statement."""
    # The item first, as every change to the item takes it: the statement cannot change
    # between the check below and the write, and the locks are always taken in one order.
    item = lock_item(EvidenceItem(pk=request.item_id))
    locked = WitnessRequest.objects.select_for_update().get(pk=request.pk)
    # Checked again under the lock: two clicks of the link's button sign once.
    witness_request_from_token(witness_token(locked))
    statement = witness_statement(item)
    if shown_statement_sha256 != sha256_of(statement):
        raise StatementChanged(
            "The statement changed after you opened this page, so nothing was signed. "
            "Read it again below and, if it is accurate, confirm it."
        )
    if not confirmed:
        raise ValidationError({"confirmed": "Tick the box to confirm the statement is accurate."})
    if not typed_name.strip():
        raise ValidationError({"typed_name": "Type your name to sign."})
    now = timezone.now()
    signature = WitnessSignature.objects.create(
        request=locked,
        item=item,
        typed_name=typed_name.strip()[:200],
        comments=comments.strip(),
        signed_at=now,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        statement=statement,
        statement_sha256=sha256_of(statement),
    )
    WitnessRequest.objects.filter(pk=locked.pk).update(used_at=now)
    record(
        "witness.signed",
        actor=None,
        actor_label=f"Witness {signature.typed_name} <{locked.sent_to}>",
        portfolio=item.portfolio,
        target=item,
        ip_address=ip_address,
        statement_sha256=signature.statement_sha256,
    )
    notify(
        recipients=[item.portfolio.learner, item.portfolio.assessor],
        kind="witness_signed",
        message=f"{signature.typed_name} confirmed the witness testimony “{item.title}”.",
        url=reverse("evidence:item-detail", args=[item.pk]),
    )
    return signature
