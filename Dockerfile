# TopstepQuant appliance image: the same hash-pinned lock as development, no compiler at run time.
#   docker build -t topstep-quant:local .            (BASE_IMAGE: any Debian 12 Python 3.11 image)
# Stages: toolchain -> quickfix (compiles QuickFIX, about 10 minutes on 2 cores, cached on its
# pinned lines of the lock alone) -> build (the rest of the lock, then the project with its mypyc
# core) -> runtime (the venv only, a non-root user, a HEALTHCHECK).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS toolchain
# The base image's Debian release pins the compiler's version; g++ also brings gcc for mypyc.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make \
 && rm -rf /var/lib/apt/lists/*
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_NO_CACHE=1 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1

# quickfix's lines of the lock (version and hashes), so the next stage's cache key is those alone.
FROM toolchain AS pins
COPY requirements.lock /tmp/requirements.lock
RUN awk '/^quickfix==/ {p = 1; print; next} p && /^ +--hash/ {print; next} {p = 0}' \
        /tmp/requirements.lock > /tmp/quickfix.req \
 && grep -q '^quickfix==' /tmp/quickfix.req

# The compiled wheel also stays in a build cache mount (uv's cache), for builders whose layer
# cache does not key `COPY --from` on content (buildah): a rebuild of this layer then takes seconds.
FROM toolchain AS quickfix
COPY --from=pins /tmp/quickfix.req /tmp/quickfix.req
RUN --mount=type=cache,target=/root/.cache/uv,id=topstep-quant-uv \
    uv venv /opt/venv \
 && env -u UV_NO_CACHE uv pip sync --python /opt/venv/bin/python /tmp/quickfix.req

FROM quickfix AS build
WORKDIR /src
COPY requirements.lock ./
# Everything else in the lock, hash-checked; the compiled quickfix above is kept as it is.
RUN uv pip sync --python /opt/venv/bin/python requirements.lock
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY fix ./fix
# setup.py compiles the book's and the matching engine's hot paths with mypyc into the wheel.
RUN uv pip install --python /opt/venv/bin/python --no-deps . \
 && /opt/venv/bin/python -P -c \
    'from bot import _native; print(_native.status()); assert _native.compiled()'

FROM ${BASE_IMAGE} AS runtime
# A numeric user, so a runtime (or Kubernetes' runAsNonRoot) can tell it is not root; the state
# directory exists in the image so a new volume mounted there belongs to that user.
RUN useradd --uid 10001 --user-group --create-home --home-dir /var/lib/topstep-quant \
    --shell /usr/sbin/nologin topstep \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/topstep-quant/state
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /var/lib/topstep-quant
ENV PATH=/opt/venv/bin:$PATH \
    STATE_DIR=/var/lib/topstep-quant/state \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# The running bot: heartbeat fresh and FIX logged on, read from its own /metrics (METRICS_PORT).
# Services of this image that are not the bot (the exchange simulator) set their own check.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["topstep-quant", "health"]
ENTRYPOINT ["topstep-quant"]
CMD ["--help"]
