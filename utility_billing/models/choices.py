"""Choices shared by several areas (locations, meters, rates) and by the rate engine."""

from django.db import models


class ServiceClass(models.TextChoices):
    """The customer class of a service location: rates and the sewer cap follow it."""

    SINGLE_FAMILY = "single_family", "Single-family residential"
    MULTI_FAMILY = "multi_family", "Multi-family residential"
    COMMERCIAL = "commercial", "Commercial"
    IRRIGATION = "irrigation", "Irrigation"


# Residences: sewer use is capped at the account's winter-average water use (water used
# outdoors in summer does not reach the sewer).
RESIDENTIAL_CLASSES = frozenset({ServiceClass.SINGLE_FAMILY, ServiceClass.MULTI_FAMILY})


class ServiceKind(models.TextChoices):
    WATER = "water", "Water"
    SEWER = "sewer", "Sewer"
    STORM_DRAIN = "storm_drain", "Storm drain (clean bay)"
    FIRE_LINE = "fire_line", "Private fire line"


class MeterSize(models.TextChoices):
    """Nominal meter sizes in inches; the fixed water charge is by size."""

    SIZE_5_8 = "5/8", '5/8"'
    SIZE_3_4 = "3/4", '3/4"'
    SIZE_1 = "1", '1"'
    SIZE_1_5 = "1.5", '1-1/2"'
    SIZE_2 = "2", '2"'
    SIZE_3 = "3", '3"'
    SIZE_4 = "4", '4"'
    SIZE_6 = "6", '6"'


class AccountRole(models.TextChoices):
    """Who the account holder is to the parcel. An owner's account stays open while a
    tenant has service: the owner is told of the tenant's delinquency, and service
    reverts to the owner's account when the tenant moves out."""

    OWNER = "owner", "Owner"
    TENANT = "tenant", "Tenant"


class AccountStatus(models.TextChoices):
    PENDING = "pending", "Pending (move-in scheduled)"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed (final bill due)"
    FINAL_BILLED = "final_billed", "Final billed"
