"""Importing a centre's people from a spreadsheet: upload, preview every row, confirm.

The upload keeps the file's bytes (a PeopleImport), so the confirm applies exactly the file
the preview showed; the preview is planned again on every view, so it shows what the file
would do to the database as it is now.
"""

import io

import tablib
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from criteria.models import Qualification
from evidence.views import posted
from people import importing, permissions
from portfolio_site.accounts.models import Role

TEMPLATE_FILENAME = "people-import-template.csv"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text="An Excel workbook (.xlsx) or a CSV file saved as CSV UTF-8.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importing.MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; an import takes up to "
                f"{importing.MAX_FILE_BYTES // 1024 // 1024} MB: split it."
            )
        return upload


def _columns_context(centre) -> dict:
    return {
        "centre": centre,
        "roles": Role.choices,
        "qualifications": Qualification.objects.order_by("code").only("code", "title"),
        "max_rows": importing.MAX_ROWS,
    }


def import_upload(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    form = ImportUploadForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        plan = importing.import_plan(centre=centre, content=content, filename=upload.name)
        if plan.unreadable:
            form.add_error("file", plan.problems[0])
        else:
            people_import = importing.import_record(
                centre=centre,
                content=content,
                filename=upload.name,
                uploaded_by=request.user,
                plan=plan,
            )
            return redirect("people:import-preview", import_id=people_import.pk)
    return render(request, "people/import_upload.html", {"form": form, **_columns_context(centre)})


def import_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    people_import = permissions.access_import(request.user, import_id)
    centre = people_import.centre
    context = {"centre": centre, "people_import": people_import}
    if people_import.committed_at is not None:
        return render(request, "people/import_preview.html", context)
    if request.method == "POST":
        invite = request.POST.get("invite") == "on"
        try:
            plan = importing.import_apply(
                people_import=people_import, applied_by=request.user, invite=invite
            )
        except importing.ImportAlreadyApplied as error:
            messages.info(request, " ".join(error.messages))
            return redirect("people:import-preview", import_id=people_import.pk)
        if plan.applied:
            invited = (
                f" {plan.invited} invitation{'s' if plan.invited != 1 else ''} to set a "
                "password were emailed."
                if invite
                else ""
            )
            messages.success(
                request, f"Imported {people_import.filename}: {plan.summary()}.{invited}"
            )
            return redirect("people:list", centre_code=centre.code)
        messages.error(
            request,
            "Nothing was imported: since the preview, something changed that makes rows fail. "
            "The rows with errors are shown below.",
        )
    else:
        plan = importing.import_plan(
            centre=centre, content=bytes(people_import.content), filename=people_import.filename
        )
    show = request.GET.get("show", "")
    rows = plan.rows
    if show in {status.value for status in importing.RowStatus}:
        rows = [row for row in plan.rows if row.status == show]
    return render(
        request,
        "people/import_preview.html",
        {
            **context,
            "plan": plan,
            "counts": plan.counts,
            "rows": rows,
            "show": show,
            "statuses": [status.value for status in importing.RowStatus],
            "preview_url": reverse("people:import-preview", args=[people_import.pk]),
        },
    )


@require_GET
def import_template(request: HttpRequest, centre_code: str) -> HttpResponse:
    """A CSV with every column and two example rows: an assessor, and a learner they assess."""
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    qualification = Qualification.objects.order_by("code").first()
    dataset = tablib.Dataset(headers=list(importing.COLUMNS))
    dataset.append(["assessor", "Sam", "Okafor", f"sam.okafor@{centre.code}.example"] + [""] * 8)
    dataset.append(
        [
            "learner",
            "Zoë",
            "Brontë",
            f"zoe.bronte@{centre.code}.example",
            "1234567899",
            qualification.code if qualification else "",
            "",
            f"sam.okafor@{centre.code}.example",
            "",
            "01/09/2026",
            "2027-08-31",
            "Café Nero, Bath",
        ]
    )
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads the names right only with the BOM
    out.write(dataset.export("csv"))
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
    return response
