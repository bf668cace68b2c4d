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

from shipsync import wiring
from shipsync.request_body import read_text
from shipsync.returns import wiring as returns
from shipsync.routes import json_response, register_error_handlers

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
    from shipsync.returns.customer_return import parse_return_request

    request = parse_return_request(read_text(app.current_event, returns.settings().max_request_body_bytes))
    logger.append_keys(salesorder_number=request.salesorder_number or request.salesorder_id)
    booked = returns.customer_return_service(metrics).create(request)
    logger.info("customer return", extra={"awb": booked.awb, "new_booking": booked.created})
    return json_response(201, booked.body())


register_error_handlers(app, logger, lambda: wiring.outcome_policy(metrics))


@tracer.capture_method
def process_return(record: SQSRecord) -> object:
    return returns.restock_worker(metrics, logger)(record)


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
