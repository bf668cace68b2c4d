"""rto-restock: returned shipments back into Zoho stock (RtoQueue), and customer returns (POST /returns).

Two event sources, one function: the RtoQueue worker (partial batch failures), fed by
shipment-status on RTO delivered / return delivered, and the admin route that books a reverse
pickup at Shiprocket. Admin auth is IAM when deployed and the local runner's bearer token, so
the handler does not check it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from shipsync import wiring, wiring_returns
from shipsync.errors import InvalidOrder, PermanentError, ProviderRequestError, ShipsyncError
from shipsync.services.webhooks import json_response, register_error_handlers

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

SERVICE = "rto-restock"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="shipsync", service=SERVICE)
app = APIGatewayRestResolver()


@app.post("/returns")
@tracer.capture_method
def create_return() -> Response[Any]:
    # Imported here: the restock path (SQS) never needs the order mapping it pulls in.
    from shipsync.services.customer_return import parse_return_request

    request = parse_return_request(
        app.current_event.decoded_body, max_bytes=wiring_returns.returns_settings().max_request_body_bytes
    )
    logger.append_keys(salesorder_number=request.salesorder_number or request.salesorder_id)
    booked = wiring_returns.book_return(request, metrics)
    logger.info("customer return", extra={"awb": booked.awb, "new_booking": booked.created})
    return json_response(201, booked.body())


# Bad requests (WebhookRejected) and transient failures (503) are answered as on every route;
# Powertools picks the handler of the nearest class in the error's MRO, so TransientError never
# reaches ``refused``.
register_error_handlers(app, logger)


@app.exception_handler(ShipsyncError)  # type: ignore[untyped-decorator]
def refused(err: ShipsyncError) -> Response[Any]:
    status, field = _http_status(err)
    if status >= 500:
        logger.exception("return not booked")
    else:
        logger.warning("return refused", extra={"status": status, "reason": str(err)})
    return json_response(status, {"error": str(err), "field": field})


def _http_status(err: ShipsyncError) -> tuple[int, str | None]:
    if isinstance(err, InvalidOrder):
        # The sales order cannot become a pickup as it stands (bad phone, pincode...): fix it in Zoho.
        return 422, err.field
    if isinstance(err, ProviderRequestError):
        return 502, None
    if isinstance(err, PermanentError):
        return 422, None
    return 503, None


@tracer.capture_method
def process_return(record: SQSRecord) -> None:
    from shipsync.services.rto_restock import RestockMessage

    try:
        message = RestockMessage.model_validate_json(record.body)
    except ValidationError as err:
        # Retrying cannot fix a malformed message: page ops and acknowledge it.
        fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in err.errors()})
        logger.error("malformed restock message", extra={"fields": fields, "message_id": record.message_id})
        wiring.PowertoolsMetricsSink(metrics).count("RestockFailed")
        wiring.alerts().page(
            "Restock message rejected",
            f"RtoQueue message {record.message_id} is not a restock request (bad fields: {', '.join(fields)}).",
            kind="RestockFailed",
            correlation_id=record.message_id,
        )
        return
    logger.append_keys(awb=message.awb, salesorder_number=message.salesorder_number)
    outcome = wiring_returns.restock(message, metrics)
    logger.info("restock processed", extra={"state": outcome.state, "detail": outcome.detail})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        # Imported here: the batch utility costs ~60 ms of cold start the API path never needs.
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

        processor = BatchProcessor(event_type=EventType.SQS)
        return dict(
            process_partial_response(event=event, record_handler=process_return, processor=processor, context=context)
        )
    return app.resolve(event, context)
