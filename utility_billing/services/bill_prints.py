"""A posted run's print file for the mail vendor: every bill of the run in one PDF, in
account-number order (the order of the run's bill register, which the vendor's count is
checked against).

Posting a run starts it (utility_billing.tasks); a lead may start it for a run posted
before print files existed. The plan (the bills of each chunk) is written when the print
file is made; the background job then lays the chunks out in a pool of processes, one
per core, keeping each chunk's PDF in its row as soon as it is done, and finally joins
them into parts of at most PART_BILLS bills, one file each. A worker killed halfway leaves
its finished chunks and parts: the job resumed renders and joins only the rest. The PDFs
are laid out outside any transaction: no lock or snapshot is held while thousands of
pages render.
"""

import os
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from millbrae_finance.jobs import Job, Progress, start_job
from millbrae_finance.pdf import html_to_pdf, join_pdfs, pdf_process_pool
from utility_billing.documents import bill_frame_html, bills_html
from utility_billing.models import (
    Bill,
    BillPrintChunk,
    BillPrintFile,
    BillPrintPart,
    BillRun,
    BillRunStatus,
)

# Bills laid out as one document: big enough that a document's set-up (the stylesheet,
# the fonts) is shared by many pages, small enough that a killed worker loses little and
# the bar moves often.
CHUNK_BILLS = 50
# Processes laying out chunks at once: one per core.
PDF_PROCESSES = os.cpu_count() or 1
# Bills in one file for the mail vendor: a bill is about 30 KB of PDF (fonts embedded in
# each chunk), so a part is about 150 MB, which a worker joins in memory and a web server
# hands out a slice at a time.
PART_BILLS = 5000


def start_bill_print(
    run: BillRun, *, actor: AbstractBaseUser, chunk_bills: int | None = None
) -> BillPrintFile:
    """The posted run's print file, planned and its rendering queued the first time; the
    same file after that (its job queued again only if the worker rendering it died)."""
    from utility_billing.tasks import bill_print_job

    with transaction.atomic():
        run = BillRun.objects.select_for_update().select_related("cycle").get(pk=run.pk)
        if run.status != BillRunStatus.POSTED:
            raise ValidationError(
                f"Bill run {run.reference} is {run.get_status_display().lower()}: only a "
                "posted run's bills are printed."
            )
        print_file, created = BillPrintFile.objects.get_or_create(
            run=run, defaults={"chunk_size": chunk_bills or CHUNK_BILLS}
        )
        if created:
            bill_ids = list(
                Bill.objects.filter(run=run)
                .order_by("account__number", "pk")
                .values_list("pk", flat=True)
            )
            size = print_file.chunk_size
            BillPrintChunk.objects.bulk_create(
                BillPrintChunk(
                    print_file=print_file, position=number, bill_ids=bill_ids[first : first + size]
                )
                for number, first in enumerate(range(0, len(bill_ids), size), start=1)
            )
            print_file.bills = len(bill_ids)
        print_file.job = start_job(
            bill_print_job,
            kind="bill_print",
            title=f"Print file of bill run {run.reference}: cycle {run.cycle.code}, "
            f"{run.period_start:%m/%d/%Y} to {run.period_end:%m/%d/%Y}",
            idempotency_key=f"bill-print:{run.pk}",
            actor=actor,
            params={"print_file": print_file.pk},
        )
        print_file.save(update_fields=["bills", "job"])
    return print_file


@dataclass(frozen=True)
class PrintResult:
    print_file: BillPrintFile
    bills: int
    pages: int
    parts: int
    chunks_rendered: int


