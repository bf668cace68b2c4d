"""cod-remittance: Shiprocket COD remittances (posted JSON batch or panel CSV) -> Zoho Books payments, and the
wallet statement (the API's, or the panel's CSV export) -> Zoho Books expenses and journals.

Two event sources: the API routes (authenticate, validate the whole upload, queue one message per batch or per
chunk of statement rows, 202) and the RemittanceQueue worker (a batch: balance check and fan-out; an order: one
payment, exactly once; statement rows: the wallet watch's pages and bookings, once per transaction), with partial
batch failures; plus the remittance poll and the wallet watch schedules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shipsync import wiring
from shipsync.remittance import wiring as remittance
from shipsync.request_body import read_text
from shipsync.routes import WebhookRejected, authenticate, json_response, register_error_handlers

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


@app.post("/webhooks/wallet-statement")
@tracer.capture_method
def wallet_statement_upload() -> Response[Any]:
    """The panel's wallet statement export (CSV), validated whole, queued in chunks for the wallet watch."""
    from datetime import datetime

    from shipsync.domain.india import IST
    from shipsync.freight.statement_csv import InvalidStatement, read_statement_csv
    from shipsync.remittance.messages import wallet_rows_messages
    from shipsync.request_body import check_text

    event = app.current_event
    authenticate(event.headers.get("x-api-key"), wiring.webhook_secret("remittance_webhook"))
    text = read_text(event, remittance.settings().max_body_bytes)
    try:
        check_text(text, "rows")
        rows = read_statement_csv(text)
    except InvalidStatement as err:
        raise WebhookRejected(400, str(err), err.field) from None
    received_on = datetime.now(IST).date()
    # Sent in file order; a send that fails leaves the chunks before it queued, and the seller's retry repeats them
    # harmlessly (each transaction is claimed once).
    queued = [
        {"message_id": remittance.enqueue_remittance(message), "rows": len(message.rows)}
        for message in wallet_rows_messages(rows, received_on)
    ]
    logger.info("wallet statement queued", extra={"rows": len(rows), "messages": len(queued)})
    return json_response(202, {"status": "queued", "rows": len(rows), "messages": queued})


@app.get("/admin/margin")
@tracer.capture_method
def margin_report() -> Response[Any]:
    """What each order earned less its freight (freight.margin), over the last ``days`` (default 7): JSON in paise,
    or ``format=csv``, one row per order in rupees. Read-only; IAM-authenticated when deployed."""
    from datetime import datetime

    from shipsync.domain.india import IST
    from shipsync.freight import wiring as freight
    from shipsync.freight.margin import to_csv

    query = app.current_event.query_string_parameters or {}
    answer_format = query.get("format", "json")
    if answer_format not in ("json", "csv"):
        raise WebhookRejected(400, "format must be json or csv", "format")
    try:
        start, end = freight.report_period(query.get("days"), datetime.now(IST).date())
    except ValueError as err:
        raise WebhookRejected(400, str(err), "days") from None
    if answer_format == "csv":
        report, _ = freight.margin(start, end)
        return Response(status_code=200, content_type="text/csv; charset=utf-8", body=to_csv(report))
    return json_response(200, freight.margin_document(start, end))


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
