"""Admin for clinic set-up and protocols. Diary entries are read-only here: they are the record."""

from django.contrib import admin

from audit.admin import AuditedAdminMixin
from diary import models, services


class StaffInline(admin.TabularInline):
    model = models.StaffMembership
    extra = 0


@admin.register(models.Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "phone"]
    inlines = [StaffInline]


@admin.register(models.Patient)
class PatientAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["display_name", "clinic", "status", "timezone"]
    list_filter = ["clinic", "status"]
    search_fields = ["display_name"]


class ProtocolStepInline(admin.TabularInline):
    model = models.ProtocolStep
    extra = 0


@admin.register(models.Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default"]
    inlines = [ProtocolStepInline]


class CheckInInline(admin.TabularInline):
    model = models.CheckIn
    extra = 0
    can_delete = False
    readonly_fields = ["key", "label", "due_at", "closes_at", "status", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Procedure)
class ProcedureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "patient", "kind", "status", "performed_at"]
    list_filter = ["status", "kind"]
    inlines = [CheckInInline]
    actions = ["cancel"]

    def save_model(self, request, obj, form, change):
        if change:
            services.update_procedure(
                obj, **{name: form.cleaned_data[name] for name in form.changed_data}
            )
        else:
            fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f != "patient"}
            obj.pk = services.create_procedure(patient=form.cleaned_data["patient"], **fields).pk

    @admin.action(description="Cancel the selected blocks")
    def cancel(self, request, queryset):
        for procedure in queryset:
            services.cancel_procedure(procedure)


@admin.register(models.DiaryEntry)
class DiaryEntryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["patient", "procedure", "recorded_at", "pain_score"]
    list_filter = ["procedure__patient__clinic"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Read-only: a new version comes from a clinic's overrides (``PATCH /api/v1/clinic/``),
    never from editing one that findings already point to."""

    list_display = ["id", "clinic", "version", "created_at", "created_by"]
    list_filter = ["clinic"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Finding)
class FindingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["id", "procedure", "rule", "severity", "priority", "created_at"]
    list_filter = ["severity", "rule"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
