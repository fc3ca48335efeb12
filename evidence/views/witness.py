"""Witness testimonies: asking the witness (learner or assessor), and the witness's page,
which needs no account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from evidence import permissions, services
from evidence.forms import WitnessSignForm
from evidence.models import sha256_of
from evidence.services import WitnessLinkClosed, WitnessLinkInvalid
from evidence.services.witness import StatementChanged, witness_statement
from evidence.views import posted
from portfolio_site.accounts.client import client_ip


@require_POST
def witness_request(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item(request.user, item_id)
    if not permissions.can_request_witness(request.user, item):
        raise PermissionDenied("Only the learner or their assessor asks a witness to sign.")
    try:
        witness, _ = services.witness_request_send(item=item, sender=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"A link went to {witness.witness_name} ({witness.sent_to}); it works once and "
            f"expires in {(witness.expires_at - witness.sent_at).days} days.",
        )
    return redirect("evidence:item-detail", item.pk)


@login_not_required
@never_cache
def witness_sign(request: HttpRequest, token: str) -> HttpResponse:
    try:
        witness = services.witness_request_from_token(token)
    except WitnessLinkInvalid:
        raise Http404("No such link.") from None
    except WitnessLinkClosed as closed:
        signature = getattr(closed.request, "signature", None)
        return render(
            request,
            "evidence/witness_closed.html",
            {"message": str(closed), "witness": closed.request, "signature": signature},
            status=410,
        )
    item = witness.item
    statement = witness_statement(item)
    statement_sha256 = sha256_of(statement)
    form = WitnessSignForm(
        posted(request),
        initial={"typed_name": witness.witness_name, "statement_sha256": statement_sha256},
    )
    if request.method == "POST" and form.is_valid():
        try:
            signature = services.witness_sign(
                request=witness,
                typed_name=form.cleaned_data["typed_name"],
                comments=form.cleaned_data["comments"],
                confirmed=form.cleaned_data["confirmed"],
                shown_statement_sha256=form.cleaned_data["statement_sha256"],
                ip_address=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except WitnessLinkClosed as closed:
            return render(
                request,
                "evidence/witness_closed.html",
                {"message": str(closed), "witness": closed.request},
                status=410,
            )
        except StatementChanged as error:
            # Show the statement as it is now, with its hash, and nothing ticked or signed.
            item.refresh_from_db()
            statement = witness_statement(item)
            form = WitnessSignForm(
                initial={
                    "typed_name": form.cleaned_data["typed_name"],
                    "comments": form.cleaned_data["comments"],
                    "statement_sha256": sha256_of(statement),
                }
            )
            return render(
                request,
                "evidence/witness_sign.html",
                {
                    "form": form,
                    "witness": witness,
                    "item": item,
                    "statement": statement,
                    "statement_changed": error.message,
                },
                status=409,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(
                request, "evidence/witness_thanks.html", {"signature": signature, "item": item}
            )
    return render(
        request,
        "evidence/witness_sign.html",
        {"form": form, "witness": witness, "item": item, "statement": statement},
    )
