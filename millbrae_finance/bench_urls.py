"""The project's URLs plus one constant view, the baseline the page benchmarks divide by.

Only the benchmark's gunicorn serves this URLconf (MILLBRAE_URLCONF); production never does.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from millbrae_finance.urls import urlpatterns as project_urlpatterns


@login_not_required
def bench_constant(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    *project_urlpatterns,
    path("bench/constant/", bench_constant, name="bench_constant"),
]
