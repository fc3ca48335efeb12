"""Catalogue pages, open to every signed-in user."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from criteria import selectors


def qualification_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "criteria/qualification_list.html",
        {
            "qualifications": selectors.qualification_list(),
            "loose_units": selectors.units_outside_qualifications(),
        },
    )


def qualification_detail(request: HttpRequest, code: str) -> HttpResponse:
    qualification = selectors.qualification_get(code=code)
    return render(
        request,
        "criteria/qualification_detail.html",
        {
            "qualification": qualification,
            "unit_groups": selectors.qualification_unit_groups(qualification=qualification),
        },
    )


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    return render(
        request,
        "criteria/unit_detail.html",
        {"unit": selectors.unit_get_with_outcomes(code=code)},
    )
