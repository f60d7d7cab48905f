#!/usr/bin/env bash
# build-base.sh - build socketspec's base images locally from Debian packages.
#
# The machines socketspec runs on have a Docker engine but no container
# registry, so `FROM python:...` / `FROM gcc:...` cannot be pulled. This script
# creates the two base images the suite's Dockerfiles start from:
#
#   socketspec/base-python:bookworm  debootstrap minbase + python3
#                                    (base for containers/python, ARG BASE)
#   socketspec/base-gcc:bookworm     debootstrap minbase + gcc, libc6-dev, make
#                                    (build stage of containers/c, ARG BUILD_BASE)
#
# Each image is a debootstrap root file system, stripped of apt caches, docs,
# man pages and translations, and turned into an image with `docker import`.
#
# Idempotent: an image that already exists is skipped, so a run where both
# exist takes well under a second. Safe to call from several places at once
# (a lock serialises builds).
#
# Usage: build-base.sh [-f|--force] [-j|--jobs N] [python|gcc ...]
#   -f, --force     rebuild even if the image exists   (env SOCKETSPEC_REBUILD=1)
#   -j, --jobs N    images built at the same time;     (env SOCKETSPEC_BASE_JOBS)
#                   1 = one after the other, default 2 = both in parallel
#   python|gcc      build only these images (default: both)
# Other environment:
#   SOCKETSPEC_DEBIAN_MIRROR  Debian mirror URL (default: the one apt uses here,
#                             else http://deb.debian.org/debian)
#   SOCKETSPEC_BASE_PREFIX    image name prefix (default socketspec/base-; for testing)
#   TMPDIR                    where the root file systems are built (default /var/tmp)

set -euo pipefail
export LC_ALL=C    # also makes $EPOCHREALTIME use a decimal point

readonly SUITE=bookworm
readonly FALLBACK_MIRROR=http://deb.debian.org/debian
readonly LOCK_FILE=/run/lock/socketspec-build-base.lock

# name -> image tag, packages added to minbase, default command, description
readonly PREFIX=${SOCKETSPEC_BASE_PREFIX:-socketspec/base-}
declare -rA IMAGE=(
    [python]="${PREFIX}python:$SUITE"
    [gcc]="${PREFIX}gcc:$SUITE"
)
declare -rA INCLUDE=(
    [python]="python3"
    [gcc]="gcc,libc6-dev,make"
)
declare -rA CMD=(
    [python]='["python3"]'
    [gcc]='["/bin/sh"]'
)
declare -rA DESCRIPTION=(
    [python]="Debian $SUITE minbase with Debian's python3 (socketspec Python servers)"
    [gcc]="Debian $SUITE minbase with gcc, libc6-dev and make (build stage for static C servers)"
)

# ---------------------------------------------------------------- helpers

log()  { printf 'build-base: %s\n' "$*"; }
# vlog is for what only SOCKETSPEC_VERBOSE=1 shows: by default an image
# built is one line (make images: one line per image).
vlog() { if [[ -n ${SOCKETSPEC_VERBOSE:-} ]]; then log "$@"; fi; }
warn() { printf 'build-base: %s\n' "$*" >&2; }
die()  { printf 'build-base: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '/^# Usage:/,/^$/s/^# \{0,1\}//p' "$0"; }

now() { printf '%s' "$EPOCHREALTIME"; }              # seconds, microsecond precision
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

image_size_mb() {
    docker image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'
}

# ---------------------------------------------------------------- arguments

force=${SOCKETSPEC_REBUILD:-0}
jobs=${SOCKETSPEC_BASE_JOBS:-2}
targets=()
while (($#)); do
    case $1 in
        -f|--force) force=1 ;;
        -j|--jobs)  (($# >= 2)) || die "$1 needs a number"; jobs=$2; shift ;;
        --jobs=*)   jobs=${1#--jobs=} ;;
        -j?*)       jobs=${1#-j} ;;
        -h|--help)  usage; exit 0 ;;
        python|gcc) targets+=("$1") ;;
        *)          usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
