#!/usr/bin/env bash
# Builds (if not cached) one set of Go tools from the tools modules in test/cluster/tools/*, and prints the
# directory that holds the binaries. Targets (first argument):
#   control-plane (default): etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok
#   helm:                    helm (chart lint/template/install/upgrade in test/cluster, scripts/render-k8s.sh)
#
# One caching rule for every target: binaries are cached outside the repository, keyed by a hash of the
# target's tools modules (go.mod/go.sum), its RECIPE number and the Go version:
#   ${KD_CACHE_DIR:-$HOME/.cache/kubedispatch}/cluster-bin/<hash>/
# A warm run only hashes and checks the stamp file (well under a second).
#
# Env: KD_CACHE_DIR (cache root), KD_BUILD_LOG (build log file; default <cache>/cluster-bin/build-<hash>.log),
#      KD_BUILD_NICE (nice level, default 10), GO (go command, default: go on PATH or /usr/local/go/bin/go).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
TOOLS="$HERE/tools"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

CACHE_ROOT="${KD_CACHE_DIR:-$HOME/.cache/kubedispatch}/cluster-bin"
GOVERSION="$("$GO" env GOVERSION)"
TARGET="${1:-control-plane}"
# Per target: RECIPE (bump when its build commands change in a way that changes the binaries), the tools
# modules it builds from, and the binaries it must leave.
case "$TARGET" in
  control-plane) RECIPE=1; MODULES=(etcd kube kwok)
    BINS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok) ;;
  helm) RECIPE=1; MODULES=(helm); BINS=(helm) ;;
  *) echo "build.sh: unknown target '$TARGET' (control-plane or helm)" >&2; exit 2 ;;
esac
HASH="$( { echo "$GOVERSION recipe $RECIPE"; for m in "${MODULES[@]}"; do cat "$TOOLS/$m/go.mod" "$TOOLS/$m/go.sum"; done; } \
  | sha256sum | cut -c1-16)"
OUT="$CACHE_ROOT/$HASH"

if [ -f "$OUT/.complete" ]; then
  echo "$OUT"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
LOG="${KD_BUILD_LOG:-$CACHE_ROOT/build-$HASH.log}"
# One build at a time per cache key (a second caller waits for the first).
exec 9>"$CACHE_ROOT/.lock-$HASH"
if ! flock -n 9; then
  echo "build.sh: another build of $HASH is running; waiting for it" >&2
  flock 9
  if [ -f "$OUT/.complete" ]; then echo "$OUT"; exit 0; fi
fi

TMP="$(mktemp -d "$CACHE_ROOT/.tmp-$HASH-XXXX")"
trap 'rm -rf "$TMP"' EXIT
NICE="nice -n ${KD_BUILD_NICE:-10}"

modver() { # module version required by a tools module's go.mod
  sed -n "s#^require $2 \(v[^ ]*\)\$#\1#p; s#^\t$2 \(v[^ ]*\)\$#\1#p" "$TOOLS/$1/go.mod" | head -n1
}
build_control_plane() {
  ETCD_V="$(modver etcd go.etcd.io/etcd/server/v3)"
  KUBE_V="$(modver kube k8s.io/kubernetes)"
  KWOK_V="$(modver kwok sigs.k8s.io/kwok)"
  SUMMARY="etcd $ETCD_V, kubernetes $KUBE_V, kwok $KWOK_V"
  echo "build.sh: building $SUMMARY with $GOVERSION into $OUT (log: $LOG)" >&2
  {
    echo "=== $(date -u +%FT%TZ) build $HASH: $SUMMARY ($GOVERSION, $(nproc) cores)"

    t=$(date +%s)
    (cd "$TOOLS/etcd" && $NICE "$GO" build -trimpath -ldflags "-s -w" -o "$TMP/etcd" go.etcd.io/etcd/server/v3)
    echo "=== etcd built in $(( $(date +%s) - t ))s"

    t=$(date +%s)
    # The same ldflags Kubernetes' hack/lib/version.sh stamps, so that /version and --version report
    # the real release. There is no git checkout: gitCommit carries the module's go.sum hash instead.
    KSUM="$(cd "$TOOLS/kube" && "$GO" mod download -json "k8s.io/kubernetes@$KUBE_V" | sed -n 's/.*"Sum": "\(.*\)".*/\1/p')"
    minor="${KUBE_V#v1.}"; minor="${minor%%.*}"
    now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    LDF="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      LDF+=" -X $pkg.gitVersion=$KUBE_V -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      LDF+=" -X $pkg.gitCommit=$KSUM -X $pkg.gitTreeState=archive -X $pkg.buildDate=$now"
    done
    (cd "$TOOLS/kube" && $NICE "$GO" build -trimpath -ldflags "$LDF" -o "$TMP/" \
       k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
    echo "=== kube-apiserver, kube-controller-manager, kube-scheduler built in $(( $(date +%s) - t ))s"

    t=$(date +%s)
    (cd "$TOOLS/kwok" && $NICE "$GO" build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_V#v}" \
       -o "$TMP/kwok" sigs.k8s.io/kwok/cmd/kwok)
    echo "=== kwok built in $(( $(date +%s) - t ))s"
  } >>"$LOG" 2>&1
  printf 'etcd %s\nkubernetes %s\nkwok %s\n' "$ETCD_V" "$KUBE_V" "$KWOK_V" > "$TMP/VERSIONS"
}

build_helm() {
  HELM_V="$(modver helm helm.sh/helm/v4)"
  SUMMARY="helm $HELM_V"
  echo "build.sh: building $SUMMARY with $GOVERSION into $OUT (log: $LOG)" >&2
  {
    echo "=== $(date -u +%FT%TZ) build $HASH: $SUMMARY ($GOVERSION, $(nproc) cores)"
    # As helm's Makefile stamps a release (version, empty metadata); no git checkout, so gitCommit carries
    # the module's go.sum hash.
    HSUM="$(cd "$TOOLS/helm" && "$GO" mod download -json "helm.sh/helm/v4@$HELM_V" | sed -n 's/.*"Sum": "\(.*\)".*/\1/p')"
    V=helm.sh/helm/v4/internal/version
    (cd "$TOOLS/helm" && $NICE "$GO" build -trimpath \
       -ldflags "-s -w -X $V.version=$HELM_V -X $V.metadata= -X $V.gitCommit=$HSUM -X $V.gitTreeState=archive" \
       -o "$TMP/helm" helm.sh/helm/v4/cmd/helm)
  } >>"$LOG" 2>&1
  echo "helm $HELM_V" > "$TMP/VERSIONS"
}

start=$(date +%s)
# In a subshell of its own so that errexit holds inside the build function (it would not in an `||` list).
set +e
( set -e; "build_${TARGET//-/_}" )
rc=$?
set -e
[ "$rc" -eq 0 ] || { echo "build.sh: build failed; last lines of $LOG:" >&2; tail -n 40 "$LOG" >&2; exit 1; }

for b in "${BINS[@]}"; do [ -x "$TMP/$b" ] || { echo "build.sh: $b missing after build" >&2; exit 1; }; done
secs=$(( $(date +%s) - start ))
printf '%s\nbuilt %s in %ss\n' "$GOVERSION" "$(date -u +%FT%TZ)" "$secs" >> "$TMP/VERSIONS"
touch "$TMP/.complete"
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "=== build $HASH complete in ${secs}s" >>"$LOG"
echo "build.sh: built in ${secs}s" >&2
echo "$OUT"
