"""shipment-status: Shiprocket tracking webhook -> StatusQueue -> forward-only status in the ledger and Zoho.

Three event sources, one function: the API route (authenticate, validate, enqueue, 200), the
StatusQueue worker (partial batch failures), and two schedules: the tracking poll for shipments whose
webhooks went quiet, and the nightly reconciliation (ops.nightly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shipsync import wiring
from shipsync.request_body import read_text
from shipsync.routes import authenticate, json_response, register_error_handlers
from shipsync.tracking import wiring as tracking
from shipsync.tracking.intake import parse_status_webhook

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

SERVICE = "shipment-status"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="shipsync", service=SERVICE)
app = APIGatewayRestResolver()


@app.post("/webhooks/shipment-status")
@tracer.capture_method
def shipment_status_webhook() -> Response[Any]:
    event = app.current_event
    authenticate(event.headers.get("x-api-key"), wiring.webhook_secret("shiprocket_webhook"))
    message = parse_status_webhook(read_text(event, tracking.settings().max_webhook_body_bytes))
    awb = message.event.awb
    logger.append_keys(awb=awb)
    message_id = tracking.enqueue_status(message)
    logger.info("queued", extra={"shipment_status_id": message.event.shipment_status_id, "message_id": message_id})
    return json_response(200, {"status": "queued", "awb": awb, "message_id": message_id})


register_error_handlers(app, logger, lambda: wiring.outcome_policy(metrics))


@tracer.capture_method
def process_event(record: SQSRecord) -> object:
    return tracking.status_worker(metrics, logger)(record)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        # Imported here: the batch utility costs ~60 ms of cold start the webhook path never needs.
        from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

        # A failed event holds back the later events of its AWB only (its message group).
        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        return dict(
            process_partial_response(event=event, record_handler=process_event, processor=processor, context=context)
        )
    if event.get("reconcile") == "nightly":
        from shipsync.ops.wiring import nightly_reconcile

        return nightly_reconcile(metrics, context.get_remaining_time_in_millis)
    if event.get("poll") == "tracking" or event.get("source") == "aws.events":
        # Ops can poll every tracked shipment now (after an outage): {"poll": "tracking", "quiet_after_minutes": 0}.
        quiet_after = event.get("quiet_after_minutes")
        return tracking.poll(metrics, None if quiet_after is None else int(quiet_after))
    return app.resolve(event, context)
