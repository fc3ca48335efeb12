import django.utils.timezone
from django.db import migrations, models


def queued_when_requested(apps, schema_editor):
    """Existing jobs were last queued when they were asked for, or when they were last retried
    (not recorded, so the request time: at worst a stuck job shows as lost a little sooner)."""
    ExportJob = apps.get_model("exports", "ExportJob")
    ExportJob.objects.update(queued_at=models.F("requested_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="queued_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(queued_when_requested, migrations.RunPython.noop),
    ]
