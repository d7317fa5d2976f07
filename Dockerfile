# Two stages: build the virtualenv (CPU torch), then run as a non-root user with nothing but the venv.
FROM python:3.11-slim AS build
WORKDIR /app
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir --upgrade pip
# The CPU build of torch first, from PyTorch's CPU index: PyPI's wheel is the GB-sized CUDA build.
RUN /venv/bin/pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY service ./service
COPY workers ./workers
RUN /venv/bin/pip install --no-cache-dir .
# Bake a Detoxify model into the image so the running service needs no network:
#   docker build --build-arg MODEL=original .     (no MODEL: the offline fallback scorer only)
ARG MODEL=
ENV MODERATION_MODEL_DIR=/models
RUN mkdir -p /models && if [ -n "$MODEL" ]; then /venv/bin/moderation models pull "$MODEL"; fi

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 moderation && mkdir -p /data && chown moderation /data
COPY --from=build /venv /venv
COPY --from=build /models /models
ENV PATH=/venv/bin:$PATH \
    MODERATION_MODEL_DIR=/models \
    MODERATION_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
USER moderation
WORKDIR /data
EXPOSE 8000
# One container runs everything (embedded Redis + SQLite). To scale out, run `moderation web`,
# `moderation worker --queue score|webhooks` and `moderation beat` as separate services (compose.yaml).
CMD ["moderation", "run", "--host", "0.0.0.0", "--port", "8000"]
