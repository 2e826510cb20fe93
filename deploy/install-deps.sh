#!/bin/bash
# install-deps.sh -- installs the Debian packages alfup builds, tests and runs with (root only;
# a non-root caller is told what is missing). Used by deploy/quickstart.sh and tests/run.sh.
set -euo pipefail

ALFUP_BUILD_PACKAGES=(build-essential cmake pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
    libssl-dev openssl libpq-dev libarchive-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev
    libcmocka-dev zstd libical-dev libwebsockets-dev libjansson-dev)
ALFUP_RUN_PACKAGES=(postgresql postgresql-client sqlite3 iproute2 python3 util-linux procps tzdata)
# tomcat10, a JDK and the PostgreSQL JDBC driver: the real Tomcat 10 the repository stand-in webapp runs in
# (tests/e2e/tomcat_slow_stop_test.sh); curl for its probes.
# chromium, libnss3-tools (certutil, pk12util: the operator's certificate in the browser's NSS database) and
# fonts-liberation: the console's browser test (tests/e2e/console_test.sh), driven by puppeteer-core from npm
# (tests/browser/install-puppeteer.sh), hence node and npm when this machine has no node yet.
ALFUP_TEST_PACKAGES=(clang libclang-rt-14-dev valgrind tcpdump tomcat10 openjdk-17-jdk-headless
    libpostgresql-jdbc-java curl chromium libnss3-tools fonts-liberation)
command -v npm >/dev/null || ALFUP_TEST_PACKAGES+=(nodejs npm)

missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

# install_deps [test] -- the build and run packages, plus the test tools with "test".
install_deps() {
    local wanted=("${ALFUP_BUILD_PACKAGES[@]}" "${ALFUP_RUN_PACKAGES[@]}")
    [ "${1:-}" = test ] && wanted+=("${ALFUP_TEST_PACKAGES[@]}")
    local missing
    missing=$(missing_packages "${wanted[@]}")
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "alfup: missing Debian packages (run as root to install them): $missing" >&2
        return 1
    fi
    echo "alfup: installing $(echo $missing | wc -w) Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    # The quick start and the tests start their own PostgreSQL clusters; the packaged one stays down.
    # The tests run their own Tomcat on free loopback ports; Debian's tomcat10 service stays down.
    if dpkg-query -W -f='${Status}' tomcat10 2>/dev/null | grep -q "install ok installed"; then
        if [ -d /run/systemd/system ]; then
            systemctl disable --now tomcat10 >/dev/null 2>&1 || true
        else
            rm -f /etc/systemd/system/multi-user.target.wants/tomcat10.service
        fi
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    install_deps "${1:-}"
fi
