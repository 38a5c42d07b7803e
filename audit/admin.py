"""The Django admin is one more door to patient data: its views are audited as the API's
are (reads with the ids shown, changes with old and new values, deletions), and the trail
itself shows there read-only."""

from django.contrib import admin

from audit import log
from audit.models import Action, AuditEvent


class AuditedAdminMixin:
    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method in ("GET", "HEAD"):
            log.note(obj)
        return obj

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            log.note(*changelist.result_list)
        log.record_noted(request, Action.READ)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method in ("GET", "HEAD"):
            log.record_noted(request, Action.READ)
        return response

    def save_model(self, request, obj, form, change):
        # The admin's change view runs in a transaction: the row commits with the save.
        stored = type(obj)._base_manager.filter(pk=obj.pk).first() if change else None
        before = log.snapshot(stored, log.column_names(stored)) if stored else {}
        super().save_model(request, obj, form, change)
        log.record(
            Action.CHANGE if change else Action.CREATE,
            obj._meta.model_name,
            [obj.pk],
            patient_ids=[log.patient_id_of(obj)],
            changes=log.changed_fields(obj, before) if before else {},
            request=request,
        )

    def delete_model(self, request, obj):
        pk, patient_id = obj.pk, log.patient_id_of(obj)
        super().delete_model(request, obj)
        log.record(Action.DELETE, obj._meta.model_name, [pk], patient_ids=[patient_id])


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "actor_kind", "action", "object_kind", "via")
    list_filter = ("action", "actor_kind")
    search_fields = ("actor_label", "patient_ids")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
