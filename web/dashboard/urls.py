from django.urls import path

from web.dashboard import audit_pages, blocks, clinic_page, outbox, patients, rota, staff, views

app_name = "dashboard"

urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("", views.today, name="today"),
    path("procedures/<int:procedure_id>/", views.procedure, name="procedure"),
    path("alerts/", views.alert_board, name="alert_board"),
    # Pages and webhooks link every alert here: /dashboard/alerts/<id>/.
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("alerts/<int:alert_id>/resolve/", views.resolve, name="resolve"),
    path("alerts/board/", views.board_fragment, name="board"),
    path("patients/", patients.patient_list, name="patients"),
    path("patients/new/", patients.patient_new, name="patient_new"),
    path("patients/<int:patient_id>/", patients.patient_detail, name="patient"),
    path("patients/<int:patient_id>/code/", patients.new_code, name="patient_code"),
    path("patients/<int:patient_id>/start-link/", patients.send_start_link, name="start_link"),
    path("patients/<int:patient_id>/revoke/", patients.revoke_access, name="revoke_access"),
    path("patients/<int:patient_id>/blocks/new/", blocks.block_new, name="block_new"),
    path("procedures/<int:procedure_id>/edit/", blocks.block_edit, name="block_edit"),
    path("procedures/<int:procedure_id>/cancel/", blocks.block_cancel, name="block_cancel"),
    path("procedures/<int:procedure_id>/handout/", patients.handout, name="handout"),
    path("procedures/<int:procedure_id>/report.pdf", blocks.block_report, name="block_report"),
    path("rota/", rota.rota, name="rota"),
    path("rota/shifts/new/", rota.shift_new, name="shift_new"),
    path("rota/shifts/<int:shift_id>/", rota.shift_edit, name="shift_edit"),
    path("rota/shifts/<int:shift_id>/delete/", rota.shift_delete, name="shift_delete"),
    path("clinic/", clinic_page.clinic_settings, name="clinic"),
    path("audit/", audit_pages.audit_log, name="audit"),
    path("audit/export.csv", audit_pages.audit_export, name="audit_export"),
    # Only while the local outbox is on (a demo): what would have gone by SMS, e-mail, push.
    path("outbox/", outbox.outbox_page, name="outbox"),
]

urlpatterns += [
    path("staff/", staff.staff_list, name="staff"),
    path("staff/invite/", staff.staff_invite, name="staff_invite"),
    path("staff/<int:member_id>/", staff.staff_member, name="staff_member"),
    path("staff/<int:member_id>/details/", staff.staff_details, name="staff_details"),
    path("staff/<int:member_id>/works-again/", staff.staff_works_again, name="staff_works_again"),
    path("staff/<int:member_id>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:member_id>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
    path("staff/<int:member_id>/resend/", staff.staff_resend, name="staff_resend"),
    # The link in a staff invitation; Django's view swaps the token for "set-password".
    path("set-password/<uidb64>/<token>/", staff.SetPasswordView.as_view(), name="set_password"),
]
