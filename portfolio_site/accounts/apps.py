from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portfolio_site.accounts"
    label = "accounts"
    verbose_name = "Accounts and centres"
