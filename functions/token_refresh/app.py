"""token-refresh: the only code that mints provider tokens.

Three event shapes: the schedule (mint what is due), refresh requests from workers on the FIFO
TokenRefreshQueue, and the admin route POST /tokens/refresh (mint now).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shipsync import wiring
from shipsync.errors import ShipsyncError
from shipsync.request_body import read_text
from shipsync.routes import json_response, register_error_handlers
from shipsync.tokens import wiring as tokens
from shipsync.tokens.intake import MAX_BODY_BYTES, parse_force_refresh
from shipsync.tokens.refresher import MintBudgetExhausted

logger = Logger(service="token-refresh")
metrics = Metrics(namespace="shipsync", service="token-refresh")
tracer = Tracer(service="token-refresh")
app = APIGatewayRestResolver()


@app.post("/tokens/refresh")
def force_refresh() -> Response[Any]:
    request = parse_force_refresh(read_text(app.current_event, MAX_BODY_BYTES))
    service = tokens.refresher(metrics, logger)
    minted: dict[str, Any] = {}
    errors: dict[str, ShipsyncError] = {}
    for name in request.providers():
        try:
            minted[name] = service.force(name).as_dict()
        except ShipsyncError as exc:
            errors[name] = exc
    if not errors:
        return json_response(200, {"tokens": minted})
    status = 429 if all(isinstance(exc, MintBudgetExhausted) for exc in errors.values()) else 502
    return json_response(status, {"tokens": minted, "errors": {name: str(exc) for name, exc in errors.items()}})


register_error_handlers(app, logger, lambda: wiring.outcome_policy(metrics))


@tracer.capture_method
def on_refresh_request(record: SQSRecord) -> object:
    logger.set_correlation_id(record.message_id)
    return tokens.refresh_worker(metrics, logger)(record)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        # Imported here: the batch utility costs ~60 ms of cold start the other paths never need.
        from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

        # Message groups are providers: a failing Zoho request holds back later Zoho requests only.
        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        # A failed mint is already paged and counted (TokenRefreshFailed): report it like any partial
        # failure instead of failing the invocation, so the response always has the batchItemFailures shape.
        processor.raise_on_entire_batch_failure = False
        return dict(process_partial_response(event, on_refresh_request, processor, context))
    if "httpMethod" in event:
        return app.resolve(event, context)
    if event.get("source") == "aws.events" or event.get("refresh") == "scheduled":
        logger.set_correlation_id(event.get("id"))
        refresher = tokens.refresher(metrics, logger)
        return wiring.outcome_policy(metrics).run_schedule(
            "token refresh", lambda: {"tokens": [outcome.as_dict() for outcome in refresher.refresh_due()]}
        )
    raise ValueError("unrecognised event: expected SQS records, an API Gateway request or a schedule")
