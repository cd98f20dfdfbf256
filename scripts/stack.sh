#!/usr/bin/env bash
# One production topology on this machine (issue 16): PostgreSQL, Redis, gunicorn with N workers, M Celery
# workers and one celery beat, on the database platform_stack with the reference and demo data.
#
#   scripts/stack.sh [start]   start (or reuse what is already up), wait for /health, print the URL
#   scripts/stack.sh stop      stop gunicorn, the Celery workers and beat (PostgreSQL and Redis stay up)
#   scripts/stack.sh status    which processes run, and /health
#
# Settings (environment): STACK_PORT (8000), STACK_WORKERS (gunicorn workers, 4), STACK_CELERY (Celery worker
# processes, 2), STACK_DB (platform_stack), STACK_REDIS_URL (redis://127.0.0.1:6379/0: the broker),
# STACK_RATELIMIT_URI (the limiter's counters, default the broker's Redis), STACK_DIR (instance folder:
# uploads, logs, pid files; instance/stack).  The secret key is made once and kept in $STACK_DIR/stack.env,
# which every process of the stack (and `make stack-e2e`) reads.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PORT="${STACK_PORT:-8000}"
WORKERS="${STACK_WORKERS:-4}"
CELERY_WORKERS="${STACK_CELERY:-2}"
DB="${STACK_DB:-platform_stack}"
REDIS="${STACK_REDIS_URL:-redis://127.0.0.1:6379/0}"
LIMITS="${STACK_RATELIMIT_URI:-$REDIS}"
DIR="${STACK_DIR:-$ROOT/instance/stack}"
PG_HOST=127.0.0.1
BIN="$ROOT/.venv/bin"
RUN="$DIR/run"
LOGS="$DIR/logs"

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

stop() {
  for pidfile in "$RUN"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    if alive "$pidfile"; then
      pid="$(cat "$pidfile")"  # read once: a process removes its own pid file as it ends
      kill -TERM "$pid" && echo "stopping $(basename "$pidfile" .pid) ($pid)"
    fi
  done
  for pidfile in "$RUN"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    for _ in $(seq 1 30); do alive "$pidfile" || break; sleep 1; done
    if alive "$pidfile"; then kill -KILL "$(cat "$pidfile")"; fi
    rm -f "$pidfile"
  done
  echo "stack stopped (PostgreSQL and Redis left running)"
}

status() {
  for pidfile in "$RUN"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    if alive "$pidfile"; then echo "up    $(basename "$pidfile" .pid) ($(cat "$pidfile"))"
    else echo "down  $(basename "$pidfile" .pid)"; fi
  done
  curl -s "http://127.0.0.1:$PORT/health" && echo || echo "no answer on port $PORT"
}

services() {
  if ! pg_isready -h "$PG_HOST" -p 5432 -q 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 1 30); do pg_isready -h "$PG_HOST" -p 5432 -q && break; sleep 1; done
  fi
  echo "PostgreSQL up on $PG_HOST:5432"
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  echo "Redis up on 127.0.0.1:6379"
}

environment() {
  mkdir -p "$RUN" "$LOGS" "$DIR/uploads"
  if [[ ! -f "$DIR/stack.env" ]]; then
    local key
    key="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
    cat > "$DIR/stack.env" <<EOF
DATABASE_URL=postgresql+psycopg://postgres@$PG_HOST:5432/$DB
REDIS_URL=$REDIS
RATELIMIT_STORAGE_URI=$LIMITS
INSTANCE_DIR=$DIR
SECRET_KEY=$key
PUBLIC_BASE_URL=http://127.0.0.1:$PORT
STACK_URL=http://127.0.0.1:$PORT
EOF
    chmod 600 "$DIR/stack.env"
  fi
  set -a
  # shellcheck disable=SC1091
  source "$DIR/stack.env"
  set +a
  export FLASK_APP=app:create_app PYTHONPATH="$ROOT"
}

start() {
  services
  environment
  if ! psql -h "$PG_HOST" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" \
      | grep -q 1; then
    psql -h "$PG_HOST" -U postgres -d postgres -qc "CREATE DATABASE $DB"
    echo "database $DB created"
  fi
  # migrations once, before any app server or worker starts (running them twice changes nothing)
  "$BIN/flask" db upgrade >"$LOGS/migrate.log" 2>&1 || { tail -20 "$LOGS/migrate.log"; exit 1; }
  "$BIN/flask" reference >>"$LOGS/migrate.log" 2>&1
  "$BIN/flask" demo >>"$LOGS/migrate.log" 2>&1
  echo "database $DB migrated, reference and demo data loaded"

  if alive "$RUN/gunicorn.pid"; then
    echo "gunicorn already running ($(cat "$RUN/gunicorn.pid"))"
  else
    "$BIN/gunicorn" --bind "127.0.0.1:$PORT" --workers "$WORKERS" --timeout 120 --daemon \
      --pid "$RUN/gunicorn.pid" --access-logfile "$LOGS/access.log" --error-logfile "$LOGS/gunicorn.log" \
      'app.wsgi:app'
    echo "gunicorn started: $WORKERS workers on 127.0.0.1:$PORT"
  fi
  for i in $(seq 1 "$CELERY_WORKERS"); do
    if alive "$RUN/celery-$i.pid"; then
      echo "celery worker $i already running ($(cat "$RUN/celery-$i.pid"))"
    else
      "$BIN/celery" -A app.worker worker --detach --concurrency=1 --hostname "stack$i@%h" --without-gossip \
        --without-mingle --loglevel=info --pidfile "$RUN/celery-$i.pid" --logfile "$LOGS/celery-$i.log"
      echo "celery worker $i started"
    fi
  done
  # one beat for the whole installation: two would send every reminder twice
  if alive "$RUN/beat.pid"; then
    echo "celery beat already running ($(cat "$RUN/beat.pid"))"
  else
    "$BIN/celery" -A app.worker beat --detach --pidfile "$RUN/beat.pid" --logfile "$LOGS/beat.log" \
      --schedule "$RUN/celerybeat-schedule" --loglevel=info
    echo "celery beat started"
  fi

  # every worker imports the application (and syncs the roles) before it answers: this takes a while
  for _ in $(seq 1 300); do
    health="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health" || true)"
    [[ "$health" == 200 ]] && break
    sleep 1
  done
  if [[ "$health" != 200 ]]; then
    echo "/health did not answer 200 (last: $health); logs in $LOGS" >&2
    exit 1
  fi
  for _ in $(seq 1 120); do  # the job backend answers once the Celery workers are ready
    curl -s "http://127.0.0.1:$PORT/health" | grep -q "\"workers\": *$CELERY_WORKERS\|\"workers\":$CELERY_WORKERS" \
      && break
    sleep 1
  done
  echo "health: $(curl -s "http://127.0.0.1:$PORT/health" | tr -d '\n')"
  echo
  echo "the platform runs at http://127.0.0.1:$PORT/  (demo accounts: password Demo@2026)"
  echo "stop it with: make stack-stop   (or scripts/stack.sh stop); logs and pid files in $DIR"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
