"""The record of each spreadsheet a centre imported: what it was (its SHA-256), who sent it,
what the preview found and whether it was applied. The file's bytes are kept until it is
applied or abandoned, so the confirm step applies exactly what the preview showed, on any
web node."""

from django.db import models

from portfolio_site.accounts.models import Centre, User


class PeopleImport(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="people_imports")
    # None when imported from the shell (manage.py import_people), which has no signed-in user.
    uploaded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Filled when the rows are applied (in one transaction, or not at all).
    committed_at = models.DateTimeField(null=True, blank=True)
    invitations_sent = models.BooleanField(default=False)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.sha256[:12]}) for {self.centre}"

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.errors} errors"
        )
