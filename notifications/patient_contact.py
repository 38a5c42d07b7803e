"""The patient's channel order as the diary app reads and changes it (the phone app's
``PATCH /api/v1/me/``), named by ``settings.DIARY_CHANNEL_ORDER``: the order is kept here,
beside the deliveries it steers, and the diary never imports notifications."""

from notifications import routing, services


class PatientChannelOrder:
    @staticmethod
    def read(patient) -> str:
        return services.contact_of(patient).channel_order

    @staticmethod
    def clean(value: str) -> str:
        """As stored; ``ValueError`` saying what is expected."""
        return routing.clean_order(value)

    @staticmethod
    def write(patient, value: str) -> None:
        services.update_contact(services.contact_of(patient), channel_order=value)
