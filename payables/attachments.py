"""The scanned invoice a technician attaches: a PDF, PNG or JPEG, told by its first
bytes (a renamed .exe called invoice.pdf is refused), and at most 10 MB."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Magic numbers: what the file is, whatever its name says.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class ScannedFile:
    filename: str
    content_type: str
    content: bytes


def sniffed_type(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def scanned_file(upload) -> ScannedFile:
    """An uploaded file checked by size and content, or a ValidationError saying why not."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB: attach a scan of at most "
            f"{MAX_ATTACHMENT_BYTES // 1024 // 1024} MB.",
            code="too_big",
        )
    content = upload.read(MAX_ATTACHMENT_BYTES + 1)
    if not content:
        raise ValidationError(f"{upload.name} is empty.", code="empty")
    content_type = sniffed_type(content[:16])
    if content_type is None:
        raise ValidationError(
            f"{upload.name} is not a PDF, PNG or JPEG file: attach the scanned invoice.",
            code="type",
        )
    name = upload.name.replace("\x00", "").rsplit("/", 1)[-1][:200] or "invoice"
    return ScannedFile(filename=name, content_type=content_type, content=content)
