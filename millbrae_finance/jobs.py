"""Background jobs: one row per long piece of work, the one place its progress is kept.

The work itself runs as a `django.tasks` task on the database backend (django-tasks-db):
the request starts a job and answers at once, a worker (`manage.py db_worker`) takes the
task. The Job row is what people see (who started it, when, rows done of rows to do, the
result or the error in words) and what makes the work idempotent:

- the job's idempotency key is unique: starting it again with the same key returns the
  same job and runs nothing new;
- while a worker runs a job it holds a session advisory lock on it. PostgreSQL lets go of
  it when the worker's connection ends, a SIGKILL included, so "is anyone running this
  job?" has an exact answer on any host, with no heartbeat and no timeout. A second task
  for the same job (a resume racing the first) finds the lock taken and does nothing;
- a job whose worker died is resumed by starting it again (same key, or the Resume button
  on its page): the work it calls must finish with the same totals whether or not a
  killed run came before it (the penalty batch does its writes in one transaction, so a
  killed run leaves nothing).
"""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Now
from django.tasks import Task
from django.utils import timezone

logger = logging.getLogger(__name__)

# The first key of the two-key advisory locks a worker holds on a job (the job's id is the
# second): two-key locks never collide with the one-key locks used elsewhere.
JOB_LOCK_CLASS = 4242


class JobState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """One long piece of work started by a person; the task updates it as it goes."""

    kind = models.CharField(max_length=50)
    # What the job is called on its page: "Penalty batch for 2026-11-16".
    title = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=100, unique=True)
    # The task that does the work (its module path), and its arguments besides the job.
    task_path = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    # How many times a worker began it: 1 for a run that never stopped.
    runs = models.PositiveIntegerField(default=0)
    # The django-tasks-db result of the task last enqueued for it.
    task_result_id = models.CharField(max_length=64, blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    result_label = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["started_by", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)


class JobFile(models.Model):
    """A file a job made (a combined PDF), kept in the database so that whichever host
    ran the job, every web server can hand it out."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="file")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


def save_job_file(job: Job, *, filename: str, content_type: str, data: bytes) -> JobFile:
    """Keep the job's file (a resumed job replaces what a killed run may have left)."""
    found, _ = JobFile.objects.update_or_create(
        job=job, defaults={"filename": filename, "content_type": content_type, "data": data}
    )
    return found


# ---------------------------------------------------------------- starting


def start_job(
    task: Task,
    *,
    kind: str,
    title: str,
    idempotency_key: str,
    actor: AbstractBaseUser,
    params: dict | None = None,
) -> Job:
    """The job for `idempotency_key`: made and queued the first time; the same job after
    that, queued again only if the worker that ran it died before it finished."""
    if not idempotency_key:
        raise ValueError("Every job needs an idempotency key.")
    with transaction.atomic():
        job, created = Job.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "kind": kind,
                "title": title,
                "task_path": task.module_path,
                "params": params or {},
                "started_by": actor,
            },
        )
        if created or is_abandoned(job):
            _enqueue_on_commit(job, task)
    return job


def resume_job(job: Job) -> bool:
    """Queue again a job whose worker died before it finished; False if it needs none."""
    from django.utils.module_loading import import_string

    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if not is_abandoned(job):
            return False
        _enqueue_on_commit(job, import_string(job.task_path))
    return True


def _enqueue_on_commit(job: Job, task: Task) -> None:
    def enqueue() -> None:
        result = task.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id))

    transaction.on_commit(enqueue)


def is_abandoned(job: Job) -> bool:
    """A job not finished, whose task is no longer waiting in the queue, and that no
    worker holds: the worker running it died (killed, its host lost)."""
    if job.is_finished or not job.task_result_id:
        return False
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(pk=job.task_result_id, status="READY").exists()
    if waiting:
        return False
    with connection.cursor() as cursor:
        # pg_locks lists the whole server's locks, and advisory locks are per database:
        # another database's job with the same id (a second test database, the
        # benchmark's) says nothing about this one.
        cursor.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = %s AND objid = %s AND objsubid = 2 AND granted)",
            [JOB_LOCK_CLASS, job.pk],
        )
        return cursor.fetchone()[0]


# ---------------------------------------------------------------- running


class Progress:
    """Writes rows done of rows to do on the job as the work goes. The work may be inside
    its own long transaction, whose writes nobody sees until it commits: progress then goes
    through a connection of its own (a helper thread's), committed at once."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.done = 0
        self.total: int | None = None
        self._thread: ThreadPoolExecutor | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if connection.in_atomic_block:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=1)
            self._thread.submit(_write_progress, self.job_id, done, total).result()
        else:
            _write_progress(self.job_id, done, total)

    def close(self) -> None:
        if self._thread is not None:
            # `connection` is per thread: closed from the helper thread, it is the
            # helper's own.
            self._thread.submit(lambda: connection.close()).result()
            self._thread.shutdown()
            self._thread = None


def _write_progress(job_id: int, done: int, total: int | None) -> None:
    changes = {"rows_done": done}
    if total is not None:
        changes["rows_total"] = total
    Job.objects.filter(pk=job_id).update(**changes)


@dataclass(frozen=True)
class JobResult:
    """Where the job's result is read: a page (or a file's download URL), and its name."""

    url: str
    label: str


def run_job(job_id: int, work: Callable[[Job, Progress], JobResult]) -> None:
    """Run `work` for the job unless it is finished or another worker holds it; record
    the result, or the error in words."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, job_id])
        if not cursor.fetchone()[0]:
            logger.info("Job %s is being run by another worker.", job_id)
            return
    progress = Progress(job_id)
    try:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            return
        Job.objects.filter(pk=job_id).update(
            state=JobState.RUNNING,
            started_at=Coalesce(F("started_at"), Now()),
            runs=F("runs") + 1,
            error="",
        )
        job.refresh_from_db()
        try:
            result = work(job, progress)
        except ValidationError as error:
            _finish(job_id, JobState.FAILED, error=" ".join(error.messages))
            raise
        except Exception as error:
            logger.exception("Job %s failed", job_id)
            _finish(
                job_id,
                JobState.FAILED,
                error=f"The job stopped on an unexpected error ({type(error).__name__}); "
                "nothing it was doing was saved. The administrator can read the details in "
                "the worker's log.",
            )
            raise
        _finish(job_id, JobState.DONE, result=result, progress=progress)
    finally:
        progress.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [JOB_LOCK_CLASS, job_id])


def _finish(
    job_id: int,
    state: JobState,
    *,
    result: JobResult | None = None,
    progress: Progress | None = None,
    error: str = "",
) -> None:
    changes = {"state": state, "finished_at": Now(), "error": error}
    if result is not None:
        changes.update(result_url=result.url, result_label=result.label)
    if progress is not None and progress.total is not None:
        # The last count, written here too: a report made from inside the work's
        # transaction went through another connection.
        changes.update(rows_done=progress.done, rows_total=progress.total)
    Job.objects.filter(pk=job_id).update(**changes)


def job_file(job_id: int) -> JobFile:
    """The file a finished job made."""
    return JobFile.objects.get(job_id=job_id, job__state=JobState.DONE)


def job_for_viewer(job_id: int) -> Job:
    """The job with who started it, for its page."""
    return Job.objects.select_related("started_by").get(pk=job_id)
