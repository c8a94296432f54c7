"""Running background jobs inside a test, without a worker process."""

from django.utils.module_loading import import_string

from millbrae_finance.jobs import Job, JobState


def run_queued_jobs() -> list[Job]:
    """Run every job not finished, in this process and this test's transaction, as a
    worker would; the jobs, refreshed."""
    jobs = list(Job.objects.exclude(state__in=[JobState.DONE, JobState.FAILED]).order_by("id"))
    for job in jobs:
        import_string(job.task_path).call(job.pk)
        job.refresh_from_db()
    return jobs
