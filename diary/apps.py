from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "diary"
    verbose_name = "Pain diary"

    def ready(self):
        from diary.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
