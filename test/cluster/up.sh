#!/usr/bin/env bash
# Starts a real Kubernetes control plane on loopback for tests: etcd (tmpfs, --unsafe-no-fsync),
# kube-apiserver (client-cert admin, RBAC+Node authorization, service-account keys),
# kube-controller-manager, kube-scheduler, and kwok (fake nodes; pod behaviour from the
# sim.kubedispatch.io/* annotations through the Stages in manifests/kwok-stages.yaml).
# Creates fake nodes, waits until the API is ready, the nodes are Ready and the default service
# account exists, writes the admin kubeconfig to $KD_CLUSTER_DIR/kubeconfig and prints its path.
#
# Everything lives in $KD_CLUSTER_DIR (default /dev/shm/kubedispatch-cluster): data, certs, pid files,
# logs/<component>.log. test/cluster/down.sh stops exactly the processes recorded in pids/.
# Env: KD_CLUSTER_DIR, KD_CLUSTER_NODES (fake nodes, default 3), KD_CLUSTER_BIN (use binaries from
# this directory instead of test/cluster/build.sh), KD_CACHE_DIR (see build.sh).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUN="${KD_CLUSTER_DIR:-/dev/shm/kubedispatch-cluster}"
export PATH="$PATH:/usr/local/go/bin"
NODES="${KD_CLUSTER_NODES:-3}"
T0=$(date +%s.%N)

# shellcheck source=/dev/null
. "$ROOT/scripts/use-node24.sh"

