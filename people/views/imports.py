# Placeholder while the import pages are written (replaced before anything lands).
from django.http import Http404


def import_upload(request, centre_code):
    raise Http404


def import_preview(request, import_id):
    raise Http404
