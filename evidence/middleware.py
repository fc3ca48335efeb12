"""Every page an external quality assurer opens (or tries to) is recorded in the audit trail."""

from django.http import HttpRequest, HttpResponse

from evidence.models import EvidenceFile, EvidenceItem, Portfolio
from portfolio_site.accounts.models import Role
from portfolio_site.accounts.permissions import has_role
from portfolio_site.audit.services import audit_record


class EqaPageViewMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Kept for __call__, which records the view once the response says it was shown.
        request.eqa_view_kwargs = view_kwargs

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.method in ("GET", "HEAD")
            and has_role(user, Role.EQA)
        ):
            portfolio = self._portfolio(getattr(request, "eqa_view_kwargs", {}))
            audit_record(
                action="eqa.page_viewed",
                actor=user,
                centre=portfolio.centre_id if portfolio else None,
                portfolio_id=portfolio.pk if portfolio else None,
                details={"path": request.get_full_path()[:500], "status": response.status_code},
            )
        return response

    @staticmethod
    def _portfolio(kwargs: dict) -> Portfolio | None:
        """Which portfolio the page was about, from the URL's ids. Refused pages (403, 404)
        are recorded too: an attempt is part of the record."""
        if "portfolio_id" in kwargs:
            return Portfolio.objects.filter(pk=kwargs["portfolio_id"]).first()
        if "item_id" in kwargs:
            item = EvidenceItem.objects.select_related("portfolio").filter(pk=kwargs["item_id"])
            return item[0].portfolio if item else None
        if "file_id" in kwargs:
            evidence_file = EvidenceFile.all_objects.select_related("item__portfolio").filter(
                pk=kwargs["file_id"]
            )
            return evidence_file[0].item.portfolio if evidence_file else None
        return None
