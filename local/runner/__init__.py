"""Runs a SAM template's functions in-process: API Gateway routes, SQS event sources, schedules.

The runner reads ``AWS::Serverless::Function`` resources with standard SAM semantics
(Globals merged into each function), imports each handler from ``<CodeUri>/<module>.py``
with the layers on ``sys.path``, and drives it the way Lambda would:

- ``Api`` events: a ThreadingHTTPServer on 127.0.0.1 turns requests into API Gateway REST
  (v1) proxy events. Unknown routes answer 403 "Missing Authentication Token"; ``AWS_IAM``
  routes take ``Authorization: Bearer <admin token>`` locally; a handler exception is a 502.
- ``SQS`` events: poller threads (``ScalingConfig.MaximumConcurrency``, one for FIFO queues)
  with the template's batch size and ``ReportBatchItemFailures``; failed messages come back
  after a short local delay so moto's redrive moves them to the DLQ after ``maxReceiveCount``.
- ``Schedule`` events: fired on demand (``fire_schedule``) or, with a ``time_scale``, at
  their rate divided by it.

Handlers share one process, so the union of every function's environment is put into
``os.environ`` once; two functions that need different values for one name are rejected.
Moto must be running first (``local.aws.MotoServer.acquire()``).
"""

from __future__ import annotations

from local.runner.core import Runner
from local.runner.specs import ApiRoute, FunctionSpec, Handler, LambdaContext, RunnerMetrics, Schedule, SqsSource

__all__ = [
    "ApiRoute",
    "FunctionSpec",
    "Handler",
    "LambdaContext",
    "Runner",
    "RunnerMetrics",
    "Schedule",
    "SqsSource",
]
