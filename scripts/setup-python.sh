#!/usr/bin/env bash
# Create ./.venv with the MLflow used as upstream and as client in the tests (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
MLFLOW_SPEC='mlflow[auth]==3.17.2'
if [ -x .venv/bin/python ] && .venv/bin/python -c 'import mlflow, flask_wtf, psycopg2; assert mlflow.__version__ == "3.17.2"' 2>/dev/null; then
  exit 0
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet "$MLFLOW_SPEC" requests psycopg2-binary
