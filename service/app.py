"""The FastAPI application of `policy serve`, behind its front.

``create_app()`` is uvicorn's factory: each worker process calls it once, loads
and compiles the policy once, and keeps it for every request. What uvicorn
runs is ``front.Front``: it answers POST /v1/decisions itself and hands every
other request to the FastAPI application built here. The routers are
rooms: decisions, the policy as a resource, operations, and (with a database)
the ledger. The officer pages of the next issue are one more router (or a
mounted sub-application under ``/ui``) added in ``ROOMS``/``mount``, on the same
``Service`` and the same ``auth.Principal``.
"""

from __future__ import annotations

import gc
import json

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import web

from . import applications, decisions, operations, problems, resources
from .front import Front
from .models import BatchEnd, BatchLine, BatchReject, Problem
from .settings import Settings
from .state import Service

ROOMS = (decisions.router, resources.router, applications.router, operations.router)


def create_app(settings: Settings | None = None, policy=None) -> Front:
    worker = settings is None  # uvicorn's factory call: a worker process starting
    settings = settings or Settings.from_env()
    service = Service(settings, policy)
    doc = service.policy.document
    app = FastAPI(
        title=f"policy serve — {doc.number}",
        version=resources._version(),
        description=(
            f"Decisions under {doc.number} {doc.title}, explained and cited; the "
            "policy as a resource; with a database, the ledger. Errors are "
            "application/problem+json. Every response carries the policy's id and "
            "hash in the Policy-Id and Policy-Hash headers."
        ),
    )
    app.state.service = service
    for router in ROOMS:
        app.include_router(router)
    web.mount(app)  # the officer pages, /ui/ (the web room)
    problems.install(app)
    app.add_middleware(
        operations.BodyLimit,
        other_bytes=settings.max_case_bytes,
        batch_bytes=settings.max_batch_bytes,
        batch_path="/v1/decisions:batch",
    )
    app.add_middleware(operations.RequestMetrics, headers=operations.policy_headers(service.policy))
    # FastAPI's documented way to give the schema of one's own: replace the method
    app.openapi = lambda: _openapi(app, service)  # type: ignore[method-assign]
    if worker:
        # The worker keeps its policy, its compiled code and its application
        # until it ends: moved out of the garbage collector's way, as `policy
        # batch` does with its policy, so that the collections a batch's cases
        # cause do not walk them again and again (not for an application built
        # in a test process, which builds many)
        gc.freeze()
    return Front(app, service)


def _openapi(app: FastAPI, service: Service) -> dict:
    """FastAPI's document, plus the schemas it cannot see: the case (generated
    from the policy's facts, as `policy schema` prints it) and the lines of a
    batch answer."""
    if app.openapi_schema:
        return app.openapi_schema
    from interpreter.cases import case_schema

    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    case = {k: v for k, v in case_schema(service.policy).items() if k not in ("$schema", "$id")}
    components["Case"] = case
    for model in (BatchLine, BatchReject, BatchEnd, Problem):
        schema = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
        for name, sub in schema.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components[model.__name__] = schema
    # a bad parameter is a 400 problem here, not FastAPI's 422 validation error
    for path_item in spec.get("paths", {}).values():
        for op in path_item.values():
            responses = op.get("responses", {})
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                del responses["422"]
                responses.setdefault(
                    "400",
                    {
                        "description": "a bad parameter",
                        "content": {
                            "application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/Problem"}
                            }
                        },
                    },
                )
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    spec["info"]["x-policy"] = {"id": service.policy.document.id, "hash": service.policy.hash}
    app.openapi_schema = spec
    return spec
