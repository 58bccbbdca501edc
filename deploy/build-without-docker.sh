#!/usr/bin/env bash
# Build and check deploy/Dockerfile on a machine without a Docker daemon (or without Docker Hub).
#
# Uses buildah and podman from Debian (no daemon) with a stand-in base image made by debootstrap from a
# Debian mirror: Debian bookworm's python3 + pip + venv instead of python:3.11-slim-bookworm. Then it
#   1. checks what .dockerignore lets into the build context (only the allow-list may get in),
#   2. builds deploy/Dockerfile from the repository root with --build-arg PYTHON_IMAGE=<stand-in>,
#   3. checks the image: user 10001, HEALTHCHECK kept, /data a volume and MAILFLOW_STORAGE a sqlite file
#      in it, no test extras, nothing but the three packages,
#   4. runs `mailflow serve` in it, runs the image's HEALTHCHECK, and sends one message activity to
#      /api/messages with a connector stub on the container's loopback, and expects the bot's reply,
#   5. runs it again with -e PORT=8080 to see that the server and the health check both move,
#   6. runs it on a named volume (-v mailflow-check-data:/data): the state file is made by uid 10001, and a
#      NEW container on the same volume remembers the conversation (a redelivered activity is not answered
#      again, the next one is added to the same record).
# The container gets its own network namespace with only loopback (--network none): nothing listens on
# the host and all traffic stays on 127.0.0.1 inside it. Only the build's `pip install` needs PyPI.
#
# Needs root and `apt-get install -y buildah podman runc debootstrap`. Slow (minutes): not part of CI.
# Usage: deploy/build-without-docker.sh            build (reusing the stand-in base) and check
#        deploy/build-without-docker.sh --clean    remove everything it made (images, storage, work dir)
# Settings (environment): MAILFLOW_CHECK_DIR (work dir and image storage, default
# /tmp/mailflow-image-check), MAILFLOW_CHECK_STORAGE_DRIVER (overlay, or vfs where overlay mounts are
# refused), BUILDAH_ISOLATION (chroot, or oci), DEBIAN_MIRROR (default http://deb.debian.org/debian),
# MAILFLOW_CHECK_CA_BUNDLE (the CA bundle pip trusts during the build, default the host's).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${MAILFLOW_CHECK_DIR:-/tmp/mailflow-image-check}
DRIVER=${MAILFLOW_CHECK_STORAGE_DRIVER:-overlay}
ISOLATION=${BUILDAH_ISOLATION:-chroot}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA_BUNDLE=${MAILFLOW_CHECK_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
BASE=localhost/mailflow-python-standin:3.11-bookworm
IMAGE=localhost/mailflow-assistant:check
PROBE=localhost/mailflow-context-probe:check
CONTAINERS=(mailflow-check mailflow-check-port mailflow-check-state mailflow-check-state2)
VOLUME=mailflow-check-data

step() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

# One private image store for both tools, so the check never touches the machine's own containers.
STORE=(--root "$WORK/storage" --runroot "$WORK/run" --storage-driver "$DRIVER")
bh() { buildah "${STORE[@]}" "$@"; }
# runc, not crun: Debian 12's crun refuses hybrid cgroup v1/v2 hosts ("cgroups in hybrid mode not supported").
pm() {
    podman "${STORE[@]}" --runtime runc --tmpdir "$WORK/libpod" --cgroup-manager cgroupfs --events-backend file "$@"
}
# Rootful podman asks for 1048576 open files and more processes than a host without CAP_SYS_RESOURCE grants
# (runc: "error setting rlimit type 6: operation not permitted"); ask for what this shell has instead.
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)

remove_containers() {
    pm rm --force --volumes --time 0 --ignore "${CONTAINERS[@]}" >/dev/null 2>&1 || true  # and their anonymous /data
    pm volume rm --force "$VOLUME" >/dev/null 2>&1 || true
}

[[ $(id -u) == 0 ]] || fail "run as root (buildah/podman with a private store, debootstrap)"
for tool in buildah podman runc debootstrap tar python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install -y buildah podman runc debootstrap"
done

if [[ ${1:-} == --clean ]]; then
    step "removing $WORK"
    if [[ -d $WORK/storage ]]; then
        remove_containers
        pm system reset --force >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    ok "removed"
    exit 0
