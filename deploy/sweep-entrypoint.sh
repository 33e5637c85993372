#!/bin/sh
# One shard of a sweep, in one pod of a Kubernetes Indexed Job (deploy/k8s/sweep-job.yaml): the
# pod's JOB_COMPLETION_INDEX picks the shard, its results go to its own folder on the shared volume.
# A retried pod resumes its shard (--resume keeps the runs it had finished).
#   SWEEP    the sweep file, e.g. experiments/sweeps/hpa-twitter.json
#   SHARDS   how many shards (the Job's completions)
#   RESULTS  the shared volume (default /results); this shard writes RESULTS/shard-<index>
#   WORKERS  runs at once in this pod (default 1: match the pod's CPU request)
set -eu
: "${SWEEP:?set SWEEP to the sweep file}"
: "${SHARDS:?set SHARDS to the number of shards, the Job's completions}"
: "${JOB_COMPLETION_INDEX:?set by an Indexed Job (completionMode: Indexed)}"
RESULTS="${RESULTS:-/results}"
SERVESIM="${SERVESIM:-$(dirname "$0")/../bin/servesim.js}"
exec node "$SERVESIM" sweep "$SWEEP" --shard "$JOB_COMPLETION_INDEX/$SHARDS" --out "$RESULTS/shard-$JOB_COMPLETION_INDEX" --workers "${WORKERS:-1}" --resume --quiet
