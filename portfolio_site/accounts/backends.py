"""Signing in with an email address: people know their email; nobody should have to invent,
or remember, a username. Usernames still work (the demo accounts, Django admin's users)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            # Emails are unique case-insensitively (a database constraint), so this is one
            # account or none.
            user = get_user_model().objects.filter(email__iexact=username.strip()).first()
            if user is None:
                # Run the hasher anyway, so that an unknown email takes as long as a known one.
                get_user_model()().set_password(password)
                return None
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
