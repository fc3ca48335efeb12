"""Every page an external quality assurer opens (or tries to) is recorded in the audit trail,
against the portfolio the page is about and its centre.

Which portfolio a page is about comes from its URL's ids: each id name has a resolver. Evidence
registers its own here; apps above evidence (processes, whose pages are keyed by map or
version) register theirs with ``register_portfolio_resolver`` when they are ready, so that
evidence never imports them.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from evidence.models import (
    EqaGrant,
    EvidenceFile,
    EvidenceItem,
    IqaSample,
    Portfolio,
    Review,
    SignOff,
)
from portfolio_site.accounts.models import Role
from portfolio_site.accounts.permissions import has_role
from portfolio_site.audit.services import audit_record

PortfolioResolver = Callable[[object], Portfolio | None]
_RESOLVERS: dict[str, PortfolioResolver] = {}


def register_portfolio_resolver(url_kwarg: str, resolver: PortfolioResolver) -> None:
    """``resolver(value)`` gives the portfolio a page whose URL carries ``url_kwarg`` is
    about, or None (an id that does not exist: the refused attempt is still recorded)."""
    _RESOLVERS[url_kwarg] = resolver


def _first_portfolio(queryset, path: str) -> Portfolio | None:
    row = queryset.first()
    if row is None:
        return None
    for name in path.split("__"):
        row = getattr(row, name)
    return row


def _integer(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    # Ids past the database's integer range match nothing (and must not raise).
    return number if 0 < number < 2**63 else None


def _by(model, path: str, manager: str = "objects") -> PortfolioResolver:
    def resolve(value) -> Portfolio | None:
        pk = _integer(value)
        if pk is None:
            return None
        queryset = getattr(model, manager).filter(pk=pk)
        if not path:
            return queryset.select_related("centre").first()
        return _first_portfolio(queryset.select_related(path), path)

    return resolve


register_portfolio_resolver("portfolio_id", _by(Portfolio, ""))
register_portfolio_resolver("item_id", _by(EvidenceItem, "portfolio"))
register_portfolio_resolver("file_id", _by(EvidenceFile, "item__portfolio", "all_objects"))
register_portfolio_resolver("review_id", _by(Review, "item__portfolio"))
register_portfolio_resolver("sign_off_id", _by(SignOff, "portfolio"))
register_portfolio_resolver("sample_id", _by(IqaSample, "portfolio"))


def portfolio_of_page(view_kwargs: dict) -> Portfolio | None:
    """The portfolio a page is about, from the first of its URL's ids that has a resolver."""
    for name, value in view_kwargs.items():
        resolver = _RESOLVERS.get(name)
        if resolver is not None:
            return resolver(value)
    return None


class EqaPageViewMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Kept for __call__, which records the view once the response says it was shown.
        request.eqa_view_kwargs = view_kwargs

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.method not in ("GET", "HEAD"):
            return response
        kwargs = getattr(request, "eqa_view_kwargs", None) or {}
        about_a_portfolio = any(name in _RESOLVERS for name in kwargs)
        if has_role(user, Role.EQA):
            portfolio = portfolio_of_page(kwargs)
        elif about_a_portfolio and EqaGrant.objects.filter(eqa=user).exists():
            # The grant makes them an EQA of that portfolio, whatever their role rows say
            # (a suspended or ended EQA role, say). One query for everyone else.
            portfolio = portfolio_of_page(kwargs)
            if (
                portfolio is None
                or not EqaGrant.objects.filter(eqa=user, portfolio=portfolio).exists()
            ):
                return response
        else:
            return response
        audit_record(
            action="eqa.page_viewed",
            actor=user,
            centre=portfolio.centre_id if portfolio else None,
            portfolio_id=portfolio.pk if portfolio else None,
            details={"path": request.get_full_path()[:500], "status": response.status_code},
        )
        return response
