# mesoshim: a Mesos-compatible master that runs tasks as Kubernetes pods.
# Runs in-cluster by default (service account credentials); give --kubeconfig to point elsewhere.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/mesoshim
COPY pyproject.toml README.md ./
COPY kubesim ./kubesim
COPY mesoshim ./mesoshim
COPY scheduler_api ./scheduler_api
COPY executor ./executor
RUN pip install --no-cache-dir .

RUN useradd --system --uid 10001 mesoshim
USER 10001
EXPOSE 5050
ENTRYPOINT ["mesoshim", "serve", "--host", "0.0.0.0"]
