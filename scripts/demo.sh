#!/usr/bin/env bash
# `make demo`: start the local Neo4j, generate and load the demo data (once), scan it,
# create the demo login and serve the app through waitress on http://$HOST:$PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DEMO_DIR=${DEMO_DIR:-var/demo-data}
DEMO_PERSONS=${DEMO_PERSONS:-3000}
DEMO_TRANSFERS=${DEMO_TRANSFERS:-100000}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}

if [ -z "${NEO4J_URI:-}" ]; then
  $PY -m graph start
fi
if [ ! -f "$DEMO_DIR/ground_truth.json" ]; then
  echo "generating demo data in $DEMO_DIR ($DEMO_PERSONS persons, $DEMO_TRANSFERS transfers)"
  $PY -m synth generate "$DEMO_DIR" --seed 7 --persons "$DEMO_PERSONS" --transfers "$DEMO_TRANSFERS" --realistic
fi
# Only a complete load counts: a failed or killed one (or one still running) is not the data;
# `ingest load` resumes an unfinished load of the same folder under its id.
if ! $PY -m ingest loads --status complete | grep -qF "$(cd "$DEMO_DIR" && pwd)"; then
  echo "loading demo data"
  $PY -m ingest load "$DEMO_DIR" --rejects var/demo-rejects --summary-json var/demo-load.json
fi
AS_OF=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['as_of'])" "$DEMO_DIR/ground_truth.json")
export FLASK_APP=app.py
$PY -m flask --app app scan --as-of "$AS_OF"
$PY -m flask --app app users create-demo
echo
echo "Open http://$HOST:$PORT in a browser (stop with Ctrl-C; 'make neo4j-stop' stops the database)."
# Served by waitress, a production WSGI server (never Flask's development server).
exec $PY -m waitress --host "$HOST" --port "$PORT" --threads "${THREADS:-8}" --call app:create_app
