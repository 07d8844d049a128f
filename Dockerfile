# TopstepQuant appliance image: the same hash-pinned lock as development, no compilers at run time.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc g++ make \
 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
# quickfix compiles from source here (about 8 minutes on 2 cores); later builds reuse the layer.
RUN uv venv /opt/venv && uv pip sync --python /opt/venv/bin/python requirements.lock
COPY setup.py ./
COPY bot ./bot
COPY fix ./fix
# setup.py compiles the book's hot paths with mypyc (mypy from [build-system] requires, gcc from
# above) into the wheel; the runtime stage needs no compiler.  The build log says if it fell back.
RUN uv pip install --python /opt/venv/bin/python --no-deps . \
 && /opt/venv/bin/python -P -c 'from bot import _native; print(_native.status()); assert _native.compiled()'

FROM python:3.11-slim-bookworm
COPY --from=build /opt/venv /opt/venv
RUN useradd --system --create-home --home-dir /var/lib/topstep-quant topstep
USER topstep
WORKDIR /var/lib/topstep-quant
ENV PATH=/opt/venv/bin:$PATH \
    STATE_DIR=/var/lib/topstep-quant/state \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["topstep-quant"]
CMD ["--help"]
