from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    """Process design (maps, SIPOC, value streams, KPIs)."""

    name = "processes"
    verbose_name = "Process design"

    def ready(self) -> None:
        # An EQA's views of a map's or version's pages go on the centre's audit trail against
        # the map's portfolio (evidence/middleware.py), which cannot import processes itself.
        from evidence.middleware import register_portfolio_resolver
        from processes.models import ProcessMap, ProcessVersion

        def _pk(value) -> int | None:
            try:
                number = int(value)
            except (TypeError, ValueError):
                return None
            return number if 0 < number < 2**63 else None

        def map_portfolio(value):
            row = (
                ProcessMap.objects.select_related("portfolio").filter(pk=_pk(value)).first()
                if _pk(value)
                else None
            )
            return row.portfolio if row else None

        def version_portfolio(value):
            row = (
                ProcessVersion.objects.select_related("process_map__portfolio")
                .filter(pk=_pk(value))
                .first()
                if _pk(value)
                else None
            )
            return row.process_map.portfolio if row else None

        register_portfolio_resolver("map_id", map_portfolio)
        register_portfolio_resolver("version_id", version_portfolio)
