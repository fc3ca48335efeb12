from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Portfolios and evidence"

    def ready(self) -> None:
        from evidence.images import configure_pillow

        # Every process that opens evidence images (web, worker, shell) refuses bombs.
        configure_pillow()
