"""shipment-status: Shiprocket tracking webhook -> StatusQueue -> forward-only status in the ledger and Zoho.

Three event sources, one function: the API route (authenticate, validate, enqueue, 200), the
StatusQueue worker (partial batch failures), and the tracking poll schedule for shipments whose
webhooks went quiet.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shipsync import wiring
from shipsync.services.status_intake import parse_status_webhook
from shipsync.services.webhooks import authenticate, json_response, register_error_handlers

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
    payload, tracking = parse_status_webhook(
        event.decoded_body, max_bytes=wiring.status_settings().max_webhook_body_bytes
    )
    logger.append_keys(awb=tracking.awb)
    message_id = wiring.enqueue_status(payload, tracking.awb)
    logger.info("queued", extra={"shipment_status_id": tracking.shipment_status_id, "message_id": message_id})
    return json_response(200, {"status": "queued", "awb": tracking.awb, "message_id": message_id})


register_error_handlers(app, logger)


@tracer.capture_method
def process_event(record: SQSRecord) -> None:
    from shipsync.domain.tracking import parse_webhook

    event = parse_webhook(json.loads(record.body))
    logger.append_keys(awb=event.awb)
    job = wiring.status_job(metrics)
    outcome = wiring.with_provider_recovery(lambda: job.handle(event), event.awb, metrics)
    logger.info("status event processed", extra={"result": outcome.result, "status": outcome.status})


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
    if event.get("poll") == "tracking" or event.get("source") == "aws.events":
        settings = wiring.status_settings()
        # Ops can poll every tracked shipment now (after an outage): {"poll": "tracking", "quiet_after_minutes": 0}.
        quiet_after = int(event.get("quiet_after_minutes", settings.quiet_after_minutes))
        return wiring.status_job(metrics).poll_quiet(timedelta(minutes=quiet_after), settings.poll_batch_size)
    return app.resolve(event, context)