fi
[[ $# == 0 ]] || fail "unknown argument $1 (only --clean)"
[[ -f $CA_BUNDLE ]] || fail "no CA bundle at $CA_BUNDLE (set MAILFLOW_CHECK_CA_BUNDLE)"

mkdir -p "$WORK"
trap remove_containers EXIT
remove_containers  # left over from an interrupted run

# --- 1. the stand-in base image
step "stand-in base image $BASE"
if pm image exists "$BASE"; then
    ok "reusing it (--clean to start over)"
else
    rootfs=$WORK/rootfs
    rm -rf "$rootfs"
    echo "    debootstrap bookworm from $MIRROR (a few minutes)"
    debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,python-is-python3 \
        bookworm "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || fail "debootstrap failed, see $WORK/debootstrap.log"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    # /dev is the runtime's business; PIP_BREAK_SYSTEM_PACKAGES lets Debian's pip install as the official
    # image's pip does (into /usr/local), and the official image's PATH puts /usr/local/bin first.
    tar -C "$rootfs" --exclude='./dev/*' -cf - . | pm import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' \
        --change 'CMD ["python3"]' \
        - "$BASE" >/dev/null
    rm -rf "$rootfs"
    versions=$(pm run --rm --network none "${LIMITS[@]}" "$BASE" sh -c 'python --version && pip --version') \
        || fail "the stand-in base image does not run"
    ok "imported: $(echo "$versions" | cut -d' ' -f1-2 | paste -sd' ')"
fi

# --- 2. what .dockerignore lets into the build context
step "build context after .dockerignore"
printf 'FROM %s\nCOPY . /context\n' "$BASE" >"$WORK/context-probe.Containerfile"
bh bud --quiet --isolation "$ISOLATION" --pull=never -f "$WORK/context-probe.Containerfile" -t "$PROBE" "$REPO" \
    >/dev/null
pm run --rm --network none "${LIMITS[@]}" "$PROBE" find /context ! -type d >"$WORK/context.txt"
sort -o "$WORK/context.txt" "$WORK/context.txt"
allowed='^/context/(pyproject\.toml|README\.md|deploy/healthcheck\.py|(bot|dialogs|mailflow)/([A-Za-z0-9_]+/)*[A-Za-z0-9_]+\.py)$'
if grep -Evq "$allowed" "$WORK/context.txt"; then
    grep -Ev "$allowed" "$WORK/context.txt" | head -20 >&2
    fail "files outside the allow-list reached the build context (above; full list in $WORK/context.txt)"
fi
for needed in pyproject.toml README.md deploy/healthcheck.py bot/cli.py dialogs/__init__.py mailflow/__init__.py; do
    grep -qx "/context/$needed" "$WORK/context.txt" || fail "$needed is missing from the build context"
done
ok "$(wc -l <"$WORK/context.txt") files, all on the allow-list (list: $WORK/context.txt)"
pm rmi --force "$PROBE" >/dev/null

# --- 3. the image
step "building deploy/Dockerfile (its pip install needs PyPI)"
# --format docker: the OCI format has no HEALTHCHECK, buildah would drop it.
# The host's CA bundle is mounted (read-only, never committed) into the RUN steps, so `pip install` also
# works behind a TLS-inspecting proxy whose CA only the host trusts (as on the machine this was written on).
bh bud --isolation "$ISOLATION" --format docker --layers --pull=never \
    --volume "$CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro" --build-arg PYTHON_IMAGE="$BASE" -f "$REPO/deploy/Dockerfile" -t "$IMAGE" "$REPO" >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; fail "build failed, see $WORK/build.log"; }
ok "built $IMAGE (log: $WORK/build.log)"

step "checking the image"
user=$(pm image inspect --format '{{.Config.User}}' "$IMAGE")
[[ $user == 10001:10001 ]] || fail "image user is '$user', not 10001:10001"
ok "USER $user"
health=$(pm image inspect "$IMAGE" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("Healthcheck"))')
[[ $health == *healthcheck.py* ]] || fail "the image has no HEALTHCHECK ($health)"
ok "HEALTHCHECK $health"
ok "CMD $(pm image inspect --format '{{json .Config.Cmd}}' "$IMAGE")"
volumes=$(pm image inspect --format '{{json .Config.Volumes}}' "$IMAGE")
[[ $volumes == *'"/data"'* ]] || fail "/data is not a VOLUME of the image ($volumes)"
ok "VOLUME $volumes"
storage=$(pm image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | grep '^MAILFLOW_STORAGE=' || true)
[[ $storage == MAILFLOW_STORAGE=sqlite:////data/mailflow.sqlite3 ]] || fail "image sets '$storage', not the sqlite file in /data"
ok "ENV $storage"
# shellcheck disable=SC2016  # the script runs in the container, not here
pm run --rm --network none "${LIMITS[@]}" --no-healthcheck --user 0 --entrypoint sh "$IMAGE" -c '
    set -e
    cd / && for p in /src /wheels /tmp/wheels; do [ ! -e "$p" ] || { echo "$p is in the image"; exit 1; }; done
    found=$(find / -xdev \( -name settings.env -o -name .git -o -name .venv -o -name .dockerignore \
        -o -name "*.bicep*" -o -name "*.transcript" \) -print 2>/dev/null || true)
    [ -z "$found" ] || { echo "unexpected files: $found"; exit 1; }
    site=$(python -c "import bot, os; print(os.path.dirname(os.path.dirname(bot.__file__)))")
    for p in tests bench tools manifest; do [ ! -e "$site/$p" ] || { echo "$site/$p is in the image"; exit 1; }; done
    for module in pytest ruff hypothesis playwright aiosmtpd graphviz jsonschema; do
        ! python -c "import $module" 2>/dev/null || { echo "test extra $module is installed"; exit 1; }
    done
    installed=$(python -c "from importlib.metadata import files; print(*files(\"mailflow-assistant\"), sep=\"\\n\")")
    echo "$installed" | grep -qx "bot/cli.py" || { echo "mailflow-assistant is not installed"; exit 1; }
    extra=$(echo "$installed" | grep -Ev "^(bot|dialogs|dialogs/flows|mailflow)/([a-z0-9_]+\.py|__pycache__/[a-z0-9_]+\.cpython-[0-9]+\.pyc)$|^mailflow_assistant-[^/]+\.dist-info/|/bin/mailflow$" || true)
    [ -z "$extra" ] || { echo "the project installs more than its three packages: $extra"; exit 1; }
' || fail "image contents"
ok "no /src, /wheels, settings.env, .git, .venv, tests or test extras; the project installs only bot, dialogs, mailflow"

# --- 4. run it
wait_healthy() {  # container: run the image's HEALTHCHECK until it passes (the start period is 20 s)
    for _ in $(seq 30); do
        if pm healthcheck run "$1" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    pm logs "$1" >&2 || true
    return 1
}

step "running mailflow serve (--network none: the container's own loopback only)"
# --health-interval disable: podman's health check timers need systemd; the check itself is run below.
start() {  # name, extra run options: podman's complaint that it cannot reach systemd goes to a file
    local name=$1
    shift
    pm run -d --name "$name" --network none "${LIMITS[@]}" --health-interval disable "$@" "$IMAGE" \
        >/dev/null 2>"$WORK/$name.err" || { cat "$WORK/$name.err" >&2; fail "podman run $name"; }
}
start mailflow-check
wait_healthy mailflow-check || fail "the HEALTHCHECK never passed (log above)"
ok "podman healthcheck run mailflow-check: passed, status $(pm inspect --format '{{.State.Health.Status}}' mailflow-check)"
ok "id inside: $(pm exec mailflow-check id)"
ok "serving process: $(pm top mailflow-check user pid args | tail -n +2 | head -1)"
if pm exec -e PORT=1 mailflow-check python /usr/local/lib/mailflow/healthcheck.py 2>/dev/null; then
    fail "the health check passed against a closed port"
fi
ok "the health check fails (exit 1) against a port nobody listens on"

# One message activity to /api/messages in container $1 (id $2, text $3), expecting $4 = reply | silent.
converse() {
    pm exec -i "$1" python - "$2" "$3" "$4" <<'PY'
"""Connector stub + one activity (id and text from argv), both on the container's loopback.

argv[3] is "reply" (the bot must answer with a message) or "silent" (it must not: a redelivered activity)."""
import json
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

posted = []


class Connector(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        posted.append((self.path, json.loads(body or b"{}")))
        answer = b'{"id": "1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


stub = ThreadingHTTPServer(("127.0.0.1", 0), Connector)
threading.Thread(target=stub.serve_forever, daemon=True).start()
activity_id, text, expect = sys.argv[1:4]
activity = {
    "type": "message", "id": activity_id, "text": text, "channelId": "emulator",
    "serviceUrl": f"http://127.0.0.1:{stub.server_port}", "conversation": {"id": "image-check"},
    "from": {"id": "user1", "name": "User"}, "recipient": {"id": "bot", "name": "Mailflow"},
}
request = urllib.request.Request(
    f"http://127.0.0.1:{os.environ['PORT']}/api/messages", data=json.dumps(activity).encode(),
    headers={"Content-Type": "application/json"}, method="POST")
with urllib.request.urlopen(request, timeout=30) as response:
    print(f"    POST /api/messages ({activity_id}) -> {response.status}")
stub.shutdown()
answered = any(reply.get("type") == "message" for _, reply in posted)
if expect == "reply" and not answered:
    sys.exit(f"    the stub received no message reply: {posted}")
if expect == "silent" and answered:
    sys.exit(f"    the bot answered {activity_id} again: {posted}")
for path, reply in posted:
    cards = [a.get("contentType") for a in reply.get("attachments") or ()]
    said = (reply.get("text") or "").replace("\n", " ")
    print(f"    reply POSTed to {path}: type={reply.get('type')} text={said[:100]!r} attachments={cards}")
PY
}

step "one message to /api/messages, reply to a connector stub on 127.0.0.1 inside the container"
converse mailflow-check act-1 hi reply || fail "no reply from the bot"
ok "the bot answered through the connector stub"
echo "    last log lines:"
pm logs mailflow-check 2>&1 | tail -3 | sed 's/^/      /'

# --- 5. PORT moves the server and the health check together
step "PORT=8080: server and health check move together"
start mailflow-check-port -e PORT=8080
wait_healthy mailflow-check-port || fail "with PORT=8080 the HEALTHCHECK never passed"
pm exec mailflow-check-port python -c \
    'import urllib.request; print("    GET :8080/healthz ->", urllib.request.urlopen("http://127.0.0.1:8080/healthz").read().decode())'
ok "healthy on 8080"

# --- 6. the conversation state on a named volume outlives its container
# The record of conversation "image-check" as uid 10001 reads it: "<etag> <answered activity ids>".
record() {
    pm exec "$1" python -c '
import json, sqlite3
db = sqlite3.connect("/data/mailflow.sqlite3")
row = db.execute("SELECT etag, value FROM items WHERE key = ?", ("emulator/conversations/image-check",)).fetchone()
print("missing" if row is None else row[0] + " " + ",".join(json.loads(row[1]).get("seen", [])))'
}

step "conversation state: /data/mailflow.sqlite3 on the named volume $VOLUME, across containers"
pm volume create "$VOLUME" >/dev/null
start mailflow-check-state -v "$VOLUME:/data"
wait_healthy mailflow-check-state || fail "with a volume on /data the HEALTHCHECK never passed"
pm logs mailflow-check-state 2>&1 | grep -q '^conversation state: sqlite file /data/mailflow.sqlite3' \
    || { pm logs mailflow-check-state >&2; fail "serve did not report the sqlite file in /data"; }
owners=$(pm exec mailflow-check-state stat -c '%n %u:%g %a' /data /data/mailflow.sqlite3)
while IFS= read -r line; do echo "    $line"; done <<<"$owners"
[[ $(echo "$owners" | awk '{print $2}' | sort -u) == 10001:10001 ]] || fail "/data or the state file is not owned by 10001:10001"
ok "the state file is made by uid 10001 on the volume"
converse mailflow-check-state act-1 hi reply || fail "no reply from the bot on the volume"
before=$(record mailflow-check-state)
[[ $before == *" act-1" ]] || fail "the record after act-1 is '$before'"
ok "record after act-1: etag ${before% *}, answered ${before#* }"
# podman's complaints that it cannot reach systemd (health check timers) go to the .err file.
pm stop --time 10 mailflow-check-state >/dev/null 2>>"$WORK/mailflow-check-state.err"
# --volumes removes anonymous volumes only, never a named one.
pm rm --volumes mailflow-check-state >/dev/null 2>>"$WORK/mailflow-check-state.err"
ok "container stopped and removed; the volume stays: $(pm volume ls --format '{{.Name}}' | grep -x "$VOLUME")"

start mailflow-check-state2 -v "$VOLUME:/data"
wait_healthy mailflow-check-state2 || fail "the second container on the volume never became healthy"
after=$(record mailflow-check-state2)
[[ $after == "$before" ]] || fail "a new container on the volume reads '$after', not '$before'"
ok "a new container reads the same record (etag ${after% *})"
converse mailflow-check-state2 act-1 hi silent || fail "the new container answered a redelivered activity"
ok "act-1 redelivered to the new container: not answered again"
converse mailflow-check-state2 act-2 help reply || fail "no reply from the new container"
last=$(record mailflow-check-state2)
[[ $last == *" act-1,act-2" && ${last% *} != "${before% *}" ]] || fail "after act-2 the record is '$last'"
ok "act-2 continues the same record: etag ${last% *}, answered ${last#* }"

step "summary"
pm images --format '    {{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E 'mailflow-(assistant|python-standin)' || true
cat <<EOF
    The image stays in the private store $WORK/storage; to use it:
      podman --root $WORK/storage --runroot $WORK/run --storage-driver $DRIVER run --rm $IMAGE ...
    $0 --clean removes it all.
All checks passed.
EOF