((${#targets[@]})) || targets=(python gcc)
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, got '$jobs'"
[[ $force == 1 || $force == true ]] && force=1 || force=0

# ---------------------------------------------------------------- docker

command -v docker >/dev/null || die "the docker CLI is not installed"
if ! docker_err=$(timeout 20 docker version --format '{{.Server.Version}}' 2>&1); then
    die "cannot reach the Docker engine (${DOCKER_HOST:-unix:///var/run/docker.sock}): $(tail -n 1 <<<"$docker_err")"
fi

# Which images have to be built? (This is the whole run when both exist.)
missing() {
    local name
    for name in "${targets[@]}"; do
        if ((force)) || ! image_exists "${IMAGE[$name]}"; then
            printf '%s\n' "$name"
        fi
    done
}
mapfile -t todo < <(missing)
if ((${#todo[@]} == 0)); then
    for name in "${targets[@]}"; do
        log "${IMAGE[$name]} exists ($(image_size_mb "${IMAGE[$name]}")), skipped"
    done
    exit 0
fi

# ---------------------------------------------------------------- prerequisites

((EUID == 0)) || die "debootstrap needs root; run as root"

# From here on, Ctrl-C and kill end the run with a message (and, once the
# temp dir exists, the EXIT trap below cleans up).
trap 'warn "interrupted"; exit 130' INT
trap 'warn "terminated"; exit 143' TERM

# Only one build at a time on this machine: a concurrent caller waits, then
# finds the images already built (unless --force). Wait in 1 s steps so that
# a signal is handled promptly.
exec {lock_fd}>"$LOCK_FILE"
if ! flock -n "$lock_fd"; then
    log "another build-base.sh is running; waiting for it"
    until flock -w 1 "$lock_fd"; do :; done
    if ((!force)); then
        mapfile -t todo < <(missing)
        if ((${#todo[@]} == 0)); then
            log "images were built by the other run; nothing to do"
            exit 0
        fi
    fi
fi

# debootstrap: install it if missing; refresh the package lists only when
# apt does not know the package yet.
if ! command -v debootstrap >/dev/null && [[ ! -x /usr/sbin/debootstrap ]]; then
    log "installing debootstrap with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show debootstrap >/dev/null 2>&1; then
        apt-get update -qq || die "apt-get update failed"
    fi
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>"$LOCK_FILE.apt" \
        || { cat "$LOCK_FILE.apt" >&2; die "apt-get install debootstrap failed"; }
    rm -f "$LOCK_FILE.apt"
fi
PATH=$PATH:/usr/sbin:/sbin

# The Debian mirror apt uses on this machine: the first deb source serving
# "$SUITE" (not -updates / -security) with component main, from one-line
# *.list files or deb822 *.sources files. Files with other extensions are
# ignored by apt, and so here too.
apt_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -r $f ]] || continue
        case $f in
            *.sources)  # deb822: paragraphs of "Key: value", continuation lines start with blanks
                awk -v suite="$SUITE" '
                    BEGIN { RS = "" }
                    {
                        delete v; key = ""
                        n = split($0, lines, "\n")
                        for (i = 1; i <= n; i++) {
                            l = lines[i]
                            if (l ~ /^#/) continue
                            if (l ~ /^[ \t]/ && key != "") { v[key] = v[key] " " l; continue }
                            if ((p = index(l, ":")) == 0) continue
                            key = tolower(substr(l, 1, p - 1)); v[key] = substr(l, p + 1)
                        }
                        if (tolower(v["enabled"]) ~ /no/) next
                        if ((" " v["types"] " ") !~ /[ \t]deb[ \t]/) next
                        if ((" " v["suites"] " ") !~ ("[ \t]" suite "[ \t]")) next
                        if ((" " v["components"] " ") !~ /[ \t]main[ \t]/) next
                        n = split(v["uris"], uris, /[ \t]+/)
                        for (i = 1; i <= n; i++) if (uris[i] != "") print uris[i]
                    }' "$f" ;;
            *)          # one-line: deb [options] URI suite component...
                awk -v suite="$SUITE" '
                    /^[ \t]*deb[ \t]/ {
                        sub(/\[[^]]*\]/, "")
                        if ($3 != suite) next
                        for (i = 4; i <= NF; i++) if ($i == "main") { print $2; next }
                    }' "$f" ;;
        esac
    done | awk '/^https?:\/\// { sub(/\/+$/, ""); print; exit }'
}
mirror=${SOCKETSPEC_DEBIAN_MIRROR:-$(apt_mirror || true)}
mirror=${mirror:-$FALLBACK_MIRROR}

# ---------------------------------------------------------------- temp dir

# Not /tmp: that is often a tmpfs mounted nodev/noexec, which debootstrap cannot use.
tmp=$(mktemp -d -p "${TMPDIR:-/var/tmp}" socketspec-base.XXXXXX)
main_pid=$BASHPID
declare -A job_pid=()

cleanup() {
    [[ $BASHPID == "$main_pid" ]] || return 0      # never in a build subshell
    local pid i
    # Stop running builds (quietly: the flag tells them not to report a
    # failure). Each build is its own process group (set -m below), so this
    # reaches debootstrap, dpkg, wget... even once their parent has died. Give
    # debootstrap up to 10 s to run its own cleanup, then kill what is left:
    # nothing may still write into $tmp while it is being removed.
    : >"$tmp/.stopping"
    set +m                                         # no "Terminated" job notices
    for pid in "${job_pid[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for pid in "${job_pid[@]}"; do
        for ((i = 0; i < 100; i++)); do
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    # debootstrap mounts /proc and /sys inside the target while it works; if it
    # was interrupted they are still mounted: unmount before deleting anything.
    awk -v p="$tmp/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r \
        | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# ---------------------------------------------------------------- build

# Remove what a container never needs. Copyright files are kept (licences).
clean_rootfs() {
    local r=$1
    rm -rf "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
           "$r"/var/cache/apt/archives/partial/* "$r"/var/lib/apt/lists/* \
           "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old \
           "$r"/var/cache/ldconfig/aux-cache \
           "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/lintian \
           "$r"/usr/share/linda
    mkdir -p "$r"/var/lib/apt/lists/partial
    find "$r"/usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
    find "$r"/usr/share/doc -mindepth 1 -type d -empty -delete
    find "$r"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    find "$r"/var/log -type f -delete
    # debootstrap copies the host's name and DNS settings; docker provides its own.
    rm -f "$r"/etc/hostname
    : >"$r"/etc/resolv.conf
    # Keep later `apt-get install`s in derived images small as well.
    cat >"$r"/etc/dpkg/dpkg.cfg.d/socketspec-slim <<'EOF'
# socketspec base image: do not install docs, man pages or translations
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >"$r"/etc/apt/apt.conf.d/socketspec-slim <<'EOF'
// socketspec base image: keep no downloaded packages or package caches
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
}

# Build one image; runs in a subshell (possibly in the background).
build_one() {
    local name=$1
    local img=${IMAGE[$name]} root=$tmp/$name/rootfs logf=$tmp/$name.log
    local t0 t1 debian_version old_id
    t0=$(now)
    vlog "$img: debootstrap --variant=minbase --include=${INCLUDE[$name]} $SUITE $mirror"
    if ! debootstrap --variant=minbase --include="${INCLUDE[$name]}" \
            "$SUITE" "$root" "$mirror" >"$logf" 2>&1; then
        [[ ! -e $tmp/.stopping ]] || return 1          # interrupted, not failed
        warn "$img: debootstrap failed after $(elapsed "$t0") s; end of its output:"
        tail -n 20 "$logf" | sed 's/^/    /' >&2
        if [[ -f $root/debootstrap/debootstrap.log ]]; then
            warn "$img: end of debootstrap.log:"
            grep -v ' URL:' "$root/debootstrap/debootstrap.log" | tail -n 20 | sed 's/^/    /' >&2
        fi
        return 1
    fi
    local t_boot; t_boot=$(elapsed "$t0")
    t1=$(now)
    clean_rootfs "$root"
    debian_version=$(cat "$root/etc/debian_version")
    old_id=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null || true)
    tar --numeric-owner -C "$root" -c . | docker import \
        --message "debootstrap --variant=minbase --include=${INCLUDE[$name]} $SUITE $mirror" \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "CMD ${CMD[$name]}" \
        --change "LABEL org.opencontainers.image.title=\"$img\"" \
        --change "LABEL org.opencontainers.image.description=\"${DESCRIPTION[$name]}\"" \
        --change "LABEL org.opencontainers.image.version=\"debian-$debian_version\"" \
        --change "LABEL org.opencontainers.image.created=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"" \
        --change "LABEL socketspec.base.packages=\"${INCLUDE[$name]}\"" \
        --change "LABEL socketspec.base.mirror=\"$mirror\"" \
        - "$img" >/dev/null \
        || { [[ -e $tmp/.stopping ]] || warn "$img: docker import failed"; return 1; }
    rm -rf --one-file-system "$tmp/$name"           # free the disk space early
    # On --force, drop the image this one replaced (kept if something still uses it).
    if [[ -n $old_id && $old_id != "$(docker image inspect --format '{{.Id}}' "$img")" ]]; then
        docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
    log "$img: built in $(elapsed "$t0") s (debootstrap $t_boot s, clean+import $(elapsed "$t1") s), $(image_size_mb "$img"), Debian $debian_version"
}

t_start=$(now)
vlog "building ${todo[*]} with mirror $mirror, $jobs at a time, in $tmp"
failed=()
# Start up to $jobs builds, then wait for the oldest before starting the next.
# Builds always run as background jobs (also with --jobs 1) so that set -e
# applies inside them and cleanup can stop them. `set -m` gives each job its
# own process group: Ctrl-C reaches only this script, whose cleanup then
# stops the builds in order.
set -m
running=()
wait_oldest() {
    local name=${running[0]}
    running=("${running[@]:1}")
    wait "${job_pid[$name]}" || failed+=("$name")
    unset "job_pid[$name]"
}
for name in "${todo[@]}"; do
    ((${#running[@]} < jobs)) || wait_oldest
    build_one "$name" </dev/null &
    job_pid[$name]=$!
    running+=("$name")
done
while ((${#running[@]})); do wait_oldest; done

if ((${#failed[@]})); then
    die "failed to build: ${failed[*]} (total $(elapsed "$t_start") s)"
fi
vlog "done in $(elapsed "$t_start") s"
