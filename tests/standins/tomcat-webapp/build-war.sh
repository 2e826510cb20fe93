#!/bin/bash
# build-war.sh -- compiles the repository stand-in webapp against Tomcat 10's servlet API and packs alfresco.war.
#   build-war.sh OUT_DIR   -> OUT_DIR/alfresco.war (OUT_DIR/classes holds the compiled classes)
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-war.sh OUT_DIR}
api=${TOMCAT_HOME:-/usr/share/tomcat10}/lib/servlet-api.jar
[ -r "$api" ] || { echo "build-war.sh: $api missing (Debian package tomcat10: deploy/install-deps.sh test)" >&2; exit 1; }
command -v javac >/dev/null && command -v jar >/dev/null ||
    { echo "build-war.sh: javac/jar missing (Debian package openjdk-17-jdk-headless)" >&2; exit 1; }
rm -rf "$out/war" && mkdir -p "$out/war/WEB-INF/classes"
javac -nowarn --release 17 -cp "$api" -d "$out/war/WEB-INF/classes" "$src"/src/org/alfup/standin/*.java
cp "$src/WEB-INF/web.xml" "$out/war/WEB-INF/web.xml"
rm -f "$out/alfresco.war"
jar --create --file "$out/alfresco.war" -C "$out/war" .
