"""cod-remittance: Shiprocket COD remittances (posted JSON batch or panel CSV) -> Zoho Books payments.

Two event sources: the API route (authenticate, validate the whole upload, queue one message per
batch, 202) and the RemittanceQueue worker (a batch: balance check and fan-out; an order: one
payment, exactly once), with partial batch failures.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shipsync import wiring
from shipsync.services.webhooks import authenticate, json_response, register_error_handlers

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

SERVICE = "cod-remittance"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="shipsync", service=SERVICE)
app = APIGatewayRestResolver()


@app.post("/webhooks/cod-remittance")
@tracer.capture_method
def remittance_upload() -> Response[Any]:
    from shipsync.services.remittance_intake import parse_remittance_upload

    event = app.current_event
    authenticate(event.headers.get("x-api-key"), wiring.webhook_secret("remittance_webhook"))
    settings = wiring.remittance_settings()
    batches = parse_remittance_upload(
        event.decoded_body,
        event.headers.get("content-type"),
        max_bytes=settings.max_body_bytes,
        csv_mapping=settings.csv_column_mapping,
    )
    queued = []
    for batch in batches:
        message_id = wiring.enqueue_remittance(
            {"kind": "batch", "batch": batch.model_dump(mode="json")},
            group=f"batch-{batch.remittance_id}",
        )
        queued.append({"remittance_id": batch.remittance_id, "orders": len(batch.orders), "message_id": message_id})
    logger.info("remittance queued", extra={"batches": [q["remittance_id"] for q in queued]})
    return json_response(202, {"status": "queued", "batches": queued})


register_error_handlers(app, logger)


@tracer.capture_method
def process_message(record: SQSRecord) -> None:
    from shipsync.domain.remittance import RemittanceBatch, RemittanceLine

    message = json.loads(record.body)
    job = wiring.remittance_job(metrics)
    if message["kind"] == "batch":
        batch = RemittanceBatch.model_validate(message["batch"])
        logger.append_keys(remittance_id=batch.remittance_id)
        job.accept_batch(batch)
        return
    line = RemittanceLine.model_validate(message["line"])
    logger.append_keys(remittance_id=message["remittance_id"], awb=line.awb)
    outcome = wiring.with_provider_recovery(
        lambda: job.pay(message["remittance_id"], date.fromisoformat(message["remittance_date"]), line),
        line.awb,
        metrics,
    )
    logger.info("remittance line processed", extra={"result": outcome.result, "detail": outcome.detail})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        # Imported here: the batch utility costs ~60 ms of cold start the upload path never needs.
        from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

        # A failed order holds back later messages of its own AWB only (its message group).
        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        return dict(
            process_partial_response(event=event, record_handler=process_message, processor=processor, context=context)
        )
    if event.get("poll") == "remittance" or event.get("source") == "aws.events":
        job = wiring.remittance_job(metrics)
        aging_days = wiring.remittance_settings().aging_days
        return wiring.with_provider_recovery(lambda: job.poll(aging_days=aging_days), "remittance-poll", metrics)
    return app.resolve(event, context)
