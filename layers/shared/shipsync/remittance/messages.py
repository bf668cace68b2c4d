"""RemittanceQueue's messages: a whole remittance (built by the upload route and the remittance poll), one order
of it (built by the batch step, one per order), and a chunk of the wallet statement's rows (built by the statement
upload route), read by the cod-remittance worker."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Final, Literal

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


# A chunk's fresh discrepancies and unmatched rows are paged as one list each, so a file of few chunks pages a few
# times, not once a row; 25 statement rows are a few KiB, far below SQS's 256 KiB.
WALLET_ROWS_PER_MESSAGE: Final = 25
# The JSON a chunk may take, under SQS's 256 KiB (adapters.queues.MAX_MESSAGE_BYTES) with room for the envelope:
# 25 rows of long, escaped text could pass it.
WALLET_MESSAGE_BUDGET_BYTES: Final = 192 * 1024
WALLET_GROUP: Final = "wallet-statement"


class WalletRowsMessage(BaseModel):
    """Wallet statement rows from the panel's CSV (``freight.statement_csv``), the raw rows ``read_statement``
    takes: paged and booked as the wallet watch's schedule does, once per transaction id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Literal["wallet_rows"] = "wallet_rows"
    # The day the upload came: what a row whose own day cannot be read is dated (its dispute deadline, its entry).
    received_on: date
    rows: list[dict[str, str]] = Field(min_length=1, max_length=WALLET_ROWS_PER_MESSAGE)
    # 1 as uploaded, then once more each time the worker sends the chunk back with rows left to book: the
    # deduplication id is the body's hash, and a pass must not be dropped as a repeat of the one before.
    pass_number: int = Field(default=1, ge=1)

    @property
    def group(self) -> str:
        # One group for every upload: two chunks never claim the same transaction at the same moment (a claim
        # in flight makes the other attempt ask Zoho, which has nothing yet, and book it a second time).
        return WALLET_GROUP

    def next_pass(self) -> WalletRowsMessage:
        return self.model_copy(update={"pass_number": self.pass_number + 1})

    def log_keys(self) -> dict[str, str]:
        ids = [row.get("transaction_id", "") for row in self.rows]
        return {"transactions": f"{ids[0]}..{ids[-1]}", "pass": str(self.pass_number)}


def wallet_rows_messages(rows: Sequence[dict[str, str]], received_on: date) -> list[WalletRowsMessage]:
    """``rows`` in file order, in chunks of at most ``WALLET_ROWS_PER_MESSAGE`` rows and the byte budget.

    The same file sent again gives the same bodies, so SQS drops a repeat within its five-minute deduplication
    window; a later repeat costs each row one ledger claim and no Zoho call."""
    messages: list[WalletRowsMessage] = []
    chunk: list[dict[str, str]] = []
    size = 0
    for row in rows:
        # The body is this JSON (adapters.queues.send); +2 for the separator.
        row_size = len(json.dumps(row, sort_keys=True)) + 2
        if chunk and (len(chunk) == WALLET_ROWS_PER_MESSAGE or size + row_size > WALLET_MESSAGE_BUDGET_BYTES):
            messages.append(WalletRowsMessage(received_on=received_on, rows=chunk))
            chunk, size = [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        messages.append(WalletRowsMessage(received_on=received_on, rows=chunk))
    return messages


class RemittanceMessage(RootModel[Annotated[BatchMessage | LineMessage, Field(discriminator="kind")]]):
    """What the remittance job attempts (``RemittanceJob.attempt``)."""

    def log_keys(self) -> dict[str, str]:
        return self.root.log_keys()


class RemittanceQueueMessage(
    RootModel[Annotated[BatchMessage | LineMessage | WalletRowsMessage, Field(discriminator="kind")]]
):
    """Any RemittanceQueue message: the worker's model."""

    def log_keys(self) -> dict[str, str]:
        return self.root.log_keys()
