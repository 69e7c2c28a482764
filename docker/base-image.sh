#!/usr/bin/env bash
# Make `debian:<suite>-slim` locally when no registry is reachable: debootstrap a minbase
# <suite> (bookworm, trixie: the Debian of a Blender release, docker/release.py X.Y debian) from
# the mirror this host's apt uses, trim it like the slim image, import it.
# Skips when the image exists. Needs root, debootstrap and podman.
#
# Usage: docker/base-image.sh SUITE
#
# The result is a CI stand-in for the Docker Hub image, never something to push: release
# builds pull the real debian:<suite>-slim.
set -euo pipefail
suite=${1:?usage: docker/base-image.sh SUITE (bookworm or trixie)}
engine=${CONTAINER_ENGINE:-podman}
image=docker.io/library/debian:$suite-slim

if $engine image exists "$image" 2>/dev/null; then
    echo "base image: $image already present, skipping debootstrap"
    exit 0
fi

# The host's mirrors for a suite, from deb822 (*.sources) and one-line (*.list) apt sources.
host_mirror() {
    local suite=$1
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -e "$f" ] || continue
            awk -v suite="$suite" 'BEGIN { RS = ""; FS = "\n" }
                /(^|\n)Enabled: *no/ { next }
                { uris = ""; ok = 0
                  for (i = 1; i <= NF; i++) {
                      if ($i ~ /^URIs:/) { sub(/^URIs: */, "", $i); split($i, u, " "); uris = u[1] }
                      if ($i ~ /^Suites:/) { n = split($i, s, " "); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
                  }
                  if (ok && uris != "") print uris }' "$f"
        done
        { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
            awk -v suite="$suite" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) break;
                                                 if ($(i + 1) == suite) print $i }'
    } | sed -n 1p
}

# A bookworm host's apt names no trixie mirror: then the host's bookworm mirror serves it too.
mirror=$(host_mirror "$suite")
mirror=${mirror:-$(host_mirror bookworm)}
mirror=${mirror:-http://deb.debian.org/debian}
security=$(host_mirror "$suite-security")
security=${security:-${mirror%/debian}/debian-security}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/$suite-root.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
echo "base image: debootstrap --variant=minbase $suite from $mirror (about 30 s)"
start=$SECONDS
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$scratch/debootstrap.log" 2>&1 || {
    tail -n 20 "$scratch/debootstrap.log"
    exit 1
}

# Same mirror as the host, with updates and security like the real image.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# What the slim image leaves out: docs, man pages, translations, apt's caches and lists.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
DPKG
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,info,locale,groff,lintian}/* "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/apt/* "$root"/var/log/*.log "$root"/var/log/apt/*

tar --numeric-owner -C "$root" -c . | $engine import --quiet - "$image" >/dev/null
$engine tag "$image" "localhost/debian:$suite-slim"
echo "base image: $image imported in $((SECONDS - start)) s" \
    "($($engine image inspect --format '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
