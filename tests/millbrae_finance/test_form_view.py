"""form_view, the one shape of a form page: GET shows, POST calls the service once,
errors re-render with 200."""

from decimal import Decimal

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.test import RequestFactory, override_settings
from django_htmx.middleware import HtmxMiddleware

from millbrae_finance.view_helpers import form_view

PAGE = (
    "<h1>{{ title }}</h1>{{ form.non_field_errors }}"
    "{% for field in form %}{{ field.errors }}{{ field }}{% endfor %}"
    "{% partialdef total %}<p>Total so far</p>{% endpartialdef %}"
)
# Only the template this test draws: no layout, no context processor needing a user.
TINY_TEMPLATES = override_settings(
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", {"tiny.html": PAGE})]
            },
        }
    ]
)


class RefundForm(forms.Form):
    payee = forms.CharField(max_length=40)
    amount = forms.DecimalField(max_digits=14, decimal_places=2)


class Service:
    """Stands in for a service function: records each call, refuses when told to."""

    def __init__(self, refuse: ValidationError | None = None) -> None:
        self.calls: list[dict] = []
        self.refuse = refuse

    def __call__(self, data: dict) -> str:
        self.calls.append(data)
        if self.refuse is not None:
            raise self.refuse
        return "R-000001"


def _request(method: str = "get", data: dict | None = None, *, htmx: bool = False) -> HttpRequest:
    """A request as the middleware leaves it: a session, messages, and request.htmx."""
    headers = {"HX-Request": "true"} if htmx else {}
    request = getattr(RequestFactory(), method)("/refunds/new/", data or {}, headers=headers)
    SessionMiddleware(_unused).process_request(request)
    MessageMiddleware(_unused).process_request(request)
    HtmxMiddleware(_unused)(request)
    return request


def _unused(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _refund_page(request: HttpRequest, service: Service, **options) -> HttpResponse:
    return form_view(
        request,
        RefundForm,
        perform=service,
        success=lambda number: (f"Refund {number} saved.", HttpResponseRedirect("/refunds/1/")),
        template="tiny.html",
        context=lambda form: {"title": "New refund"},
        aliases={"refund_amount": "amount"},
        **options,
    )


@TINY_TEMPLATES
def test_form_view_valid_post_calls_the_service_once_and_redirects():
    service = Service()
    request = _request("post", {"payee": "Ana Ruiz", "amount": "12.50"})
    response = _refund_page(request, service)
    assert response.status_code == 302
    assert response["Location"] == "/refunds/1/"
    assert service.calls == [{"payee": "Ana Ruiz", "amount": Decimal("12.50")}]
    assert [str(m) for m in get_messages(request)] == ["Refund R-000001 saved."]


@TINY_TEMPLATES
def test_form_view_service_refusal_shows_beside_its_field_with_200():
    refusal = ValidationError({"refund_amount": "More than was paid.", "payee": "Unknown."})
    service = Service(refuse=refusal)
    request = _request("post", {"payee": "Ana Ruiz", "amount": "99.00"})
    response = _refund_page(request, service)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>New refund</h1>" in page
    assert "More than was paid." in page and "Unknown." in page
    assert 'value="99.00"' in page  # what was typed stays
    assert len(service.calls) == 1
    assert list(get_messages(request)) == []


@TINY_TEMPLATES
def test_form_view_service_refusal_without_a_field_goes_above_the_form():
    service = Service(refuse=ValidationError("The period is closed."))
    response = _refund_page(_request("post", {"payee": "Ana", "amount": "1"}), service)
    assert response.status_code == 200
    assert "The period is closed." in response.content.decode()


@TINY_TEMPLATES
def test_form_view_invalid_form_never_calls_the_service():
    service = Service()
    request = _request("post", {"payee": "", "amount": "lots"})
    response = _refund_page(request, service)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page and "Enter a number." in page
    assert service.calls == []


@TINY_TEMPLATES
def test_form_view_get_shows_the_form_with_initial_and_never_performs():
    service = Service()
    response = _refund_page(_request(), service, initial={"payee": "Ana Ruiz"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Ana Ruiz"' in page and "This field is required." not in page
    assert service.calls == []


@TINY_TEMPLATES
def test_form_view_htmx_get_answers_the_fragment_and_may_bind_the_query_string():
    service = Service()
    request = _request("get", {"payee": "Ana", "amount": "5"}, htmx=True)
    response = _refund_page(request, service, fragment="total", htmx_get_binds=True)
    assert response.content.decode() == "<p>Total so far</p>"
    assert service.calls == []  # a GET, bound or not, is never performed


@TINY_TEMPLATES
def test_form_view_page_draws_a_form_that_belongs_to_another_page():
    shown = []
    response = form_view(
        _request("post", {"payee": ""}),
        RefundForm,
        perform=Service(),
        success=lambda number: HttpResponseRedirect("/"),
        page=lambda form: shown.append(form) or HttpResponse("detail page"),
    )
    assert response.content == b"detail page"
    assert shown[0].errors["payee"] == ["This field is required."]


def test_form_view_takes_a_template_or_a_page():
    with pytest.raises(TypeError):
        form_view(_request(), RefundForm, perform=Service(), success=HttpResponse)
