from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portfolio_site.accounts"
    label = "accounts"
    verbose_name = "Accounts and centres"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portfolio_site.accounts.middleware import mark_session_renewed
        from portfolio_site.accounts.two_factor import remember_state_on_login

        user_logged_in.connect(mark_session_renewed, dispatch_uid="accounts-session-renewed")
        user_logged_in.connect(remember_state_on_login, dispatch_uid="accounts-two-factor-state")
