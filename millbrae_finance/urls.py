from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from millbrae_finance import job_views, role_change_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Logging out is open to anyone signed in, with or without a role.
    path("accounts/logout/", views.logout, name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/password/done/", views.password_change_done, name="password_change_done"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/changed-by/", views.audit_changed_by, name="audit_changed_by"),
    path("audit/role-changes/", role_change_views.role_change_list, name="role_change_list"),
    path("audit/<str:label>/<str:object_id>/", views.audit_history, name="audit_history"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/resume/", job_views.job_resume, name="job_resume"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job_download"),
    path("cashiering/", include("cashiering.urls")),
    path("ledger/", include("ledger.urls")),
    path("payables/", include("payables.urls")),
    path("receivables/", include("receivables.urls")),
    path("utility/", include("utility_billing.urls")),
    path("admin/", admin.site.urls),
]
