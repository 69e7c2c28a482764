#!/usr/bin/env sh
# Write a containers.conf that lets podman build and run on this host, print its path.
# Use: export CONTAINERS_CONF="$(docker/podman-conf.sh)"   (nothing under /etc is touched)
#
# Why: podman's default ulimits fail here with "setrlimit RLIMIT_NOFILE: Operation not
# permitted" (they exceed the host's hard limit), and crun fails on cgroups v1/hybrid hosts
# ("cgroups in hybrid mode not supported"), where runc works.
set -eu
dir=${1:-${TMPDIR:-/tmp}/blendbatch-podman}
mkdir -p "$dir"
conf="$dir/containers.conf"
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
{
    echo "[containers]"
    echo "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=32768:32768\"]"
    if [ ! -e /sys/fs/cgroup/cgroup.controllers ] && command -v runc >/dev/null 2>&1; then
        echo "[engine]"
        echo "runtime = \"runc\""
    fi
} >"$conf"
echo "$conf"
