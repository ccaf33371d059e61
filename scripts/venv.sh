# Sourced by scripts/demo.sh and scripts/test.sh: make sure a virtual environment exists and
# put its bin/ first on PATH. Debian and Ubuntu refuse `pip install` outside one (PEP 668),
# and their Python ships venv's pip only with the python3-venv package, installed here when
# missing and we may (root with apt-get).
# An already active environment (VIRTUAL_ENV) is used as it is.
if [ -z "${VIRTUAL_ENV:-}" ]; then
  venv="${OUTREACH_VENV:-.venv}"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      rm -rf "$venv"
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: installing python3-venv" >&2
        minor="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv "python${minor}-venv" >/dev/null \
          || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
      else
        echo "setup: python3 cannot make a virtual environment; install python3-venv (sudo apt install python3-venv) and run this again" >&2
        exit 1
      fi
    fi
  fi
  export VIRTUAL_ENV="$PWD/$venv"
  export PATH="$VIRTUAL_ENV/bin:$PATH"
fi
