"""Reads of meters: the list with its search and filters, a meter's page and its reads."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from utility_billing.models import Cycle, Meter, MeterRead, ServiceOrder

METER_EXPORT_FIELDS = (
    ("Serial", "serial"),
    ("Size", "size"),
    ("Type", "meter_type"),
    ("Dials", "dials"),
    ("Multiplier", "multiplier"),
    ("Status", "status"),
    ("Parcel", "location__parcel_number"),
    ("Address", "location__address_line1"),
    ("Cycle", "location__cycle__code"),
    ("Route", "location__route"),
    ("Installed", "install_date"),
    ("Removed", "removal_date"),
    ("Last read", "last_read_date"),
    ("Last reading", "last_reading"),
)


def _last_read(field: str) -> Subquery:
    reads = MeterRead.objects.filter(meter=OuterRef("pk")).order_by("-read_date")
    return Subquery(reads.values(field)[:1])


def meter_list(
    *, q: str = "", status: str = "", size: str = "", cycle: Cycle | None = None
) -> QuerySet[Meter]:
    """Meters by serial, with where each is installed and its last read."""
    meters = Meter.objects.all()
    if q:
        meters = meters.filter(
            Q(serial__istartswith=q)
            | Q(location__address_line1__icontains=q)
            | Q(location__parcel_number__startswith=q)
        )
    if status:
        meters = meters.filter(status=status)
    if size:
        meters = meters.filter(size=size)
    if cycle is not None:
        meters = meters.filter(location__cycle=cycle)
    return (
        meters.select_related("location", "location__cycle")
        .annotate(last_read_date=_last_read("read_date"), last_reading=_last_read("reading"))
        .order_by("serial")
    )


def meter_detail(pk: int) -> Meter:
    return Meter.objects.select_related("location", "location__cycle").get(pk=pk)


def meter_reads(meter: Meter) -> QuerySet[MeterRead]:
    """The meter's reads, newest first, with where each was taken."""
    return meter.reads.select_related("location", "entered_by").order_by("-read_date", "-id")


def meter_service_orders(meter: Meter) -> list[ServiceOrder]:
    return list(
        ServiceOrder.objects.filter(meter=meter).select_related(
            "location", "requested_by", "completed_by"
        )
    )
