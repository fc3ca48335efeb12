"""Names and builders the tests share: catalogue codes, criterion lookup, form data, multipart."""

import uuid

from criteria.models import AssessmentCriterion

ICQ_CUSTOMER_SERVICE = "icq-l4-nvq-diploma-customer-service-rqf"
DESIGN = "design-business-processes"
QUALITY = "review-the-quality-of-customer-service"
PLAN = "plan-organise-and-control-customer-service-operations"  # in no qualification


def criterion(unit_code: str, number: str) -> AssessmentCriterion:
    return AssessmentCriterion.objects.get_by_natural_key(unit_code, number)


def item_form_data(**overrides) -> dict:
    return {
        "title": "Complaints process redesign",
        "kind": "work_product",
        "activity_date": "2026-10-01",
        "narrative": "<div>I mapped the complaints process.</div>",
        "creation_token": str(uuid.uuid4()),
        **overrides,
    }


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart body written by hand, so that file names reach the server exactly as given
    (Django's test client strips folders from them)."""
    boundary = "----nvq-test-boundary"
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for field, filename, content in files:
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        parts.append(header.encode("utf-8") + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
