"""The page of a background job: its progress, then its result or its error."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from millbrae_finance.jobs import Job, JobFile, is_abandoned, job_file, job_for_viewer, resume_job
from millbrae_finance.roles import ALL_ROLES, role_required
from millbrae_finance.view_helpers import fragment_wanted


def _job(pk: int) -> Job:
    try:
        return job_for_viewer(pk)
    except Job.DoesNotExist:
        raise Http404("No such job.") from None


@role_required(ALL_ROLES)
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # A job's page shows its title, its progress and a link to its result, which
    # checks its own roles: anyone signed in with a role may read it.
    job = _job(pk)
    abandoned = is_abandoned(job)
    context = {
        "job": job,
        "abandoned": abandoned,
        "can_resume": abandoned and job.started_by_id == request.user.pk,
    }
    template = "millbrae_finance/job_detail.html"
    if fragment_wanted(request):
        template += "#progress"
    return render(request, template, context)


@role_required(ALL_ROLES)
@require_POST
def job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(pk)
    if job.started_by_id != request.user.pk:
        raise PermissionDenied("Only whoever started a job resumes it.")
    resume_job(job)
    return redirect("job_detail", pk=job.pk)


@role_required(ALL_ROLES)
@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file a finished job made (a batch's combined PDF), as a download."""
    try:
        found = job_file(pk)
    except JobFile.DoesNotExist:
        raise Http404("This job has no file (yet).") from None
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response
