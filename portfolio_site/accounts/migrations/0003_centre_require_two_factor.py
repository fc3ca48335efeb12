from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_people_invitations_learner_record"),
    ]

    operations = [
        migrations.AddField(
            model_name="centre",
            name="require_two_factor",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Assessors, IQAs, centre admins and EQAs of this centre must sign in with a "
                    "code from an authenticator app as well as their password."
                ),
                verbose_name="require two-factor sign-in",
            ),
        ),
    ]
