"""The API's audit hook: every view of patient data mixes in ``AuditedViewMixin``.

Reads leave a row with the ids returned (the object fetched, or each object of the page);
writes leave one in the same transaction as the write: an unsafe request runs inside
``transaction.atomic`` and its row is written before the commit, or everything is rolled
back with an error answer. Actions whose service writes its own row (the diary entry's hot
path: one INSERT, no extra savepoint) are named in ``audited_by_service``.
"""

from collections import defaultdict

from django.db import transaction
from rest_framework.permissions import SAFE_METHODS

from audit import log
from audit.models import Action

METHOD_ACTION = {"GET": Action.READ, "HEAD": Action.READ, "PATCH": Action.CHANGE}
METHOD_ACTION |= {"PUT": Action.CHANGE, "DELETE": Action.DELETE}


class AuditedViewMixin:
    #: Actions whose service records its own row (and needs no transaction of ours).
    audited_by_service: tuple[str, ...] = ()
    #: The view writes its own rows (e.g. an erasure, recorded with what it removed).
    audited_by_view: bool = False
    #: The audit action of a view action when the HTTP method does not say it.
    audit_actions: dict[str, str] = {}

    def initialize_request(self, request, *args, **kwargs):
        self.audit_objects = []
        self.audit_before = {}
        self.audit_changes = {}
        return super().initialize_request(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        self.audit_atomic = False
        if request.method in SAFE_METHODS or self._by_service(request, kwargs):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            self.audit_atomic = True
            return super().dispatch(request, *args, **kwargs)

    def _by_service(self, request, kwargs) -> bool:
        # The action is known only after routing; the router's mapping gives it now.
        handler = getattr(self, "action_map", {}).get(request.method.lower())
        return handler in self.audited_by_service

    def get_object(self):
        return self.audit_note(super().get_object())

    def audit_note(self, obj):
        """Count ``obj`` among what this request read or wrote; returns it."""
        key = (obj._meta.label, obj.pk)
        if key not in self.audit_before:
            self.audit_objects.append(obj)
            # Old values now, new ones read back before the commit (write_audit); the
            # key keeps the id of an object the request then deletes.
            obj.audit_key = key
            write = self.request.method not in SAFE_METHODS
            self.audit_before[key] = log.snapshot(obj, log.column_names(obj)) if write else None
        return obj

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self.audit_objects.extend(page)
        return page

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        action = getattr(self, "action", None)
        if action in self.audited_by_service or self.audited_by_view:
            return response
        if request.method == "OPTIONS":  # the endpoint's description: no patient data
            return response
        if 200 <= response.status_code < 300:
            self.write_audit(request, response, action)
        elif self.audit_atomic:
            transaction.set_rollback(True)  # DRF answered the error: undo what was written
        return response

    def audit_action(self, request, action) -> str:
        if action in self.audit_actions:
            return self.audit_actions[action]
        if action == "create":
            return Action.CREATE
        return METHOD_ACTION.get(request.method, Action.CHANGE)

    def audit_created(self, response) -> list:
        """The object a create made, read back (creates are off the hot path)."""
        pk = response.data.get("id") if isinstance(response.data, dict) else None
        model = self.get_queryset().model
        return list(model.objects.filter(pk=pk)) if pk is not None else []

    def write_audit(self, request, response, action) -> None:
        objects = self.audit_objects
        if not objects and request.method not in SAFE_METHODS:
            objects = self.audit_created(response)
        by_kind = defaultdict(list)
        for obj in objects:
            by_kind[obj._meta.model_name].append(obj)
        audit_action = self.audit_action(request, action)
        if not by_kind:  # e.g. an empty page: the read is recorded all the same
            by_kind[self._kind()] = []
        for kind, group in by_kind.items():
            changes = self.audit_changes or self._changes(group)
            log.record(
                audit_action,
                kind,
                [self._key(obj)[1] for obj in group],
                patient_ids=self.audit_patient_ids(group),
                changes=changes,
                request=request._request,
            )

    def _changes(self, group) -> dict:
        changes = {}
        for obj in group:
            if self.audit_before.get(self._key(obj)) is not None:
                fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
                if fresh is not None:
                    found = log.changed_fields(fresh, self.audit_before[self._key(obj)])
                    changes.update(found if len(group) == 1 else {str(obj.pk): found})
        return changes

    @staticmethod
    def _key(obj):
        return getattr(obj, "audit_key", None) or (obj._meta.label, obj.pk)

    def audit_patient_ids(self, objects) -> list[int]:
        return [log.patient_id_of(obj) for obj in objects]

    def _kind(self) -> str:
        queryset = getattr(self, "queryset", None)
        return queryset.model._meta.model_name if queryset is not None else ""
