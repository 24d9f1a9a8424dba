#!/usr/bin/env bash
# npm run test:cluster: build the control plane if needed -> up -> the contract suite (test/contract) and
# the real-cluster tests (test/cluster/*.test.ts) with KUBEDISPATCH_CONTRACT_KUBECONFIG set -> down
# (always). Exits non-zero on any failure. Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
# shellcheck source=/dev/null
. scripts/use-node24.sh
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "test:cluster: needs Go (go on PATH or /usr/local/go/bin)" >&2; exit 1; }

t=$(date +%s)
BIN="$("$HERE/build.sh")"
echo "test:cluster: binaries in $BIN ($(( $(date +%s) - t ))s)"; sed 's/^/  /' "$BIN/VERSIONS"
# helm too, before the control plane starts: built cold inside the chart test's setup, it outlasted the hook timeout.
t=$(date +%s)
HELM_BIN="$("$HERE/build.sh" helm)"
echo "test:cluster: helm in $HELM_BIN ($(( $(date +%s) - t ))s)"; sed 's/^/  /' "$HELM_BIN/VERSIONS"

export KD_CLUSTER_DIR="${KD_CLUSTER_DIR:-/dev/shm/kubedispatch-cluster-$$}"
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -d "$KD_CLUSTER_DIR/logs" ]; then
    for f in "$KD_CLUSTER_DIR"/logs/*.log; do echo "----- last 15 lines of $f"; tail -n 15 "$f"; done
  fi
  "$HERE/down.sh"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
KUBECONFIG_FILE="$(KD_CLUSTER_BIN="$BIN" "$HERE/up.sh")"
export KUBEDISPATCH_CONTRACT_KUBECONFIG="$KUBECONFIG_FILE"
npx vitest run --config test/cluster/vitest.cluster.config.ts "$@"
