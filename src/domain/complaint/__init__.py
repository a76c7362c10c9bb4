"""The Complaint aggregate and its events, commands and rule helpers, one file each (see ``aggregate``)."""

from domain.complaint.aggregate import EVENT_LABELS, Complaint
from domain.complaint.checks import (
    EPOCH,
    MAX_EXTENSION_DAYS,
    MERGEABLE,
    OPEN_FOR_HANDLING,
    SATISFIED_THRESHOLD,
    SUPPLEMENT_SOURCES,
)
from domain.complaint.state import Appeal, Consultation, HandlerAssignment

__all__ = [
    "EPOCH",
    "EVENT_LABELS",
    "MAX_EXTENSION_DAYS",
    "MERGEABLE",
    "OPEN_FOR_HANDLING",
    "SATISFIED_THRESHOLD",
    "SUPPLEMENT_SOURCES",
    "Appeal",
    "Complaint",
    "Consultation",
    "HandlerAssignment",
]
