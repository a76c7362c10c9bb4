"""The district's reference codes, so that clients can discover what the API accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import ReferenceDep, require
from api.permissions import Action
from api.schemas import CentreOut, CodeOut, ReferenceOut
from application.reference import CENTRE_KINDS
from domain.values import Role

router = APIRouter(prefix="/v1", tags=["queries"])


@router.get("/reference", response_model=ReferenceOut)
def reference_codes(
    _role: Annotated[Role, Depends(require(Action.read_reference))], reference: ReferenceDep
) -> ReferenceOut:
    """Department codes (for 转办 and the views' filters), category codes (for 受理) and service centres."""
    return ReferenceOut(
        departments=[CodeOut(code=k, name=v) for k, v in reference.departments.items()],
        categories=[CodeOut(code=k, name=v) for k, v in reference.categories.items()],
        centres=[
            CentreOut(code=c.code, name=c.name, kind=c.kind, kind_label=CENTRE_KINDS[c.kind], signed_by=c.signed_by)
            for c in reference.centres.values()
        ],
    )
