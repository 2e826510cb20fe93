# lab-files.sh -- the lab's installations as files: the old repository and Solr, the new distributions,
# shellcheck shell=bash
# the AMP (source me after lab-lib.sh and lab.env). Properties name the lab's addresses and ports.

# lab_write FILE MODE -- stdin into FILE (folders made), with MODE.
lab_write() {
    mkdir -p "$(dirname "$1")"
    cat > "$1"
    chmod "$2" "$1"
}

lab_old_global_properties() {
    cat <<EOF
# alfresco-global.properties -- Alfresco 7.4.1 on repo1 (alfup lab)
dir.root=$LAB_OLD_DIR_ROOT
db.driver=org.postgresql.Driver
db.username=$LAB_DB_USER
db.password=$LAB_DB_PASSWORD
db.url=jdbc:postgresql://$(lab_addr db1):$LAB_PG_PORT/$LAB_OLD_DB
db.pool.max=50
index.subsystem.name=solr6
solr.host=$(lab_addr solr1)
solr.port=$LAB_SOLR_PORT
solr.secureComms=secret
alfresco.host=$(lab_addr repo1)
alfresco.port=$LAB_REPO_PORT
# the stand-in's listener (server.xml's connector in a real Tomcat)
standin.http.port=$LAB_REPO_PORT
standin.http.bind=$(lab_addr repo1)
# the folder the stand-ins of one cluster find each other in (the cluster's network; docs/standins.md)
standin.cluster.registry=$LAB_CLUSTER_REGISTRY
# this deployment's own settings
system.content.caching.maxUsageMB=2048
mail.host=smtp.lab.invalid
mail.port=25
EOF
}

# lab_make_old_repo -- the old installation on repo1 (its contentstore is seeded by lab_make_content).
lab_make_old_repo() {
    local h=$LAB_OLD_HOME ext=$LAB_OLD_HOME/tomcat/shared/classes/alfresco/extension
    mkdir -p "$h/tomcat/logs" "$h/tomcat/temp" "$h/tomcat/work" "$h/amps" "$h/bin" \
        "$LAB_OLD_DIR_ROOT/contentstore" "$LAB_OLD_DIR_ROOT/contentstore.deleted" "$LAB_CLUSTER_REGISTRY"
    echo "7.4.1 19100" | lab_write "$h/standin-version" 0644
    lab_old_global_properties | lab_write "$h/tomcat/shared/classes/alfresco-global.properties" 0640
    printf '<beans><!-- custom model of this deployment --></beans>\n' | lab_write "$ext/custom-model-context.xml" 0644
    printf '<model name="lab:custom"/>\n' | lab_write "$ext/model/customModel.xml" 0644
    printf 'ldap.authentication.java.naming.provider.url=ldap://ldap.lab.invalid:389\n' |
        lab_write "$ext/subsystems/Authentication/ldap/ldap1/ldap-authentication.properties" 0640
    printf 'logger.lab.name=org.alfresco.repo.content\nlogger.lab.level=debug\n' |
        lab_write "$ext/custom-log4j2.properties" 0644
    printf 'Put your overrides here.\n' | lab_write "$ext/README.txt" 0644
    echo "stand-in alfresco.war 7.4.1" | lab_write "$h/tomcat/webapps/alfresco.war" 0644
    echo "stand-in share.war 7.4.1" | lab_write "$h/tomcat/webapps/share.war" 0644
    echo "stand-in _vti_bin.war 7.4.1" | lab_write "$h/tomcat/webapps/_vti_bin.war" 0644
    cp "$LAB_SRC/tests/lab/apply_amps.sh" "$h/bin/apply_amps.sh"
    ln -s alf_data/contentstore "$h/contentstore-link"
}

# lab_make_content COUNT -- COUNT content files in the old contentstore; rows for them in DIR/content-rows.tsv.
# ALFUP_LAB_CONTENT_MB=N: files of gen-contentstore's size mix until the store holds N MiB (COUNT a minimum).
lab_make_content() {
    python3 "$LAB_SRC/tests/lab/lab_tools.py" content "$LAB_OLD_DIR_ROOT" "$1" "${ALFUP_LAB_SEED:-7411}" \
        "$LAB_DIR/content-rows.tsv" --size-mb "${ALFUP_LAB_CONTENT_MB:-0}"
}

lab_solrcore_properties() {
    cat <<EOF
# solrcore.properties -- core $1 (alfup lab)
data.dir.root=$2
alfresco.host=$(lab_addr repo1)
alfresco.port=$LAB_REPO_PORT
alfresco.secureComms=secret
alfresco.stores=$3
EOF
}

