# Source this file to make sure REDIS_URL points at a Redis that answers: REDIS_URL as given,
# else 127.0.0.1:6379 when it answers, else a private redis-server started here (installing
# Debian's redis-server package when it is missing). Sets KD_STARTED_REDIS_PID when it starts one.
kd_redis_answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2" && printf 'PING\r\n' >&3 && IFS= read -r -t 2 reply <&3 && [ "${reply%$'\r'}" = "+PONG" ]) 2>/dev/null
}
if [ -z "${REDIS_URL:-}" ]; then
  if kd_redis_answers 127.0.0.1 6379; then
    export REDIS_URL=redis://127.0.0.1:6379
  else
    if ! command -v redis-server >/dev/null 2>&1; then
      echo "kubedispatch: installing redis-server (Debian package)" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
    fi
    kd_redis_dir=$(mktemp -d)
    redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --dir "$kd_redis_dir" \
      --maxmemory-policy noeviction --daemonize yes --pidfile "$kd_redis_dir/redis.pid" >&2
    for _ in $(seq 1 50); do kd_redis_answers 127.0.0.1 6390 && break; sleep 0.1; done
    export KD_STARTED_REDIS_PID=$(cat "$kd_redis_dir/redis.pid")
    export REDIS_URL=redis://127.0.0.1:6390
  fi
fi
unset -f kd_redis_answers
