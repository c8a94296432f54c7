"""What collection recovers of a referral: payments on a referred account after its
referral raise the referral's recovered amount (status partly recovered, then paid in
full); a payment voided since lowers it again.

Kept as a figure read again from the subledger each time (queries.settlements.
recovered_since_referral), never added to: a repeat of a payment, a void and the
payment it voids, in any order, give the same figure."""

from utility_billing.models import ReferralStatus, UtilityCollectionReferral
from utility_billing.queries.settlements import recovered_since_referral

# A referral closed by hand keeps its status; its recovered amount is still kept.
TRACKED_STATUSES = (ReferralStatus.REFERRED, ReferralStatus.PARTLY_RECOVERED, ReferralStatus.PAID)


def record_referral_recovery(account_id: int) -> UtilityCollectionReferral | None:
    """Bring the account's referral (if any) up to date with the payments made on the
    account since it was referred, inside the caller's transaction (the payment's)."""
    referral = UtilityCollectionReferral.objects.select_for_update().filter(account_id=account_id)
    referral = referral.first()
    if referral is None:
        return None
    recovered = recovered_since_referral(referral)
    status = referral.status
    if status in TRACKED_STATUSES:
        if recovered >= referral.amount:
            status = ReferralStatus.PAID
        elif recovered > 0:
            status = ReferralStatus.PARTLY_RECOVERED
        else:
            status = ReferralStatus.REFERRED
    if (recovered, status) != (referral.recovered_amount, referral.status):
        referral.recovered_amount, referral.status = recovered, status
        referral.save(update_fields=["recovered_amount", "status"])
    return referral
