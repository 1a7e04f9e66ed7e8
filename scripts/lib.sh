# Shell helpers the scripts share. Source it from the repository root: . scripts/lib.sh

# listen_port PID [SECONDS]: prints the TCP port the process PID listens on, waiting up to
# SECONDS (default 30) for it to bind. Start the process on port 0 (127.0.0.1:0): the kernel
# hands out a free port at bind time, and this reads that port back from the process's own
# sockets, so no other process can take it in between (as it could a port probed first). Works
# for any program, Prometheus and Alertmanager included: the socket inodes behind
# /proc/PID/fd are matched against the listening sockets of /proc/PID/net/tcp and tcp6. Needs
# the right to read /proc/PID/fd (same user, or root). Fails if the process ends, never
# listens, or listens on more than one port.
listen_port() {
  local pid=$1 tries=$(( ${2:-30} * 10 )) state inodes ports n
  for ((n = 0; n < tries; n++)); do
    # Asked before the read: a process that bound and then ended is still reported as ended.
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
    inodes=$(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -cd '0-9\n' | tr '\n' ' ' || true)
    ports=""
    if [ -n "${inodes// /}" ]; then
      # Columns: sl local_address rem_address st ... inode (10th); st 0A is LISTEN.
      ports=$(awk -v inodes=" $inodes" '$4 == "0A" && index(inodes, " " $10 " ") { sub(/.*:/, "", $2); print $2 }' \
        "/proc/$pid/net/tcp" "/proc/$pid/net/tcp6" 2>/dev/null | sort -u || true)
    fi
    case $ports in
      "") ;;
      *[!0-9A-F]*) echo "listen_port: process $pid listens on several ports:" $ports >&2; return 1 ;;
      *) echo $((16#$ports)); return 0 ;;
    esac
    case $state in
      "" | Z | X) echo "listen_port: process $pid ended before it listened" >&2; return 1 ;;
    esac
    sleep 0.1
  done
  echo "listen_port: process $pid did not listen within ${2:-30}s" >&2
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
