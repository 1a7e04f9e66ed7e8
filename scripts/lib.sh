# Shell helpers the scripts share. Source it from the repository root: . scripts/lib.sh

# free_port prints a loopback port nothing listens on.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port found" >&2
  return 1
}

# wait_http URL...: waits up to 10 s until every URL answers 2xx.
wait_http() {
  local url ok
  for _ in $(seq 100); do
    ok=1
    for url in "$@"; do
      curl -fsS -o /dev/null "$url" 2>/dev/null || { ok=0; break; }
    done
    [ "$ok" = 1 ] && return 0
    sleep 0.1
  done
  return 1
}
