from django.http import HttpRequest, QueryDict


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data to bind, or None for an unbound form. Not ``request.POST or None``: an
    empty POST must still be validated (and show its errors)."""
    return request.POST if request.method == "POST" else None
