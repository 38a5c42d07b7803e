from django.urls import path

from web.checkin import views

app_name = "checkin"

# The token is the patient's key: 22 URL-safe characters (diary.services.links).
urlpatterns = [
    path("<str:token>", views.home, name="home"),
    path("<str:token>/checkins/<int:checkin_id>/", views.checkin, name="checkin"),
    path("<str:token>/reading/", views.reading, name="reading"),
    path("<str:token>/answers/<uuid:client_id>/", views.answer, name="answer"),
    path("<str:token>/language/", views.language, name="language"),
]
