"""Read-only admin views of the outbox: what was sent, to whom, and what providers said;
the on-call rota and alerting settings, changed through their services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from audit.admin import AuditedAdminMixin
from diary.services import DiaryError
from notifications import clinic_settings, oncall
from notifications.models import (
    Alert,
    AlertEvent,
    AlertSettings,
    ContactPreference,
    Delivery,
    DeliveryAttempt,
    OnCallShift,
    StaffDevice,
)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "started_at",
        "finished_at",
        "outcome",
        "status_code",
        "provider_response",
        "error",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["id", "patient", "purpose", "channel", "status", "attempts", "created_at"]
    list_filter = ["status", "channel", "purpose"]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContactPreference)
class ContactPreferenceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["patient", "channel_order", "sms_disabled_at", "email_disabled_at"]


# --- On call, staff devices and alerting settings: writes go through the services -------


class OnCallShiftForm(forms.ModelForm):
    class Meta:
        model = OnCallShift
        fields = ["clinic", "user", "role", "starts_at", "ends_at"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            # A shift stays in its clinic: on change the clinic is shown, not editable.
            clinic = data.get("clinic") or self.instance.clinic
            try:
                oncall.check_shift(
                    clinic, data["user"], data["role"], data["starts_at"], data["ends_at"]
                )
            except DiaryError as error:
                raise ValidationError({error.field: error.message}) from error
        return data


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    form = OnCallShiftForm
    list_display = ["user", "clinic", "role", "starts_at", "ends_at"]
    list_filter = ["clinic", "role"]
    date_hierarchy = "starts_at"

    def get_readonly_fields(self, request, obj=None):
        return ["clinic"] if obj else []

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.fields}
        if change:
            oncall.update_shift(obj, **fields)
        else:
            created = oncall.create_shift(**fields)
            obj.pk, obj.created_at = created.pk, created.created_at

    def delete_model(self, request, obj):
        oncall.delete_shift(obj)


@admin.register(StaffDevice)
class StaffDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "platform", "created_at", "disabled_at"]
    list_filter = ["platform"]
    readonly_fields = ["user", "platform", "token", "created_at"]

    def has_add_permission(self, request):
        return False  # tokens come from the staff app, through register_staff_device

    def has_change_permission(self, request, obj=None):
        return False  # to stop paging a phone, delete its token

    def delete_model(self, request, obj):
        oncall.remove_staff_device(obj)


class AlertSettingsForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        for name in ("emergency_delay_seconds", "urgent_delay_seconds"):
            if data.get(name) is not None:
                try:
                    clinic_settings.check_delay(name, data[name])
                except DiaryError as error:
                    self.add_error(name, error.message)
        return data


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    form = AlertSettingsForm
    # Django 6 assumes https for a URL typed without a scheme; so do we, already.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["clinic", "emergency_delay_seconds", "urgent_delay_seconds", "webhook_url"]
    fields = [
        "clinic",
        "emergency_delay_seconds",
        "urgent_delay_seconds",
        "webhook_url",
        "webhook_include_rule",
        "fallback_phone",
        "fallback_email",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["clinic"] if obj else []

    def save_model(self, request, obj, form, change):
        # The webhook secret and the PagerDuty key are not shown here; they are set through
        # the API or the dashboard, write-only.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "clinic"}
        found = clinic_settings.update_alert_settings(obj.clinic, by=request.user, **changes)
        obj.pk = found.pk


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "actor", "finding", "detail"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Read-only: alerts change through acknowledge and resolve (API and dashboard), so
    every step leaves its event and the webhook hears of it."""

    list_display = ["id", "clinic", "severity", "rule", "state", "escalation_step", "created_at"]
    list_filter = ["state", "severity", "clinic"]
    inlines = [AlertEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
