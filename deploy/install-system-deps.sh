#!/usr/bin/env bash
# Installs the system packages wirefeed's dev commands need, only when missing:
# Java 17+ and Maven (the local Kafka broker), Prometheus + promtool (alert-rule tests),
# Alertmanager's amtool (alert-routing tests).
# Idempotent; uses apt-get (Debian/Ubuntu) as root or through sudo.
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "wirefeed: please install: ${missing[*]} (no apt-get here)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "wirefeed: need root to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "wirefeed: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# prometheus would start a system service on package install; nothing here needs that.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl stop prometheus prometheus-alertmanager 2>/dev/null || true
fi
