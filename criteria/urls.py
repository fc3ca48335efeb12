from django.urls import path

from criteria import views

app_name = "criteria"

urlpatterns = [
    path("", views.qualification_list, name="qualification-list"),
    path("qualifications/<slug:code>/", views.qualification_detail, name="qualification-detail"),
    path("units/<slug:code>/", views.unit_detail, name="unit-detail"),
]
