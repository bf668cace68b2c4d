"""cod-remittance: Shiprocket COD remittances (posted JSON batch or panel CSV) -> Zoho Books payments.

Two event sources: the API route (authenticate, validate the whole upload, queue one message per
batch, 202) and the RemittanceQueue worker (a batch: balance check and fan-out; an order: one
payment, exactly once), with partial batch failures; plus the remittance poll and the wallet watch schedules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shipsync import wiring
from shipsync.remittance import wiring as remittance
from shipsync.request_body import read_text
from shipsync.routes import authenticate, json_response, register_error_handlers

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
    # Imported here: the worker and the poll never need the upload's parsers and models.
    from shipsync.remittance.intake import parse_remittance_upload
    from shipsync.remittance.messages import BatchMessage

    event = app.current_event
    authenticate(event.headers.get("x-api-key"), wiring.webhook_secret("remittance_webhook"))
    settings = remittance.settings()
    batches = parse_remittance_upload(
        read_text(event, settings.max_body_bytes),
        event.headers.get("content-type"),
        csv_mapping=settings.csv_column_mapping,
    )
    queued = [
        {
            "remittance_id": batch.remittance_id,
            "orders": len(batch.orders),
            "message_id": remittance.enqueue_remittance(BatchMessage(batch=batch)),
        }
        for batch in batches
    ]
    logger.info("remittance queued", extra={"batches": [q["remittance_id"] for q in queued]})
    return json_response(202, {"status": "queued", "batches": queued})


register_error_handlers(app, logger, lambda: wiring.outcome_policy(metrics))


@tracer.capture_method
def process_message(record: SQSRecord) -> object:
    return remittance.remittance_worker(metrics, logger)(record)


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
    if event.get("poll") == "wallet":
        return remittance.wallet_watch(metrics)
    if event.get("poll") == "remittance" or event.get("source") == "aws.events":
        return remittance.poll(metrics)
    return app.resolve(event, context)
