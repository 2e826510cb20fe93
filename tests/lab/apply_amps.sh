#!/bin/sh
# apply_amps.sh -- the lab's stand-in for Alfresco's bin/apply_amps.sh, shipped in the new distribution.
# Installs every HOME/amps/*.amp into the repository web application, as the real tool does with
# alfresco-mmt.jar: the stand-in war (a text file) gets one "module NAME SHA256" line per AMP, and the
# AMP's files are unpacked into the exploded HOME/tomcat/webapps/alfresco/ folder (which the
# install-amps step removes afterwards). Each run is recorded in HOME/logs/apply_amps.log.
set -eu
home=$(cd "$(dirname "$0")/.." && pwd)
war=$home/tomcat/webapps/alfresco.war
mkdir -p "$home/logs"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) apply_amps.sh $* (cwd $(pwd))" >> "$home/logs/apply_amps.log"
[ -f "$war" ] || { echo "ERROR: $war not found" >&2; exit 1; }
found=0
for amp in "$home"/amps/*.amp; do
    [ -f "$amp" ] || continue
    found=1
    name=$(basename "$amp" .amp)
    sum=$(sha256sum "$amp" | cut -d' ' -f1)
    echo "Installing AMP '$amp' into WAR '$war'"
    if grep -q "^module $name " "$war"; then
        sed -i "/^module $name /d" "$war"     # -force: reinstall
    fi
    echo "module $name $sum" >> "$war"
    mkdir -p "$home/tomcat/webapps/alfresco/WEB-INF/lib"
    cp "$amp" "$home/tomcat/webapps/alfresco/WEB-INF/lib/$name.jar"
    echo "installed $name $sum" >> "$home/logs/apply_amps.log"
    echo "Module '$name' installed in '$war'"
done
[ "$found" = 1 ] || echo "No AMPs found in $home/amps"
echo "About to clean out $home/tomcat/webapps/alfresco directory and temporary files..."
