# tomcat_home.sh -- lays out an Alfresco installation around Debian's Tomcat 10 (source me).
# shellcheck shell=bash
#
# tomcat_home_make HOME HTTP_PORT SHUTDOWN_PORT DB_URL WAR [SHUTDOWN_DELAY_MS]
#   HOME/alfresco.sh (start|stop: catalina.sh with this home's CATALINA_BASE and CATALINA_PID, as an
#   Alfresco install's alfresco.sh), and HOME/tomcat as CATALINA_BASE over CATALINA_HOME=/usr/share/tomcat10
#   (TOMCAT_HOME): conf/ (a server.xml listening on 127.0.0.1:HTTP_PORT with its shutdown port on
#   SHUTDOWN_PORT, Debian's web.xml and context.xml, catalina.properties with
#   shared.loader=${catalina.base}/shared/classes, console logging to catalina.out), lib/ with the
#   PostgreSQL JDBC driver (libpostgresql-jdbc-java), shared/classes/alfresco-global.properties (DB_URL,
#   user and password alfresco, dir.root HOME/alf_data, standin.shutdown.delay.ms), webapps/alfresco.war
#   (WAR; Tomcat unpacks it), temp/ (catalina.pid), logs/ (catalina.out), work/. Returns non-zero with a
#   message when Tomcat, Java or the driver is missing.

TOMCAT_HOME=${TOMCAT_HOME:-/usr/share/tomcat10}
TOMCAT_JDBC_JAR=${TOMCAT_JDBC_JAR:-/usr/share/java/postgresql.jar}

# The JDK's home, from javac on the PATH.
tomcat_java_home() {
    local javac
    javac=$(command -v javac) || { echo "tomcat_home: javac missing (openjdk-17-jdk-headless)" >&2; return 1; }
    javac=$(readlink -f "$javac")
    dirname "$(dirname "$javac")"
}

_tomcat_server_xml() {
    cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!-- server.xml: alfup test Tomcat, one connector on loopback, the shutdown port, webapps unpacked. -->
<Server port="$2" address="127.0.0.1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="$1" address="127.0.0.1" protocol="HTTP/1.1" connectionTimeout="20000"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
XML
}

_tomcat_alfresco_sh() {
    cat <<SH
#!/bin/sh
# alfresco.sh -- start|stop this installation's Tomcat through catalina.sh, as Alfresco's alfresco.sh does.
export CATALINA_HOME=$TOMCAT_HOME
export CATALINA_BASE=$1/tomcat
export CATALINA_PID=$1/tomcat/temp/catalina.pid
export JAVA_HOME=$2
export JAVA_OPTS="-Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.security.egd=file:/dev/./urandom"
exec "\$CATALINA_HOME/bin/catalina.sh" "\$@"
SH
}

tomcat_home_make() {
    local home=$1 http_port=$2 shutdown_port=$3 db_url=$4 war=$5 delay_ms=${6:-9000} java_home f
    [ -x "$TOMCAT_HOME/bin/catalina.sh" ] || { echo "tomcat_home: $TOMCAT_HOME/bin/catalina.sh missing (tomcat10)" >&2; return 1; }
    [ -r "$TOMCAT_JDBC_JAR" ] || { echo "tomcat_home: $TOMCAT_JDBC_JAR missing (libpostgresql-jdbc-java)" >&2; return 1; }
    java_home=$(tomcat_java_home) || return 1
    local base=$home/tomcat
    mkdir -p "$base"/{conf,lib,logs,temp,webapps,work,shared/classes} "$home/alf_data" || return 1
    _tomcat_server_xml "$http_port" "$shutdown_port" > "$base/conf/server.xml"
    for f in web.xml context.xml; do cp "$TOMCAT_HOME/etc/$f" "$base/conf/$f" || return 1; done
    sed 's|^shared\.loader=.*|shared.loader="${catalina.base}/shared/classes"|' \
        "$TOMCAT_HOME/etc/catalina.properties" > "$base/conf/catalina.properties"
    grep -q '^shared.loader="${catalina.base}/shared/classes"$' "$base/conf/catalina.properties" ||
        { echo "tomcat_home: no shared.loader line in $TOMCAT_HOME/etc/catalina.properties" >&2; return 1; }
    printf '%s\n' 'handlers = java.util.logging.ConsoleHandler' '.level = INFO' \
        'java.util.logging.ConsoleHandler.level = INFO' \
        'java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter' > "$base/conf/logging.properties"
    cp "$(readlink -f "$TOMCAT_JDBC_JAR")" "$base/lib/postgresql.jar" || return 1
    cat > "$base/shared/classes/alfresco-global.properties" <<PROPS
dir.root=$home/alf_data
db.driver=org.postgresql.Driver
db.url=$db_url
db.username=alfresco
db.password=alfresco
standin.shutdown.delay.ms=$delay_ms
PROPS
    cp "$war" "$base/webapps/alfresco.war" || return 1
    _tomcat_alfresco_sh "$home" "$java_home" > "$home/alfresco.sh"
    chmod 755 "$home/alfresco.sh"
}
