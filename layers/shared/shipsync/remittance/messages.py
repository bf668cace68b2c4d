"""RemittanceQueue's messages: a whole remittance (built by the upload route and the remittance poll) and
one order of it (built by the batch step, one per order), read by the cod-remittance worker."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shipsync.remittance.batches import RemittanceBatch, RemittanceLine


class BatchMessage(BaseModel):
    """Check this remittance's balance, keep its header, fan out one ``LineMessage`` per order."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Literal["batch"] = "batch"
    batch: RemittanceBatch

    @property
    def group(self) -> str:
        return f"batch-{self.batch.remittance_id}"

    def log_keys(self) -> dict[str, str]:
        return {"remittance_id": self.batch.remittance_id}


class LineMessage(BaseModel):
    """Pay one remitted order's invoice in Zoho Books, exactly once."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Literal["order"] = "order"
    remittance_id: str = Field(min_length=1)
    remittance_date: date
    line: RemittanceLine

    @property
    def group(self) -> str:
        # Two sources describing the same order are handled one after the other.
        return self.line.awb

    def log_keys(self) -> dict[str, str]:
        return {"remittance_id": self.remittance_id, "awb": self.line.awb}


class RemittanceMessage(RootModel[Annotated[BatchMessage | LineMessage, Field(discriminator="kind")]]):
    def log_keys(self) -> dict[str, str]:
        return self.root.log_keys()
