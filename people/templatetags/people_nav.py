from django import template

from portfolio_site.accounts.models import Centre, Role
from portfolio_site.accounts.permissions import has_role
from portfolio_site.accounts.selectors import centres_where

register = template.Library()


@register.simple_tag
def administered_centres(user) -> list[Centre]:
    """The centres whose People pages ``user`` may open (no query for anyone else)."""
    if not has_role(user, Role.CENTRE_ADMIN):
        return []
    return list(centres_where(user=user, role=Role.CENTRE_ADMIN).order_by("name"))
