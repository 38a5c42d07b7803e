"""Read-only admin views of the outbox: what was sent, to whom, and what providers said."""

from django.contrib import admin

from notifications.models import ContactPreference, Delivery, DeliveryAttempt


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
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "purpose", "channel", "status", "attempts", "created_at"]
    list_filter = ["status", "channel", "purpose"]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ["patient", "channel_order", "sms_disabled_at", "email_disabled_at"]
