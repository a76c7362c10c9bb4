"""The district's reference codes, so that clients can discover what the API accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import ReferenceDep, require
from api.permissions import Action
from api.schemas import CodeOut, ReferenceOut
from domain.values import Role

router = APIRouter(prefix="/v1", tags=["queries"])


@router.get("/reference", response_model=ReferenceOut)
def reference_codes(
    _role: Annotated[Role, Depends(require(Action.read_reference))], reference: ReferenceDep
) -> ReferenceOut:
    """Department codes (for 转办 and the views' filters) and category codes (for 受理), with Chinese names."""
    return ReferenceOut(
        departments=[CodeOut(code=k, name=v) for k, v in reference.departments.items()],
        categories=[CodeOut(code=k, name=v) for k, v in reference.categories.items()],
    )
