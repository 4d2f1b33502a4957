#!/usr/bin/env bash
# Install bandsense into ./.venv (with the Debian services the tests and the demo use),
# then optionally run the demo:   ./deploy/setup.sh [demo]
#
# Idempotent: a second run only re-installs the Python package. Needs Debian/Ubuntu with
# Python >= 3.11; apt packages are installed as root or through sudo.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${BANDSENSE_VENV:-.venv}"
APT_PACKAGES=(mosquitto mosquitto-clients influxdb influxdb-client python3-venv python3-pip)

missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
command -v influx >/dev/null 2>&1 || missing+=(influxdb-client)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv python3-pip)

if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${APT_PACKAGES[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "setup: run as root: apt-get install -y ${APT_PACKAGES[*]}" >&2
        exit 1
    fi
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: bandsense needs Python >= 3.11, found {sys.version.split()[0]}")
PY

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "setup: bandsense installed in $VENV ($("$VENV/bin/bandsense" --version))" >&2
# The analysis kernels are compiled (numba) on first use and cached: build them now, once,
# so the first `bandsense analyze` does not pay for it.
"$VENV/bin/python" -m analysis.warmup

if [ "${1:-}" = "demo" ]; then
    shift
    BANDSENSE="$VENV/bin/bandsense"
    if "$BANDSENSE" demo --help >/dev/null 2>&1; then
        exec "$BANDSENSE" demo "$@"
    fi
    # Until the end-to-end demo lands: simulate a recording, then analyse it offline.
    out="${TMPDIR:-/tmp}/bandsense-demo"
    "$BANDSENSE" sim record --scenario side_lying_hip_er --out "$out"
    exec "$BANDSENSE" analyze --format table "$out/recording.csv"
fi
