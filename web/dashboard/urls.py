from django.urls import path

from web.dashboard import views

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
]
