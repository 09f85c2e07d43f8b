#!/usr/bin/env bash
# The peer for bench/run: django-helpdesk from PyPI in its own virtualenv, with gunicorn.
# Nothing of django-helpdesk is kept in this repository: only our minimal Django project
# (peerproj/: settings, urls, wsgi) and the seeder (seed.py) that run against it.
#
#   bench/peers/django-helpdesk/setup.sh            # creates bench/peers/django-helpdesk/.venv
#   PEER_VENV=/somewhere DJANGO_HELPDESK_VERSION=2.6.1 bench/peers/django-helpdesk/setup.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${PEER_VENV:-$here/.venv}"
version="${DJANGO_HELPDESK_VERSION:-2.6.1}"
python="${PYTHON:-python3}"

stamp="$venv/.installed-$version"
if [ -f "$stamp" ]; then
  exit 0
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "django-helpdesk==$version" "gunicorn>=22"
touch "$stamp"
