#!/usr/bin/env bash
# Build the image, start it with MedQuAD mounted, wait until healthy, ask /ask once, and print
# the image size and the time from start to healthy (one JSON line). Too slow for CI.
#   MEDQUAD=../shared/datasets/MedQuAD docker/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
medquad=$(realpath "${MEDQUAD:-../shared/datasets/MedQuAD}")
port=${PORT:-7861}
docker build -t medground:smoke .
docker rm -f medground-smoke >/dev/null 2>&1 || true
start=$(date +%s)
docker run -d --name medground-smoke -p "$port:7860" -v "$medquad:/medquad:ro" \
    medground:smoke python -m app --host 0.0.0.0 --source /medquad >/dev/null
trap 'docker rm -f medground-smoke >/dev/null 2>&1 || true' EXIT
while [ "$(docker inspect -f '{{.State.Health.Status}}' medground-smoke)" != healthy ]; do
    if [ "$(docker inspect -f '{{.State.Running}}' medground-smoke)" != true ]; then
        docker logs medground-smoke | tail -30
        exit 1
    fi
    sleep 5
done
healthy=$(( $(date +%s) - start ))
answer=$(python3 -c "
from gradio_client import Client
r = Client('http://127.0.0.1:$port/', verbose=False).predict('How is gout treated?', [], '', api_name='/ask')
print(r['mode'], len(r['citations']), 'citations', 'error:' + (r['error'] or 'none'))")
size=$(docker image inspect medground:smoke -f '{{.Size}}')
echo "{\"image_mb\": $((size / 1048576)), \"seconds_to_healthy\": $healthy, \"ask\": \"$answer\"}"
