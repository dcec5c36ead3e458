#!/usr/bin/env bash
# The main job on a fresh machine: a real MLflow server on 127.0.0.1:5001 (no auth of its own)
# and mlauth's basic-auth app in front of it on 127.0.0.1:5000, with an embedded SQLite user
# store. Prints how to log in. Ctrl-C stops both.
#
#   ./scripts/demo.sh                 # state kept in ./.demo (MLAUTH_DEMO_DIR to change)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo=${MLAUTH_DEMO_DIR:-$root/.demo}
mlflow_port=${MLFLOW_PORT:-5001}
mlauth_port=${MLAUTH_PORT:-5000}

rustup target add wasm32-wasip2 >/dev/null
./scripts/setup-system.sh
./scripts/setup-python.sh
cargo build --release -p mlauth

mkdir -p "$demo"
if [ ! -f "$demo/admin-password" ]; then
  head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$demo/admin-password"
  chmod 600 "$demo/admin-password"
fi
admin_password=$(cat "$demo/admin-password")
cat > "$demo/basic_auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///$demo/basic_auth.db
admin_username = admin
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI

.venv/bin/mlflow server --workers 1 --host 127.0.0.1 --port "$mlflow_port" \
  --backend-store-uri "sqlite:///$demo/mlflow.db" --artifacts-destination "$demo/artifacts" \
  > "$demo/mlflow.log" 2>&1 &
mlflow_pid=$!
trap 'kill $mlflow_pid 2>/dev/null || true; pkill -P $mlflow_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$mlflow_port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$mlflow_port/health" >/dev/null || { echo "mlflow did not start; see $demo/mlflow.log" >&2; exit 1; }

cat <<MSG

  MLflow (no auth, loopback only):  http://127.0.0.1:$mlflow_port
  mlauth basic-auth gateway:        http://127.0.0.1:$mlauth_port
  Log in as:                        admin / $admin_password   (stored in $demo/admin-password)

  export MLFLOW_TRACKING_URI=http://127.0.0.1:$mlauth_port
  export MLFLOW_TRACKING_USERNAME=admin MLFLOW_TRACKING_PASSWORD='$admin_password'

MSG
MLFLOW_AUTH_CONFIG_PATH="$demo/basic_auth.ini" MLFLOW_AUTH_ADMIN_PASSWORD="$admin_password" \
  target/release/mlauth run --app-name basic-auth --upstream "http://127.0.0.1:$mlflow_port" \
  --host 127.0.0.1 --port "$mlauth_port"
