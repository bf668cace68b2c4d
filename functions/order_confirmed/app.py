"""order-confirmed: Zoho "sales order confirmed" webhook -> OrderQueue -> Shiprocket shipment -> Zoho; the same
webhook for a voided (or "cancel"-marked) order cancels it on both sides (orders.cancel).

Three event sources, one function: the API route (authenticate, validate, enqueue, 202), the
OrderQueue worker (partial batch failures), the stuck-order sweep schedule, the admin reads of an order's story
and of the DLQs, and the ops' morning digest schedule (ops.digest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shipsync import wiring
from shipsync.orders import wiring as orders
from shipsync.orders.intake import parse_salesorder
from shipsync.orders.messages import OrderMessage
from shipsync.request_body import read_text
from shipsync.routes import authenticate, json_response, register_error_handlers

SERVICE = "order-confirmed"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="shipsync", service=SERVICE)
app = APIGatewayRestResolver()
# Messages GET /admin/dlq lists per queue unless asked: each page of ten is a receive, and the answer must come
# well inside API Gateway's 29 s.
ADMIN_DLQ_LISTED = 20


@app.post("/webhooks/zoho/salesorders")
@tracer.capture_method
def zoho_salesorder_webhook() -> Response[Any]:
    event = app.current_event
    authenticate(event.headers.get("x-api-key"), wiring.webhook_secret("zoho_webhook"))
    order = parse_salesorder(
        read_text(event, orders.settings().max_webhook_body_bytes), event.headers.get("content-type")
    )
    logger.append_keys(salesorder_number=order.salesorder_number)
    if not (order.wants_cancel or order.is_confirmed):
        logger.info("ignored: sales order is not confirmed", extra={"order_status": order.status})
        return json_response(202, {"status": "ignored", "reason": f"order_status is {order.status or 'missing'}"})
    intent = "cancel" if order.wants_cancel else "ship"
    message_id = orders.enqueue_order(
        OrderMessage(
            salesorder_id=order.salesorder_id,
            salesorder_number=order.salesorder_number,
            source="webhook",
            intent=intent,
            revision=order.revision,
            salesorder=order.snapshot if intent == "ship" else None,
        )
    )
    logger.info("queued", extra={"message_id": message_id, "intent": intent})
    return json_response(
        202,
        {"status": "queued", "intent": intent, "salesorder_number": order.salesorder_number, "message_id": message_id},
    )


@app.get("/admin/orders/<salesorder_number>")
@tracer.capture_method
def order_story(salesorder_number: str) -> Response[Any]:
    """The ledger's story of one order (``ops.story``), named by its number, Zoho id or an AWB. Read-only; IAM
    when deployed."""
    from shipsync.ops.wiring import story_reader
    from shipsync.routes import WebhookRejected

    story = story_reader().story(salesorder_number)
    if story is None:
        raise WebhookRejected(404, f"no order {salesorder_number} in the ledger", "salesorder_number")
    logger.append_keys(salesorder_number=story.salesorder_number)
    return json_response(200, story.as_dict())


@app.get("/admin/dlq")
@tracer.capture_method
def dead_letters() -> Response[Any]:
    """Every DLQ's depth and, per message (``limit`` a queue, default 20, at most 100), what it concerns and its
    last error (``ops.dead_letters``); the messages stay in their queues. Read-only; IAM when deployed."""
    from shipsync.ops.dead_letters import MAX_LISTED
    from shipsync.ops.wiring import dead_letter_document
    from shipsync.routes import WebhookRejected

    wanted = (app.current_event.query_string_parameters or {}).get("limit", str(ADMIN_DLQ_LISTED))
    if not wanted.isdigit() or not 1 <= int(wanted) <= MAX_LISTED:
        raise WebhookRejected(400, f"limit must be a whole number from 1 to {MAX_LISTED}", "limit")
    return json_response(200, dead_letter_document(int(wanted)))


register_error_handlers(app, logger, lambda: wiring.outcome_policy(metrics))


@tracer.capture_method
def process_order(record: SQSRecord) -> object:
    return orders.order_worker(metrics, logger)(record)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        # Imported here: the batch utility costs ~60 ms of cold start the webhook path never needs.
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

        orders.register_idempotency(context)
        return dict(
            process_partial_response(
                event=event,
                record_handler=process_order,
                processor=BatchProcessor(event_type=EventType.SQS),
                context=context,
            )
        )
    if event.get("digest") == "morning":
        from shipsync.ops.wiring import morning_digest

        # "day" (YYYY-MM-DD): an earlier day's digest, asked by hand; the schedule sends none (yesterday).
        day = event.get("day")
        return wiring.outcome_policy(metrics).run_schedule("morning digest", lambda: morning_digest(metrics, day))
    if event.get("sweep") == "stuck-orders" or event.get("source") == "aws.events":
        return wiring.outcome_policy(metrics).run_schedule("stuck-order sweep", orders.stuck_order_sweep(metrics).run)
    return app.resolve(event, context)
