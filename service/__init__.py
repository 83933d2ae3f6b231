"""`policy serve`: decisions, the policy and (with a database) the ledger over HTTP.

A room on top of the engine (``interpreter``, ``dsl``) and the population
tools (batch, real-name checks); nothing below imports it. The application is
built by ``service.app.create_app`` from ``Settings``: one policy, loaded and
compiled once per worker process, shared by every request of that process.

Modules:
  settings     what `policy serve` was asked for, passed to each worker process
  state        what one worker process holds: the policy, its evaluator, the log
  models       typed models of the JSON the command line writes (OpenAPI)
  problems     errors as application/problem+json (RFC 9457)
  decisions    POST /v1/decisions, POST /v1/decisions:batch
  resources    GET /v1/policy…, /v1/schema/case, /v1/catalogs/{id}
  operations   /healthz, /readyz, /metrics, request metrics and headers
  decisionlog  one JSON line per decision, replayable
  front        the ASGI application uvicorn runs: POST /v1/decisions, then FastAPI
  app          the FastAPI application; later rooms (the officer pages) mount here
"""
