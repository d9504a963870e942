# hoststand: one instance per container; configure it with HOSTSTAND_* environment variables
# (docs/OPERATIONS.md). Run `hoststand migrate` once per deploy before starting new instances.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOSTSTAND_ENV=production \
    HOSTSTAND_HOST=0.0.0.0
RUN useradd --system --uid 10001 --create-home --home-dir /app hoststand
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER hoststand
WORKDIR /app
# `hoststand serve` listens on $PORT when the platform sets it, else 8000.
EXPOSE 8000
# SIGTERM: stop accepting, close sockets with 1012, finish requests in flight.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('HOSTSTAND_PORT') or os.environ.get('PORT') or 8000}/healthz\", timeout=2)"]
CMD ["hoststand", "serve", "--no-migrate"]
