from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader

from portfolio_site.accounts.tasks import send_email


class EmailAuthenticationForm(AuthenticationForm):
    """Django's log-in form, asking for what people know: their email address. A username
    still works (the demo accounts, Django admin's users): see backends.py."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address or username"
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.error_messages = {
            **self.error_messages,
            "invalid_login": "That email address (or username) and password do not match an "
            "account. Passwords are case-sensitive.",
        }


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the email rendered here and sent by the worker."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html_body = (
            loader.render_to_string(html_email_template_name, context)
            if html_email_template_name
            else None
        )
        send_email.delay(subject=subject, body=body, to=[to_email], html_body=html_body)


class TwoFactorCodeForm(forms.Form):
    """A six-digit code from the authenticator app (or, when verifying, a recovery code)."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class CentreTwoFactorForm(forms.Form):
    require_two_factor = forms.BooleanField(
        required=False,
        label="Require two-factor sign-in for assessors, IQAs, centre admins and EQAs",
    )