if [ -d "$RUN/pids" ] && ls "$RUN"/pids/*.pid >/dev/null 2>&1; then
  for f in "$RUN"/pids/*.pid; do
    if kill -0 "$(cat "$f")" 2>/dev/null; then
      echo "up.sh: a cluster is already running from $RUN ($(basename "$f" .pid) pid $(cat "$f")); run test/cluster/down.sh first" >&2
      exit 1
    fi
  done
fi

BIN="${KD_CLUSTER_BIN:-$("$HERE/build.sh")}"
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  [ -x "$BIN/$b" ] || { echo "up.sh: $BIN/$b missing" >&2; exit 1; }
done

rm -rf "$RUN"
mkdir -p "$RUN"/{pki,logs,pids,etcd}
chmod 700 "$RUN"
PKI="$RUN/pki"
LOGS="$RUN/logs"
CURRENT=""   # component being started/waited for, whose log is shown on failure

on_fail() {
  local rc=$?
  echo "up.sh: FAILED (exit $rc) while ${CURRENT:-starting}" >&2
  if [ -n "$CURRENT" ] && [ -f "$LOGS/$CURRENT.log" ]; then
    echo "----- last 40 lines of $LOGS/$CURRENT.log -----" >&2
    tail -n 40 "$LOGS/$CURRENT.log" >&2
    echo "-----" >&2
  fi
  if [ "${KD_CLUSTER_KEEP_ON_FAIL:-0}" != 1 ]; then "$HERE/down.sh" --keep-logs >&2 || true; fi
  exit "$rc"
}
trap on_fail ERR

# --- ports: free ones on 127.0.0.1, picked by the kernel ----------------------------------------------
read -r P_ETCD P_PEER P_API P_KCM P_SCHED P_KWOK < <(node -e '
const net = require("net"); const socks = [];
(async () => { const ports = [];
  for (let i = 0; i < 6; i++) { const s = net.createServer(); await new Promise(r => s.listen(0, "127.0.0.1", r)); socks.push(s); ports.push(s.address().port); }
  socks.forEach(s => s.close()); console.log(ports.join(" ")); })();')
cat > "$RUN/ports.env" <<EOF
P_ETCD=$P_ETCD
P_PEER=$P_PEER
P_API=$P_API
P_KCM=$P_KCM
P_SCHED=$P_SCHED
P_KWOK=$P_KWOK
EOF

# --- certificates and keys (openssl) -----------------------------------------------------------------
CURRENT=openssl
ssl() { openssl "$@" >>"$LOGS/openssl.log" 2>&1; }
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 7 -subj "/CN=kubedispatch-test-ca"
sign() { # name subject extfile-content
  ssl req -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "$2"
  printf '%b' "$3" > "$PKI/$1.ext"
  ssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 7 \
    -extfile "$PKI/$1.ext" -out "$PKI/$1.crt"
}
sign apiserver "/CN=kube-apiserver" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
sign admin "/O=system:masters/CN=kubedispatch-test-admin" "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
sign controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
sign scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
sign kwok "/CN=kubelet-kwok" "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
ssl genrsa -out "$PKI/sa.key" 2048
ssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"

kubeconfig() { # file user
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubedispatch-test
  cluster:
    server: https://127.0.0.1:$P_API
    certificate-authority: $PKI/ca.crt
users:
- name: $2
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: kubedispatch-test
  context:
    cluster: kubedispatch-test
    user: $2
    namespace: default
current-context: kubedispatch-test
EOF
}
kubeconfig "$RUN/kubeconfig" admin
kubeconfig "$RUN/controller-manager.kubeconfig" controller-manager
kubeconfig "$RUN/scheduler.kubeconfig" scheduler

start() { # name binary args...
  local name=$1; shift
  CURRENT=$name
  setsid "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/pids/$name.pid"
}
api() { # curl the API server as the admin
  curl -sS --max-time 10 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"
}
wait_for() { # description seconds command...
  local what=$1 secs=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$CURRENT" ] && [ -f "$RUN/pids/$CURRENT.pid" ] && ! kill -0 "$(cat "$RUN/pids/$CURRENT.pid")" 2>/dev/null; then
      echo "up.sh: $CURRENT exited while waiting for $what" >&2; return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "up.sh: timed out after ${secs}s waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

# --- etcd ----------------------------------------------------------------------------------------------
start etcd "$BIN/etcd" --name kd-test --data-dir "$RUN/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$P_ETCD" --advertise-client-urls "http://127.0.0.1:$P_ETCD" \
  --listen-peer-urls "http://127.0.0.1:$P_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$P_PEER" \
  --initial-cluster "kd-test=http://127.0.0.1:$P_PEER" --initial-cluster-state new \
  --log-level warn --quota-backend-bytes 2147483648
wait_for "etcd /health" 30 curl -sf --max-time 2 "http://127.0.0.1:$P_ETCD/health"

# --- kube-apiserver ------------------------------------------------------------------------------------
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$P_ETCD" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$P_API" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --authorization-mode Node,RBAC \
  --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,NodeRestriction,Priority,ResourceQuota,MutatingAdmissionPolicy,ValidatingAdmissionPolicy \
  --feature-gates MutatingAdmissionPolicy=true \
  --runtime-config admissionregistration.k8s.io/v1beta1=true \
  --service-cluster-ip-range 10.96.0.0/16 \
  --endpoint-reconciler-type none \
  --kubelet-client-certificate "$PKI/admin.crt" --kubelet-client-key "$PKI/admin.key" \
  --kubelet-certificate-authority "$PKI/ca.crt" \
  --kubelet-preferred-address-types InternalIP \
  --allow-privileged=false --profiling=false --v 1
wait_for "kube-apiserver /readyz" 120 api -f "https://127.0.0.1:$P_API/readyz"

# Unschedulable pods (sim.kubedispatch.io/behavior=unschedulable), see manifests/sim-unschedulable.yaml.
CURRENT=kube-apiserver
node "$HERE/kapply.mjs" "$RUN/kubeconfig" "$HERE/manifests/sim-unschedulable.yaml" >>"$LOGS/kapply.log" 2>&1 \
  || { cat "$LOGS/kapply.log" >&2; false; }

# --- controller manager, scheduler ---------------------------------------------------------------------
start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig "$RUN/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$RUN/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$RUN/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$P_KCM" \
  --leader-elect=false --use-service-account-credentials=true \
  --controllers '*' \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --concurrent-job-syncs 10 --concurrent-ttl-after-finished-syncs 10 --v 1

start kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig "$RUN/scheduler.kubeconfig" \
  --authentication-kubeconfig "$RUN/scheduler.kubeconfig" \
  --authorization-kubeconfig "$RUN/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$P_SCHED" --leader-elect=false --v 1

# --- kwok: fake nodes and pod behaviour ----------------------------------------------------------------
# kwok's Logs CRD (per-pod log files written by kwok-helper.mjs), from the kwok module that was built.
KWOK_DIR="$(cd "$HERE/tools/kwok" && GOTOOLCHAIN=local go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
node "$HERE/kapply.mjs" "$RUN/kubeconfig" "$KWOK_DIR/kustomize/crd/bases/kwok.x-k8s.io_logs.yaml" >>"$LOGS/kapply.log" 2>&1 \
  || { cat "$LOGS/kapply.log" >&2; false; }
wait_for "Logs CRD established" 30 api -f "https://127.0.0.1:$P_API/apis/kwok.x-k8s.io/v1alpha1/logs"
start kwok "$BIN/kwok" --kubeconfig "$RUN/kubeconfig" --config "$HERE/manifests/kwok-stages.yaml" --enable-crds Logs \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-ip 127.0.0.1 --node-port "$P_KWOK" --server-address "127.0.0.1:$P_KWOK" \
  --tls-cert-file "$PKI/kwok.crt" --tls-private-key-file "$PKI/kwok.key" \
  --node-lease-duration-seconds 40 --cidr 10.244.0.1/16

start kwok-helper node "$HERE/kwok-helper.mjs" "$RUN/kubeconfig" "$RUN/pod-logs"

CURRENT=kube-apiserver
for i in $(seq 0 $((NODES - 1))); do
  api -f -X POST -H 'Content-Type: application/json' "https://127.0.0.1:$P_API/api/v1/nodes" -d @- >/dev/null <<EOF
{"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-$i",
 "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
 "labels":{"kubernetes.io/hostname":"kwok-node-$i","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},
 "spec":{}}
EOF
done

nodes_ready() {
  api -f "https://127.0.0.1:$P_API/api/v1/nodes" | node -e '
let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
  const items = JSON.parse(s).items;
  const ready = items.filter(n => (n.status.conditions || []).some(c => c.type === "Ready" && c.status === "True")
    && !(n.spec.taints || []).some(t => t.effect === "NoSchedule" || t.effect === "NoExecute"));
  process.exit(items.length >= Number(process.argv[1]) && ready.length === items.length ? 0 : 1); });' "$NODES"
}
CURRENT=kwok
wait_for "$NODES fake nodes Ready (kwok)" 60 nodes_ready
CURRENT=kube-controller-manager
wait_for "default service account (kube-controller-manager)" 60 api -f "https://127.0.0.1:$P_API/api/v1/namespaces/default/serviceaccounts/default"
wait_for "kube-controller-manager /healthz" 60 curl -sfk --max-time 2 "https://127.0.0.1:$P_KCM/healthz"
CURRENT=kube-scheduler
wait_for "kube-scheduler /healthz" 60 curl -sfk --max-time 2 "https://127.0.0.1:$P_SCHED/healthz"
CURRENT=""
trap - ERR

VERSION="$(api -f "https://127.0.0.1:$P_API/version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).gitVersion))')"
printf 'up.sh: Kubernetes %s ready in %.1fs on https://127.0.0.1:%s (%s fake nodes; logs in %s)\n' \
  "$VERSION" "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$P_API" "$NODES" "$LOGS" >&2
echo "$RUN/kubeconfig"
