# CUDA 12 + cuDNN 9 runtime so CTranslate2 runs on an NVIDIA GPU; without one it runs on the CPU.
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04

ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3-pip \
    && rm -rf /var/lib/apt/lists/* \
    && python3.11 -m venv /opt/podium
ENV PATH=/opt/podium/bin:$PATH

WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY web ./web
COPY benchmarks ./benchmarks
RUN pip install '.[multilingual]'

# Answers and progress live here; mount a volume to keep them.
ENV PODIUM_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
ENTRYPOINT ["podium", "serve", "--host", "0.0.0.0"]