def render_bill_print(
    print_file_id: int, *, job: Job, progress: Progress, processes: int = PDF_PROCESSES
) -> PrintResult:
    """Lay out the print file's unfinished chunks, then join them into the parts not
    joined yet. Finished chunks are never laid out again, nor joined parts joined again."""
    print_file = BillPrintFile.objects.select_related("run").get(pk=print_file_id)
    chunks = BillPrintChunk.objects.filter(print_file=print_file)
    todo = list(chunks.filter(data__isnull=True).order_by("position").values_list("pk", "bill_ids"))
    bills_done = sum(
        len(ids) for ids in chunks.filter(data__isnull=False).values_list("bill_ids", flat=True)
    )
    progress(bills_done, print_file.bills)

    def keep(chunk_id: int, bill_count: int, rendered: tuple[bytes, int]) -> None:
        nonlocal bills_done
        data, pages = rendered
        # Autocommit: the chunk is kept the moment it is done, whatever happens next.
        BillPrintChunk.objects.filter(pk=chunk_id, data__isnull=True).update(
            data=data, pages=pages, rendered_at=timezone.now()
        )
        bills_done += bill_count
        progress(bills_done, print_file.bills)

    workers = min(processes, len(todo))
    if workers <= 1:
        for chunk_id, bill_ids in todo:
            keep(chunk_id, len(bill_ids), html_to_pdf(bills_html(bill_ids), bill_frame_html()))
    else:
        _render_in_pool(todo, workers, keep)

    parts = _join_parts(print_file)
    return PrintResult(
        print_file=print_file,
        bills=print_file.bills,
        pages=sum(part.pages for part in parts),
        parts=len(parts),
        chunks_rendered=len(todo),
    )


def part_plan(chunk_size: int, chunk_count: int) -> list[range]:
    """The chunk positions of each part, in order: consecutive chunks of at most
    PART_BILLS bills together (a chunk is never split)."""
    per_part = max(1, PART_BILLS // chunk_size)
    return [
        range(first, min(first + per_part, chunk_count + 1))
        for first in range(1, chunk_count + 1, per_part)
    ]


def _join_parts(print_file: BillPrintFile) -> list[BillPrintPart]:
    """Join each part not joined yet from its chunks (all rendered by now) and keep it."""
    chunks = BillPrintChunk.objects.filter(print_file=print_file)
    done = set(print_file.parts.values_list("position", flat=True))
    plan = part_plan(print_file.chunk_size, chunks.count())
    for position, positions in enumerate(plan, start=1):
        if position in done:
            continue
        rows = chunks.filter(position__in=positions).order_by("position")
        data, pages, bill_ids = [], 0, []
        for chunk_data, chunk_pages, ids in rows.values_list("data", "pages", "bill_ids").iterator(
            chunk_size=10
        ):
            data.append(bytes(chunk_data))
            pages += chunk_pages
            bill_ids += ids
        numbers = dict(
            Bill.objects.filter(pk__in=[bill_ids[0], bill_ids[-1]]).values_list(
                "pk", "account__number"
            )
        )
        joined = join_pdfs(data)
        del data
        BillPrintPart.objects.get_or_create(
            print_file=print_file,
            position=position,
            defaults={
                "bills": len(bill_ids),
                "pages": pages,
                "first_account": numbers[bill_ids[0]],
                "last_account": numbers[bill_ids[-1]],
                "size": len(joined),
                "data": joined,
            },
        )
    return list(print_file.parts.defer("data").order_by("position"))


def _render_in_pool(todo: list[tuple[int, list[int]]], workers: int, keep) -> None:
    """Read and template each chunk here (the database is this process's), lay it out
    in the pool; a few chunks in flight per process, so the pool never waits for this
    one and memory stays bounded."""
    queue = iter(todo)
    frame = bill_frame_html()
    pending: dict[Future, tuple[int, int]] = {}
    with pdf_process_pool(workers) as pool:

        def submit_next() -> None:
            chunk = next(queue, None)
            if chunk is not None:
                chunk_id, bill_ids = chunk
                future = pool.submit(html_to_pdf, bills_html(bill_ids), frame)
                pending[future] = (chunk_id, len(bill_ids))

        for _ in range(workers * 2):
            submit_next()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk_id, bill_count = pending.pop(future)
                keep(chunk_id, bill_count, future.result())
                submit_next()
