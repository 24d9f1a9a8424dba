#!/usr/bin/env bash
# Stops exactly the processes test/cluster/up.sh started (pid files in $KD_CLUSTER_DIR/pids, checked
# against the process's command line so a reused pid is never signalled) and removes the run
# directory (etcd data, certificates). With --keep-logs the logs/ directory is kept for debugging.
set -uo pipefail
RUN="${KD_CLUSTER_DIR:-/dev/shm/kubedispatch-cluster}"
KEEP_LOGS=0
[ "${1:-}" = "--keep-logs" ] && KEEP_LOGS=1
[ -d "$RUN" ] || exit 0

ours() { # pid name: is this pid still the process up.sh started?
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qE -- "/$2(\.mjs)? "
}
# Reverse start order: kwok and the controllers first, etcd last.
for name in kwok-helper kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$RUN/pids/$name.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  if ours "$pid" "$name"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do ours "$pid" "$name" || break; sleep 0.1; done
    if ours "$pid" "$name"; then kill -KILL "$pid" 2>/dev/null; echo "down.sh: $name ($pid) killed" >&2; fi
  fi
  rm -f "$f"
done
if [ "$KEEP_LOGS" = 1 ]; then
  find "$RUN" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  echo "down.sh: stopped; logs kept in $RUN/logs" >&2
else
  rm -rf "$RUN"
  echo "down.sh: stopped and removed $RUN" >&2
fi
