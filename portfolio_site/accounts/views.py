"""Django's account views, where ours need to do a little more."""

from axes.utils import reset as axes_reset
from django.contrib.auth import views as auth_views


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the emailed link also lifts a log-in lockout: whoever can
    read that mailbox owns the account, and should not wait out a lockout someone else caused."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response
