#!/usr/bin/env bash
# One-shot, idempotent setup for a fresh Debian/Ubuntu machine:
#   1. system packages (Cairo/Pango headers, LaTeX, dvisvgm, bubblewrap, a C
#      toolchain, chromium),
#   2. a virtualenv in .venv with a Python >= 3.11,
#   3. torch (pinned CPU build) first, then this project with its dev, 3b1b
#      (ManimGL) and ray (cluster executor) extras.
# A second run with nothing to do finishes in a few seconds.
#
# Environment:
#   JEPA_MANIM_SKIP_APT=1    skip the system-package step entirely (e.g. the
#                            packages are provisioned another way, or no root).
#   JEPA_MANIM_TORCH_INDEX   optional extra package index that serves a CPU
#                            build of torch 2.13.0 (the plain registry wheel
#                            pulls several GB of CUDA libraries). Unset: pip's
#                            configured indexes and find-links are used.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TORCH_PIN="torch==2.13.0"
VENV=".venv"
STAMP="$VENV/.jepa-manim-setup-stamp"
TORCH_INDEX="${JEPA_MANIM_TORCH_INDEX-}"

REQUIRED_PKGS=(
    build-essential
    libcairo2-dev
    libpango1.0-dev
    pkg-config
    texlive-latex-base
    texlive-latex-extra
    dvisvgm
    bubblewrap
    # prepare 3b1b: ManimGL headless (EGL on Mesa's software rasteriser) and
    # the LaTeX packages of ManimGL's default template
    libegl1
    libegl-mesa0
    libgl1-mesa-dri
    tipa
    texlive-science
    git
)
# Debian ships "chromium"; Ubuntu calls it "chromium-browser". Optional.
CHROMIUM_PKGS=(chromium chromium-browser)

log() { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: warning: %s\n' "$*" >&2; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}

pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

chromium_present() {
    local p
    for p in "${CHROMIUM_PKGS[@]}"; do
        pkg_installed "$p" && return 0
    done
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

python_ok() { # python_ok CMD: runs and is >= 3.11
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
    local c
    for c in python3.11 python3.12 python3.13 python3; do
        if command -v "$c" >/dev/null 2>&1 && python_ok "$c"; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

# Debian packages that PYTHON (a Debian-packaged interpreter) still needs to
# create a virtualenv and build C extensions (pycairo, manimpango).
python_system_pkgs() {
    "$1" - <<'EOF'
import os, sys, sysconfig
if sys.base_prefix == "/usr":
    v = "python%d.%d" % sys.version_info[:2]
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        print(v + "-venv")
    if not os.path.exists(os.path.join(sysconfig.get_config_var("INCLUDEPY") or "", "Python.h")):
        print(v + "-dev")
EOF
}

# --- Python interpreter -----------------------------------------------------
PYTHON=""
EXTRA_PKGS=()
if [[ -x "$VENV/bin/python" ]]; then
    python_ok "$VENV/bin/python" || die "$VENV exists but its python is broken or older than 3.11; remove $VENV and re-run"
    PYTHON="$VENV/bin/python"
elif PYTHON="$(find_python)"; then
    mapfile -t EXTRA_PKGS < <(python_system_pkgs "$PYTHON")
else
    PYTHON=""
    EXTRA_PKGS=(python3 python3-venv python3-dev)
fi

# --- System packages ----------------------------------------------------------
if [[ "${JEPA_MANIM_SKIP_APT:-0}" == "1" ]]; then
    log "system packages skipped (JEPA_MANIM_SKIP_APT=1)"
else
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        die "dpkg-query/apt-get not found: install the equivalents of ${REQUIRED_PKGS[*]} yourself, then re-run with JEPA_MANIM_SKIP_APT=1"
    fi
    missing=()
    for p in "${REQUIRED_PKGS[@]}" "${EXTRA_PKGS[@]}"; do
        pkg_installed "$p" || missing+=("$p")
    done
    need_chromium=0
    chromium_present || need_chromium=1

    if ((${#missing[@]} == 0 && need_chromium == 0)); then
        log "system packages ok"
    else
        SUDO=()
        have_priv=1
        if ((EUID != 0)); then
            if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 && -t 1 ]]; }; then
                SUDO=(sudo)
            else
                have_priv=0
            fi
        fi
        install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends"
        want=("${missing[@]}")
        ((need_chromium)) && want+=(chromium)
        if ((have_priv == 0)); then
            if ((${#missing[@]} > 0)); then
                die "missing system packages: ${want[*]}; run as root: $install_cmd ${want[*]} (or set JEPA_MANIM_SKIP_APT=1)"
            fi
            warn "chromium not installed and no root/sudo; run as root: $install_cmd chromium (chromium-browser on Ubuntu)"
        else
            log "installing system packages: ${want[*]}"
            "${SUDO[@]}" apt-get update -qq
            if ((${#missing[@]} > 0)); then
                "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
                    apt-get install -y -q --no-install-recommends "${missing[@]}"
            fi
            if ((need_chromium)); then
                for p in "${CHROMIUM_PKGS[@]}"; do
                    apt-cache show "$p" >/dev/null 2>&1 || continue
                    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
                        apt-get install -y -q --no-install-recommends "$p" || true
                    chromium_present && break
                done
                chromium_present || warn "could not install chromium (tried: ${CHROMIUM_PKGS[*]}); continuing without it"
            fi
            log "system packages ok"
        fi
    fi
fi

# --- Virtualenv ---------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    [[ -n "$PYTHON" ]] || PYTHON="$(find_python)" ||
        die "no Python >= 3.11 found (tried python3.11, python3.12, python3.13, python3); install one and re-run"
    log "creating $VENV with $PYTHON ($("$PYTHON" -c 'import platform; print(platform.python_version())'))"
    "$PYTHON" -m venv "$VENV" ||
        die "could not create $VENV with $PYTHON (see above; on Debian/Ubuntu the pythonX.Y-venv package may be missing)"
fi
VPY="$VENV/bin/python"
log "virtualenv ok ($VENV, Python $("$VPY" -c 'import platform; print(platform.python_version())'))"

# --- Python packages ----------------------------------------------------------
stamp="pyproject=$(sha256sum pyproject.toml | cut -d' ' -f1) torch=$TORCH_PIN"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$stamp" ]] && "$VPY" -c 'import manim, torch' >/dev/null 2>&1; then
    log "python packages ok (up to date)"
else
    rm -f "$STAMP"
    torch_args=()
    if [[ -n "$TORCH_INDEX" ]]; then
        torch_args=(--extra-index-url "$TORCH_INDEX")
    fi
    log "installing $TORCH_PIN"
    "$VPY" -m pip install -q "${torch_args[@]}" "$TORCH_PIN"
    log "installing jepa-manim with its dev, 3b1b and ray extras"
    "$VPY" -m pip install -q -e ".[dev,3b1b,ray]"
    "$VPY" -c 'import manim, torch, moderngl' ||
        die "packages installed but 'import manim, torch, moderngl' fails"
    printf '%s\n' "$stamp" >"$STAMP"
    log "python packages ok"
fi

log "done"
