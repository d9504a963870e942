"""Open routes for load balancers and monitoring: /healthz, /readyz, /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hoststand.api import responses
from hoststand.api.deps import RuntimeDep
from hoststand.api.models import HealthOut, ReadyOut
from hoststand.metrics import CONTENT_TYPE_LATEST
from hoststand.store import failures, migrate

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> Response:
    """The process is alive."""
    return responses.JSON({"status": "ok"})


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "Not ready: the checks say why"}},
)
async def readyz(runtime: RuntimeDep) -> Response:
    """Ready when the database answers and is migrated; `degraded` while the broker is down."""
    checks: dict[str, str] = {}
    try:
        async with runtime.ctx.db.read() as conn:
            schema = await migrate.schema_state(conn)
        checks["database"], checks["schema"] = "ok", schema
    except Exception as exc:
        checks["database"] = failures.describe(exc)
    broker_ok = runtime.ctx.broker.healthy
    checks["broker"] = "ok" if broker_ok else "unreachable: events are read from the log"
    if checks["database"] != "ok" or checks.get("schema") != "ok":
        status, code = "unavailable", 503
    elif not runtime.hub.accepting:
        status, code = "shutting_down", 503
    else:
        status, code = ("ok", 200) if broker_ok else ("degraded", 200)
    return responses.JSON({"status": status, "checks": checks}, status_code=code)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus text format."""
    runtime.ctx.metrics.broker_up.set(1 if runtime.ctx.broker.healthy else 0)
    return Response(runtime.ctx.metrics.render(), media_type=CONTENT_TYPE_LATEST)
