"""Every write of the diary, as a verb. Views, tasks, commands and the admin call these.

One module per capability; callers import the verbs from here.
"""

from diary.services.checkins import (
    MISSED_BATCH,
    advance_checkins,
    cancel_procedure,
    claim_checkins_to_remind,
    claim_checkins_to_remind_again,
    create_procedure,
    install_default_protocol,
    protocol_steps,
    replan_checkins,
    update_procedure,
)
from diary.services.corrections import CorrectionRefused, correct_entry
from diary.services.devices import register_device, remove_device
from diary.services.entries import (
    LATER_ENTRY_FIELDS,
    V1_ANSWER_DEFAULTS,
    V2_ENTRY_FIELDS,
    entry_fingerprint,
    procedure_for_entry,
    record_entry,
)
from diary.services.errors import DiaryError, EntryConflict
from diary.services.links import (
    issue_links,
    issue_patient_link,
    link_url,
    open_link,
    revoke_access,
)
from diary.services.own_settings import OWN_FIELDS, channel_orders, update_own_settings
from diary.services.people import (
    create_clinic,
    create_patient,
    enroll,
    issue_enrollment_code,
    issue_staff_token,
    sign_out,
    staff_token_in_use,
    update_patient,
)
from diary.services.staff import (
    change_roles,
    deactivate_staff,
    invite_staff,
    link_lifetime,
    reactivate_staff,
    resend_invitation,
    restore_staff_address,
    set_password_url,
    update_staff,
)

__all__ = [
    "LATER_ENTRY_FIELDS",
    "MISSED_BATCH",
    "OWN_FIELDS",
    "V1_ANSWER_DEFAULTS",
    "V2_ENTRY_FIELDS",
    "CorrectionRefused",
    "DiaryError",
    "EntryConflict",
    "advance_checkins",
    "cancel_procedure",
    "change_roles",
    "channel_orders",
    "claim_checkins_to_remind",
    "claim_checkins_to_remind_again",
    "correct_entry",
    "create_clinic",
    "create_patient",
    "create_procedure",
    "deactivate_staff",
    "enroll",
    "entry_fingerprint",
    "install_default_protocol",
    "invite_staff",
    "issue_enrollment_code",
    "issue_links",
    "issue_patient_link",
    "issue_staff_token",
    "link_lifetime",
    "link_url",
    "open_link",
    "procedure_for_entry",
    "protocol_steps",
    "reactivate_staff",
    "record_entry",
    "register_device",
    "remove_device",
    "replan_checkins",
    "resend_invitation",
    "restore_staff_address",
    "revoke_access",
    "set_password_url",
    "sign_out",
    "staff_token_in_use",
    "update_own_settings",
    "update_patient",
    "update_procedure",
    "update_staff",
]
