"""token-refresh: the only code that mints provider tokens.

Three event shapes: the schedule (mint what is due), refresh requests from workers on the FIFO
TokenRefreshQueue, and the admin route POST /tokens/refresh (mint now).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shipsync.config import TokenRefreshSettings
from shipsync.errors import ShipsyncError
from shipsync.services.token_refresh import (
    PROVIDERS,
    MintBudgetExhausted,
    MintedZohoToken,
    RefreshRequest,
    ShiprocketLogin,
    TokenRefresher,
    ZohoMint,
)

logger = Logger(service="token-refresh")
metrics = Metrics(namespace="shipsync", service="token-refresh")
tracer = Tracer(service="token-refresh")
app = APIGatewayRestResolver()


def minters(settings: TokenRefreshSettings) -> tuple[ShiprocketLogin, ZohoMint]:
    from shipsync.clients.auth import shiprocket_login, zoho_refresh_access_token
    from shipsync.clients.http import timeout_from_settings

    timeout = timeout_from_settings(settings)

    def login(email: str, password: str) -> str:
        return shiprocket_login(settings.shiprocket_base_url, email, password, timeout=timeout)

    def mint(accounts_url: str, client_id: str, client_secret: str, refresh_token: str) -> MintedZohoToken:
        return zoho_refresh_access_token(accounts_url, client_id, client_secret, refresh_token, timeout=timeout)

    return login, mint


def refresher() -> TokenRefresher:
    from shipsync.adapters.alerts import SnsAlerts
    from shipsync.adapters.secrets import SecretWriter
    from shipsync.wiring import PowertoolsMetricsSink

    settings = TokenRefreshSettings.from_env()
    login, mint = minters(settings)
    return TokenRefresher(
        SecretWriter(settings),
        shiprocket_login=login,
        zoho_mint=mint,
        settings=settings,
        alerts=SnsAlerts(settings.ops_topic_arn, stage=settings.stage),
        metrics=PowertoolsMetricsSink(metrics),
        correlation_id=logger.get_correlation_id,
    )


@app.post("/tokens/refresh")
def force_refresh() -> tuple[dict[str, Any], int]:
    try:
        body = json.loads(app.current_event.decoded_body or "{}")
    except ValueError:
        raise BadRequestError("body: not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequestError("body: must be a JSON object")
    provider = body.get("provider", "all")
    if provider != "all" and provider not in PROVIDERS:
        raise BadRequestError(f"provider: must be one of {', '.join(PROVIDERS)}, all")
    service = refresher()
    tokens: dict[str, Any] = {}
    errors: dict[str, ShipsyncError] = {}
    for name in PROVIDERS if provider == "all" else (provider,):
        try:
            tokens[name] = service.force(name).as_dict()
        except ShipsyncError as exc:
            errors[name] = exc
    if not errors:
        return {"tokens": tokens}, 200
    status = 429 if all(isinstance(exc, MintBudgetExhausted) for exc in errors.values()) else 502
    return {"tokens": tokens, "errors": {name: str(exc) for name, exc in errors.items()}}, status


def on_refresh_request(record: SQSRecord) -> dict[str, Any]:
    logger.set_correlation_id(record.message_id)
    request = RefreshRequest.model_validate_json(record.body)
    return refresher().handle_request(request.provider, request.seen_version, request.reason).as_dict()


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
        return {"tokens": [outcome.as_dict() for outcome in refresher().refresh_due()]}
    raise ValueError("unrecognised event: expected SQS records, an API Gateway request or a schedule")