# lab_make_old_solr -- the old Solr on solr1: two cores, their indexes and the alfrescoModels folder.
lab_make_old_solr() {
    local s=$LAB_OLD_SOLR core
    mkdir -p "$s/logs" "$s/solr/bin" "$s/solrhome/alfrescoModels"
    printf 'SOLR_PORT=%s\nSOLR_HOME=%s/solrhome\n' "$LAB_SOLR_PORT" "$s" | lab_write "$s/solr.in.sh" 0644
    lab_solrcore_properties alfresco "$LAB_OLD_SOLR_DATA" workspace://SpacesStore |
        lab_write "$s/solrhome/alfresco/conf/solrcore.properties" 0644
    lab_solrcore_properties archive "$LAB_OLD_SOLR_DATA" archive://SpacesStore |
        lab_write "$s/solrhome/archive/conf/solrcore.properties" 0644
    for core in alfresco archive; do
        echo "name=$core" | lab_write "$s/solrhome/$core/core.properties" 0644
        python3 "$LAB_SRC/tests/lab/lab_tools.py" index "$LAB_OLD_SOLR_DATA/$core/index" 4 "${#core}"
        echo "segments of $core" | lab_write "$LAB_OLD_SOLR_DATA/$core/index/segments_1" 0644
    done
    for core in cm sys app lab-custom; do
        echo "<model name=\"$core\"/>" | lab_write "$s/solrhome/alfrescoModels/$core-model.xml" 0644
    done
}

# lab_make_new_repo_dist -- DIR/dist/alfresco-v2.zip: one top folder alfresco-v2/ (23.1.0).
lab_make_new_repo_dist() {
    local t=$LAB_DIR/build-dist/alfresco-v2 ext
    ext=$t/tomcat/shared/classes/alfresco/extension
    rm -rf "$LAB_DIR/build-dist" && mkdir -p "$t/tomcat/logs" "$t/tomcat/temp" "$t/amps" "$t/bin"
    echo "23.1.0 19200 19000 7.4.1" | lab_write "$t/standin-version" 0644
    [ -n "${ALFUP_LAB_FAULT:-}" ] && echo "$ALFUP_LAB_FAULT" | lab_write "$t/standin-fault" 0644
    cat <<EOF | lab_write "$t/tomcat/shared/classes/alfresco-global.properties" 0640
# alfresco-global.properties -- shipped with Alfresco 23.1.0 (alfup lab distribution)
dir.root=/opt/alfresco/alf_data
db.driver=org.postgresql.Driver
db.url=jdbc:postgresql://localhost:5432/alfresco
index.subsystem.name=solr6
system.content.caching.maxUsageMB=4096
standin.cluster.registry=$LAB_CLUSTER_REGISTRY
standin.schema.upgrade.us_per_row=${ALFUP_LAB_US_PER_ROW:-0}
EOF
    printf 'logger.repo.name=org.alfresco.repo\nlogger.repo.level=info\n' | lab_write "$ext/custom-log4j2.properties" 0644
    printf 'Put your overrides here.\n' | lab_write "$ext/README.txt" 0644
    echo "stand-in alfresco.war 23.1.0" | lab_write "$t/tomcat/webapps/alfresco.war" 0644
    echo "stand-in share.war 23.1.0" | lab_write "$t/tomcat/webapps/share.war" 0644
    echo "stand-in _vti_bin.war 23.1.0" | lab_write "$t/tomcat/webapps/_vti_bin.war" 0644
    echo "exploded" | lab_write "$t/tomcat/webapps/_vti_bin/WEB-INF/web.xml" 0644
    echo "compiled jsp" | lab_write "$t/tomcat/work/Catalina/localhost/alfresco/cache.bin" 0644
    cp "$LAB_SRC/tests/lab/apply_amps.sh" "$t/bin/apply_amps.sh"
    mkdir -p "$LAB_DIST"
    rm -f "$LAB_DIST/alfresco-v2.zip"
    python3 "$LAB_SRC/tests/lab/lab_tools.py" zip "$t" "$LAB_DIST/alfresco-v2.zip"
}

# lab_make_new_solr_dist -- DIR/dist/solr-v2.tar.gz: one top folder solr-v2/.
lab_make_new_solr_dist() {
    local t=$LAB_DIR/build-dist/solr-v2 core
    mkdir -p "$t/logs" "$t/solr/bin" "$t/solrhome/alfrescoModels"
    printf 'SOLR_PORT=%s\nSOLR_HOME=%s/solrhome\n' "$LAB_SOLR_PORT" "$LAB_NEW_SOLR" | lab_write "$t/solr.in.sh" 0644
    for core in alfresco:workspace archive:archive; do
        lab_solrcore_properties "${core%%:*}" /opt/alfresco-search-services/data "${core##*:}://SpacesStore" |
            lab_write "$t/solrhome/${core%%:*}/conf/solrcore.properties" 0644
        echo "name=${core%%:*}" | lab_write "$t/solrhome/${core%%:*}/core.properties" 0644
    done
    echo "2.0.8" | lab_write "$t/VERSION" 0644
    rm -f "$LAB_DIST/solr-v2.tar.gz"
    tar -C "$LAB_DIR/build-dist" -czf "$LAB_DIST/solr-v2.tar.gz" solr-v2
}

# lab_make_amp -- DIR/dist/custom-module.amp (an AMP is a zip with module.properties).
lab_make_amp() {
    local t=$LAB_DIR/build-dist/custom-module
    printf 'module.id=custom-module\nmodule.version=1.0.0\nmodule.repo.version.min=7.0\n' |
        lab_write "$t/module.properties" 0644
    echo "<beans/>" | lab_write "$t/config/alfresco/module/custom-module/module-context.xml" 0644
    (cd "$t" && python3 -c 'import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for root, dirs, files in os.walk("."):
        for f in sorted(files):
            z.write(os.path.join(root, f), os.path.relpath(os.path.join(root, f), "."))' "$LAB_DIST/custom-module.amp")
}
