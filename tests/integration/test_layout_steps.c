/* test_layout_steps.c -- the layout step kinds on real files, through the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_config.h"
#include "file_util.h"
#include "step.h"
#include "step_test_lib.h"
#include "tree_remove.h"

typedef struct fixture {
    char root[1024];            /* canonical scratch folder, the only allowed root */
    agent_config_t *config;
    kv_list_t params;
    msg_step_result_t result;
    atomic_int cancel;
    step_context_t ctx;
    unsigned progress_calls;
} fixture_t;

/* ---- helpers ---- */

static const char *at(const fixture_t *f, const char *relative)
{
    static char paths[8][4096];
    static unsigned next;
    char *buf = paths[next++ % 8];
    if (snprintf(buf, sizeof paths[0], "%s/%s", f->root, relative) >= (int)sizeof paths[0])
        fail_msg("path too long");
    return buf;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    *strrchr(parent, '/') = '\0';
    assert_int_equal(file_mkdir_p(parent, 0755, NULL), 0);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
    assert_int_equal(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(file_read_all(path, 1u << 20, &bytes, &len, NULL), 0);
    return (char *)bytes;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void make_dir(const char *path)
{
    assert_int_equal(file_mkdir_p(path, 0755, NULL), 0);
}

static void on_progress(void *arg, const step_progress_t *progress)
{
    (void)progress;
    ((fixture_t *)arg)->progress_calls++;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    step_test_temp_root("alfup-layout", f->root, sizeof f->root);
    f->config = step_test_config("repo1", f->root, at(f, "backups"), at(f, "state"));
    make_dir(f->config->backup_dir);
    make_dir(f->config->state_dir);
    f->ctx = (step_context_t){.config = f->config, .step_id = "layout-test", .params = &f->params,
                              .approval = "", .result = &f->result, .progress = on_progress,
                              .progress_arg = f, .cancel = &f->cancel};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(tree_remove_all(f->root, NULL, NULL), 0);
    kv_list_clear(&f->params);
    msg_step_result_clear(&f->result);
    agent_config_destroy(&f->config);
    free(f);
    return 0;
}

static void param(fixture_t *f, const char *key, const char *value)
{
    assert_int_equal(kv_list_add(&f->params, key, value), 0);
}

/* Runs a step kind found through the registry, with fresh results. */
static step_status_t run(fixture_t *f, const char *kind)
{
    const step_kind_t *step = step_kind_find(kind);
    assert_non_null(step);
    msg_step_result_clear(&f->result);
    return step->run(&f->ctx);
}

static void reset_params(fixture_t *f)
{
    kv_list_clear(&f->params);
}

static int has_output(const fixture_t *f, const char *key, const char *value)
{
    for (size_t i = 0; i < f->result.outputs.count; i++)
        if (strcmp(f->result.outputs.items[i].key, key) == 0 &&
            strcmp(f->result.outputs.items[i].value, value) == 0)
            return 1;
    return 0;
}

static void add_tool(fixture_t *f, const char *name, const char *program)
{
    size_t count = f->config->tool_count + 1;
    f->config->tools = realloc(f->config->tools, count * sizeof *f->config->tools);
    assert_non_null(f->config->tools);
    agent_tool_t *tool = &f->config->tools[f->config->tool_count++];
    memset(tool, 0, sizeof *tool);
    tool->name = strdup(name);
    str_list_add(&tool->argv, program);
    str_list_add(&tool->argv, "-force");
    str_list_add(&tool->argv, "-nobackup");
}

/* ---- carry-customizations ---- */

#define OLD_PROPS "v1/tomcat/shared/classes/alfresco-global.properties"
#define NEW_PROPS "v2/tomcat/shared/classes/alfresco-global.properties"
#define OLD_EXT "v1/tomcat/shared/classes/alfresco/extension"
#define NEW_EXT "v2/tomcat/shared/classes/alfresco/extension"

static void make_installations(fixture_t *f)
{
    char old_text[2048];
    int len = snprintf(old_text, sizeof old_text,
                       "# production settings\n"
                       "dir.root=/opt/alfresco-v1/alf_data\n"
                       "db.url=jdbc:postgresql://db1:5432/alfresco\n"
                       "db.username=alfresco\n"
                       "# keep this one secret\n"
                       "db.password=s3cret\n"
                       "solr.host=solr1\n"
                       "index.subsystem.name=solr6\n"
                       "dir.keystore=%s/alf_data/keystore\n", at(f, "v1"));
    assert_true(len > 0 && len < (int)sizeof old_text);
    write_file(at(f, OLD_PROPS), old_text, 0640);
    write_file(at(f, NEW_PROPS),
               "# shipped with v2\n"
               "dir.root=./alf_data\n"
               "db.url=jdbc:postgresql://localhost:5432/alfresco\n"
               "solr.host=localhost\n"
               "index.subsystem.name=solr6\n", 0644);
    write_file(at(f, OLD_EXT "/custom-model-context.xml"), "<beans>custom</beans>\n", 0644);
    write_file(at(f, OLD_EXT "/subsystems/Authentication/ldap/ldap1/ldap.properties"),
               "ldap.authentication.active=true\n", 0600);
    write_file(at(f, OLD_EXT "/shipped.xml"), "<beans>old version</beans>\n", 0644);
    write_file(at(f, NEW_EXT "/shipped.xml"), "<beans>new version</beans>\n", 0644);
    write_file(at(f, OLD_EXT "/identical.xml"), "<beans/>\n", 0644);
    write_file(at(f, NEW_EXT "/identical.xml"), "<beans/>\n", 0644);
    assert_int_equal(symlink("/etc/passwd", at(f, OLD_EXT "/link.xml")), 0);
}

static void carry_params(fixture_t *f)
{
    reset_params(f);
    param(f, "old_home", at(f, "v1"));
    param(f, "new_home", at(f, "v2"));
    param(f, "set.dir.root", "/opt/alfresco-v2/alf_data");
    param(f, "set.db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
}

static void test_carry_merges_and_copies(void **state)
{
    fixture_t *f = *state;
    make_installations(f);
    carry_params(f);
    assert_int_equal(run(f, "carry-customizations"), STEP_SUCCEEDED);

    char *text = read_text(at(f, NEW_PROPS));
    assert_non_null(strstr(text, "# shipped with v2\n"
                                 "dir.root=/opt/alfresco-v2/alf_data\n"
                                 "db.url=jdbc:postgresql://db1:5432/alfresco_v2\n"
                                 "solr.host=solr1\n"
                                 "index.subsystem.name=solr6\n\n"
                                 "# --- carried from "));
    assert_non_null(strstr(text, " by alfup on 20"));
    assert_non_null(strstr(text, "---\ndb.username=alfresco\n"
                                 "# keep this one secret\n"
                                 "db.password=s3cret\n"));
    assert_null(strstr(text, "/opt/alfresco-v1/alf_data"));
    struct stat st;
    assert_int_equal(stat(at(f, NEW_PROPS), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    assert_true(has_output(f, "carried", "db.username"));
    assert_true(has_output(f, "carried", "db.password"));
    assert_true(has_output(f, "replaced", "solr.host"));
    assert_true(has_output(f, "set", "dir.root"));
    assert_true(has_output(f, "set", "db.url"));
    assert_false(has_output(f, "carried", "index.subsystem.name"));
    assert_true(has_output(f, "points_at_old", "dir.keystore"));
    assert_false(has_output(f, "points_at_old", "db.password"));
    for (size_t i = 0; i < f->result.outputs.count; i++)
        assert_null(strstr(f->result.outputs.items[i].value, "s3cret"));

    /* Extension files: the missing ones copied with their modes, the shipped one kept. */
    assert_true(has_output(f, "copied", "custom-model-context.xml"));
    assert_true(has_output(f, "copied", "subsystems/Authentication/ldap/ldap1/ldap.properties"));
    assert_true(has_output(f, "conflict", "shipped.xml"));
    assert_true(has_output(f, "skipped", "link.xml"));
    assert_false(has_output(f, "conflict", "identical.xml"));
    assert_false(exists(at(f, NEW_EXT "/link.xml")));
    assert_int_equal(stat(at(f, NEW_EXT "/subsystems/Authentication/ldap/ldap1/ldap.properties"),
                          &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *shipped = read_text(at(f, NEW_EXT "/shipped.xml"));
    assert_string_equal(shipped, "<beans>new version</beans>\n");
    free(shipped);

    /* The old installation is untouched. */
    char *old_text = read_text(at(f, OLD_PROPS));
    assert_non_null(strstr(old_text, "dir.root=/opt/alfresco-v1/alf_data\n"));
    free(old_text);

    /* Again: nothing more to carry, the file is byte for byte the same. */
    assert_int_equal(run(f, "carry-customizations"), STEP_SUCCEEDED);
    char *again = read_text(at(f, NEW_PROPS));
    assert_string_equal(again, text);
    assert_false(has_output(f, "carried", "db.password"));
    assert_false(has_output(f, "copied", "custom-model-context.xml"));
    free(again);
    free(text);
}

/* An extension file (or folder) the alfresco user made setuid or setgid is
 * copied by root with its permission bits only. */
static void test_carry_drops_special_bits(void **state)
{
    fixture_t *f = *state;
    make_installations(f);
    write_file(at(f, OLD_EXT "/bin/helper.sh"), "#!/bin/sh\n", 06755);
    assert_int_equal(chmod(at(f, OLD_EXT "/bin"), 02775), 0);
    write_file(at(f, OLD_EXT "/sticky.xml"), "<beans/>\n", 01644);
    carry_params(f);
    assert_int_equal(run(f, "carry-customizations"), STEP_SUCCEEDED);
    assert_true(has_output(f, "copied", "bin/helper.sh"));
    struct stat st;
    assert_int_equal(stat(at(f, NEW_EXT "/bin/helper.sh"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(stat(at(f, NEW_EXT "/bin"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0775);
    assert_int_equal(stat(at(f, NEW_EXT "/sticky.xml"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_carry_refuses_old_data(void **state)
{
    fixture_t *f = *state;
    make_installations(f);
    char *before = read_text(at(f, NEW_PROPS));

    reset_params(f);
    param(f, "old_home", at(f, "v1"));
    param(f, "new_home", at(f, "v2"));
    param(f, "set.db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
    assert_int_equal(run(f, "carry-customizations"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "set.dir.root"));

    carry_params(f);
    reset_params(f);
    param(f, "old_home", at(f, "v1"));
    param(f, "new_home", at(f, "v2"));
    param(f, "set.dir.root", at(f, "v1/alf_data"));
    param(f, "set.db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
    assert_int_equal(run(f, "carry-customizations"), STEP_REFUSED);

    reset_params(f);
    param(f, "old_home", at(f, "v1"));
    param(f, "new_home", at(f, "v2"));
    param(f, "set.dir.root", "/opt/alfresco-v2/alf_data");
    param(f, "set.db.url", "jdbc:postgresql://db1:5432/alfresco");
    assert_int_equal(run(f, "carry-customizations"), STEP_REFUSED);

    reset_params(f);
    param(f, "old_home", at(f, "v1"));
    param(f, "new_home", at(f, "v1/tomcat"));
    param(f, "set.dir.root", "/opt/alfresco-v2/alf_data");
    param(f, "set.db.url", "jdbc:postgresql://db1:5432/alfresco_v2");
    assert_int_equal(run(f, "carry-customizations"), STEP_REFUSED);

    carry_params(f);
    param(f, "set.evil\nkey", "x");
    assert_int_equal(run(f, "carry-customizations"), STEP_REFUSED);

    carry_params(f);
    param(f, "set.solr.host", "line\nbreak");
    assert_int_equal(run(f, "carry-customizations"), STEP_REFUSED);

    carry_params(f);
    param(f, "set.solr.host", "not \xff utf-8");
    assert_int_equal(run(f, "carry-customizations"), STEP_REFUSED);

    char *after = read_text(at(f, NEW_PROPS));
    assert_string_equal(after, before);
    assert_false(exists(at(f, NEW_EXT "/custom-model-context.xml")));
    free(before);
    free(after);
}

/* ---- remove-webapps ---- */

static void test_remove_webapps(void **state)
{
    fixture_t *f = *state;
    write_file(at(f, "v2/tomcat/webapps/_vti_bin.war"), "war", 0644);
    write_file(at(f, "v2/tomcat/webapps/_vti_bin/WEB-INF/web.xml"), "<web-app/>", 0644);
    write_file(at(f, "v2/tomcat/webapps/ROOT.war"), "war", 0644);
    write_file(at(f, "v2/tomcat/webapps/alfresco.war"), "war", 0644);

    param(f, "new_home", at(f, "v2"));
    param(f, "app", "_vti_bin");
    param(f, "app", "../webapps");
    assert_int_equal(run(f, "remove-webapps"), STEP_REFUSED);
    assert_true(exists(at(f, "v2/tomcat/webapps/_vti_bin.war")));

    reset_params(f);
    param(f, "new_home", at(f, "v2"));
    param(f, "old_home", at(f, "v2"));
    param(f, "app", "_vti_bin");
    assert_int_equal(run(f, "remove-webapps"), STEP_REFUSED);   /* new_home is the old one */
    assert_true(exists(at(f, "v2/tomcat/webapps/_vti_bin.war")));

    reset_params(f);
    param(f, "new_home", at(f, "v2"));
    param(f, "old_home", at(f, "v1"));
    param(f, "app", "_vti_bin");
    param(f, "app", "not-there");
    assert_int_equal(run(f, "remove-webapps"), STEP_SUCCEEDED);
    assert_false(exists(at(f, "v2/tomcat/webapps/_vti_bin.war")));
    assert_false(exists(at(f, "v2/tomcat/webapps/_vti_bin")));
    assert_true(exists(at(f, "v2/tomcat/webapps/ROOT.war")));
    assert_true(exists(at(f, "v2/tomcat/webapps/alfresco.war")));
    assert_true(has_output(f, "removed", "_vti_bin.war"));
    assert_true(has_output(f, "removed", "_vti_bin/"));
    assert_true(has_output(f, "absent", "not-there"));

    reset_params(f);
    param(f, "new_home", "/etc");
    param(f, "app", "x");
    assert_int_equal(run(f, "remove-webapps"), STEP_REFUSED);

    /* A new home whose webapps folder is a link to the old one's: refused. */
    write_file(at(f, "v1/tomcat/webapps/_vti_bin.war"), "old war", 0644);
    make_dir(at(f, "v3/tomcat"));
    assert_int_equal(symlink(at(f, "v1/tomcat/webapps"), at(f, "v3/tomcat/webapps")), 0);
    reset_params(f);
    param(f, "new_home", at(f, "v3"));
    param(f, "app", "_vti_bin");
    assert_int_equal(run(f, "remove-webapps"), STEP_REFUSED);
    assert_true(exists(at(f, "v1/tomcat/webapps/_vti_bin.war")));
}

/* ---- install-amps ---- */

static void write_tool(fixture_t *f, const char *name, int exit_code)
{
    char script[4096];
    int len = snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "echo \"cwd=$(pwd) args=$*\" > '%s/tool-record'\n"
             "ls amps >> '%s/tool-record'\n"
             "echo applying modules\n"
             "echo 'module installed' >&2\n"
             "%s\n"
             "exit %d\n",
             f->root, f->root,
             exit_code ? "echo 'boom: war file is corrupt'"
                       : "touch tomcat/webapps/alfresco.war.amped",
             exit_code);
    assert_true(len > 0 && len < (int)sizeof script);
    write_file(at(f, name), script, 0755);
}

static void make_new_tomcat(fixture_t *f)
{
    write_file(at(f, "v2/tomcat/webapps/alfresco.war"), "war", 0644);
    write_file(at(f, "v2/tomcat/webapps/share.war"), "war", 0644);
    write_file(at(f, "v2/tomcat/webapps/alfresco/WEB-INF/web.xml"), "x", 0644);
    write_file(at(f, "v2/tomcat/webapps/share/WEB-INF/web.xml"), "x", 0644);
    write_file(at(f, "v2/tomcat/work/Catalina/localhost/alfresco/x.class"), "x", 0644);
    write_file(at(f, "v2/tomcat/temp/cache.tmp"), "x", 0644);
    write_file(at(f, "dist/custom-module.amp"), "PK amp", 0600);
    write_file(at(f, "dist/other.zip"), "PK zip", 0644);
}

static void test_install_amps_runs_the_tool(void **state)
{
    fixture_t *f = *state;
    make_new_tomcat(f);
    param(f, "new_home", at(f, "v2"));
    param(f, "amp", at(f, "dist/custom-module.amp"));
    assert_int_equal(run(f, "install-amps"), STEP_REFUSED);  /* no apply_amps in the config */
    assert_non_null(strstr(f->result.error, "apply_amps"));

    write_tool(f, "bin/apply_amps.sh", 0);
    add_tool(f, "apply_amps", at(f, "bin/apply_amps.sh"));
    assert_int_equal(run(f, "install-amps"), STEP_SUCCEEDED);

    char *record = read_text(at(f, "tool-record"));
    char expected[4200];
    snprintf(expected, sizeof expected, "cwd=%s args=-force -nobackup\ncustom-module.amp\n",
             at(f, "v2"));
    assert_string_equal(record, expected);
    free(record);
    assert_true(exists(at(f, "v2/tomcat/webapps/alfresco.war.amped")));
    assert_true(exists(at(f, "v2/amps/custom-module.amp")));
    assert_true(exists(at(f, "v2/tomcat/webapps/alfresco.war")));
    assert_true(exists(at(f, "v2/tomcat/webapps/share.war")));
    assert_false(exists(at(f, "v2/tomcat/webapps/alfresco")));
    assert_false(exists(at(f, "v2/tomcat/webapps/share")));
    assert_int_equal(tree_is_empty(at(f, "v2/tomcat/work"), NULL), TREE_EMPTY);
    assert_int_equal(tree_is_empty(at(f, "v2/tomcat/temp"), NULL), TREE_EMPTY);
    assert_true(has_output(f, "amp", "custom-module.amp"));
    assert_true(has_output(f, "tool_exit", "0"));
    assert_true(str_list_contains(&f->result.log_lines, "applying modules"));
    assert_true(str_list_contains(&f->result.log_lines, "module installed"));
    assert_true(f->progress_calls >= 2);   /* AMP copied, tool output lines */
}

static void test_install_amps_failures(void **state)
{
    fixture_t *f = *state;
    make_new_tomcat(f);
    write_tool(f, "bin/apply_amps.sh", 3);
    add_tool(f, "apply_amps", at(f, "bin/apply_amps.sh"));

    param(f, "new_home", at(f, "v2"));
    param(f, "amp", at(f, "dist/custom-module.amp"));
    assert_int_equal(run(f, "install-amps"), STEP_FAILED);
    assert_non_null(strstr(f->result.error, "exited with status 3"));
    assert_non_null(strstr(f->result.error, "boom: war file is corrupt"));
    assert_true(str_list_contains(&f->result.log_lines, "boom: war file is corrupt"));
    assert_true(exists(at(f, "v2/tomcat/webapps/alfresco/WEB-INF/web.xml")));  /* no clean-up */

    reset_params(f);
    param(f, "new_home", at(f, "v2/tomcat"));
    param(f, "old_home", at(f, "v2"));
    param(f, "amp", at(f, "dist/custom-module.amp"));
    assert_int_equal(run(f, "install-amps"), STEP_REFUSED);   /* inside the old home */
    assert_false(exists(at(f, "v2/tomcat/amps")));

    reset_params(f);
    param(f, "new_home", at(f, "v2"));
    param(f, "amp", at(f, "dist/other.zip"));
    assert_int_equal(run(f, "install-amps"), STEP_REFUSED);

    reset_params(f);
    param(f, "new_home", at(f, "v2"));
    param(f, "amp", at(f, "dist/custom-module.amp"));
    param(f, "amp", "/etc/evil.amp");
    assert_int_equal(run(f, "install-amps"), STEP_REFUSED);
    assert_false(exists(at(f, "v2/amps/evil.amp")));

    reset_params(f);
    param(f, "new_home", at(f, "v2"));
    param(f, "amp", at(f, "dist/missing.amp"));
    assert_int_equal(run(f, "install-amps"), STEP_REFUSED);

    /* The exploded webapp is a link into the old installation: never followed. */
    write_tool(f, "bin/apply_amps.sh", 0);
    write_file(at(f, "v1/tomcat/webapps/share/WEB-INF/web.xml"), "old", 0644);
    assert_int_equal(tree_remove_all(at(f, "v2/tomcat/webapps/share"), NULL, NULL), 0);
    assert_int_equal(symlink(at(f, "v1/tomcat/webapps/share"), at(f, "v2/tomcat/webapps/share")),
                     0);
    reset_params(f);
    param(f, "new_home", at(f, "v2"));
    param(f, "amp", at(f, "dist/custom-module.amp"));
    assert_int_equal(run(f, "install-amps"), STEP_FAILED);
    assert_non_null(strstr(f->result.error, "leads outside"));
    assert_true(exists(at(f, "v1/tomcat/webapps/share/WEB-INF/web.xml")));
}

/* ---- solr-clean ---- */

static void make_search_services(fixture_t *f)
{
    write_file(at(f, "solr6/solrhome/solr.xml"), "<solr/>", 0644);
    write_file(at(f, "solr6/solrhome/alfresco/core.properties"), "name=alfresco\n", 0644);
    write_file(at(f, "solr6/solrhome/alfresco/conf/solrcore.properties"),
               "data.dir.store=alfresco\n", 0644);
    write_file(at(f, "solr6/solrhome/archive/conf/solrcore.properties"),
               "data.dir.store=archive\n", 0644);
    write_file(at(f, "solr6/solrhome/alfresco/index/segments_2"), "seg", 0644);
    write_file(at(f, "solr6/solrhome/alfresco/index/_0.cfs"), "12345", 0644);
    write_file(at(f, "solr6/solrhome/archive/index/segments_1"), "seg", 0644);
    write_file(at(f, "solr6/solrhome/alfrescoModels/contentModel.xml"), "<model/>", 0644);
    write_file(at(f, "solr6/solrhome/alfrescoModels/custom.xml"), "<model/>", 0644);
    write_file(at(f, "solr6/solrhome/templates/rerank/conf/solrconfig.xml"), "<config/>", 0644);
}

static void test_solr_clean_search_services(void **state)
{
    fixture_t *f = *state;
    make_search_services(f);
    param(f, "solr_home", at(f, "solr6/solrhome"));
    param(f, "data_dir_root", at(f, "solr6/solrhome"));
    param(f, "old_solr_home", at(f, "solr6"));   /* the old Solr said to be here: refused */
    assert_int_equal(run(f, "solr-clean"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "old_solr_home"));
    assert_true(exists(at(f, "solr6/solrhome/alfrescoModels/custom.xml")));

    reset_params(f);
    param(f, "solr_home", at(f, "solr6/solrhome"));
    param(f, "data_dir_root", at(f, "solr6/solrhome"));
    param(f, "old_solr_home", at(f, "solr-v1/solrhome"));
    param(f, "old_data_dir_root", "/opt/solr-v1/solrhome");
    assert_int_equal(run(f, "solr-clean"), STEP_SUCCEEDED);
    assert_int_equal(tree_is_empty(at(f, "solr6/solrhome/alfresco/index"), NULL), TREE_EMPTY);
    assert_int_equal(tree_is_empty(at(f, "solr6/solrhome/archive/index"), NULL), TREE_EMPTY);
    assert_int_equal(tree_is_empty(at(f, "solr6/solrhome/alfrescoModels"), NULL), TREE_EMPTY);
    assert_true(exists(at(f, "solr6/solrhome/solr.xml")));
    assert_true(exists(at(f, "solr6/solrhome/alfresco/core.properties")));
    assert_true(exists(at(f, "solr6/solrhome/alfresco/conf/solrcore.properties")));
    assert_true(exists(at(f, "solr6/solrhome/archive/conf/solrcore.properties")));
    assert_true(exists(at(f, "solr6/solrhome/templates/rerank/conf/solrconfig.xml")));
    assert_true(has_output(f, "model_files_removed", "2"));
    assert_true(has_output(f, "index_files_removed", "3"));
    assert_true(has_output(f, "bytes_removed", "27"));
}

static void test_configure_solr_points_cores_at_the_new_index_folder(void **state)
{
    fixture_t *f = *state;
    make_search_services(f);
    write_file(at(f, "solr6/solrhome/alfresco/conf/solrcore.properties"),
               "# shipped\ndata.dir.root=/opt/elsewhere\ndata.dir.store=alfresco\n", 0640);
    param(f, "solr_home", at(f, "solr6"));
    param(f, "data_dir_root", at(f, "solr6/data"));
    param(f, "old_solr_home", at(f, "solr-v1"));
    param(f, "set.alfresco.host", "repo1.example.com");
    assert_int_equal(run(f, "configure-solr"), STEP_SUCCEEDED);
    char expected[8192];
    snprintf(expected, sizeof expected,
             "# shipped\ndata.dir.root=%s\ndata.dir.store=alfresco\n", at(f, "solr6/data"));
    char *text = read_text(at(f, "solr6/solrhome/alfresco/conf/solrcore.properties"));
    assert_non_null(strstr(text, expected));            /* replaced in place, comment and order kept */
    assert_non_null(strstr(text, "alfresco.host=repo1.example.com")); /* appended */
    free(text);
    struct stat st;
    assert_int_equal(stat(at(f, "solr6/solrhome/alfresco/conf/solrcore.properties"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    text = read_text(at(f, "solr6/solrhome/archive/conf/solrcore.properties"));
    assert_non_null(strstr(text, "data.dir.root="));
    free(text);
    assert_true(has_output(f, "data_dir_root", at(f, "solr6/data")));

    reset_params(f); /* again: nothing to change */
    param(f, "solr_home", at(f, "solr6"));
    param(f, "data_dir_root", at(f, "solr6/data"));
    param(f, "old_solr_home", at(f, "solr-v1"));
    param(f, "set.alfresco.host", "repo1.example.com");
    assert_int_equal(run(f, "configure-solr"), STEP_SUCCEEDED);
    assert_true(has_output(f, "unchanged", at(f, "solr6/solrhome/archive/conf/solrcore.properties")));
}

static void test_configure_solr_refusals(void **state)
{
    fixture_t *f = *state;
    make_search_services(f);
    param(f, "solr_home", at(f, "solr6"));
    param(f, "data_dir_root", at(f, "solr6/data"));
    param(f, "old_solr_home", at(f, "solr6/solrhome")); /* the new home overlaps the old one */
    assert_int_equal(run(f, "configure-solr"), STEP_REFUSED);
    char *text = read_text(at(f, "solr6/solrhome/alfresco/conf/solrcore.properties"));
    assert_string_equal(text, "data.dir.store=alfresco\n"); /* untouched */
    free(text);

    reset_params(f);
    make_dir(at(f, "empty-solr"));
    param(f, "solr_home", at(f, "empty-solr"));
    param(f, "data_dir_root", at(f, "empty-solr/data"));
    param(f, "old_solr_home", at(f, "solr-v1"));
    assert_int_equal(run(f, "configure-solr"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "solrcore.properties"));

    reset_params(f);
    param(f, "solr_home", at(f, "solr6"));
    param(f, "data_dir_root", at(f, "solr6/data"));
    param(f, "old_solr_home", at(f, "solr-v1"));
    param(f, "set.evil\nkey", "x");
    assert_int_equal(run(f, "configure-solr"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "not a settable key"));
}

static void test_solr_clean_solr4(void **state)
{
    fixture_t *f = *state;
    char core[4200];
    snprintf(core, sizeof core, "data.dir.root=%s\ndata.dir.store=workspace/SpacesStore\n",
             at(f, "alf_data/solr4/index"));
    write_file(at(f, "solr4/workspace-SpacesStore/conf/solrcore.properties"), core, 0644);
    write_file(at(f, "alf_data/solr4/index/workspace/SpacesStore/index/_1.cfs"), "x", 0644);
    write_file(at(f, "alf_data/solr4/index/archive/SpacesStore/index/_1.cfs"), "x", 0644);
    write_file(at(f, "alf_data/solr4/model/m.xml"), "<model/>", 0644);
    write_file(at(f, "alf_data/solr4/content/keep.gz"), "keep", 0644);
    write_file(at(f, "alf_data/contentstore/2024/1/1/keep.bin"), "keep", 0644);

    param(f, "solr_home", at(f, "solr4"));
    param(f, "data_dir_root", at(f, "alf_data"));   /* not what the cores name */
    assert_int_equal(run(f, "solr-clean"), STEP_REFUSED);
    assert_true(exists(at(f, "alf_data/solr4/model/m.xml")));

    reset_params(f);
    param(f, "solr_home", at(f, "solr4"));
    param(f, "data_dir_root", at(f, "alf_data/solr4/index"));
    assert_int_equal(run(f, "solr-clean"), STEP_SUCCEEDED);
    assert_int_equal(tree_is_empty(at(f, "alf_data/solr4/index/workspace/SpacesStore"), NULL), TREE_EMPTY);
    assert_int_equal(tree_is_empty(at(f, "alf_data/solr4/index/archive/SpacesStore"), NULL), TREE_EMPTY);
    assert_int_equal(tree_is_empty(at(f, "alf_data/solr4/model"), NULL), TREE_EMPTY);
    assert_true(exists(at(f, "alf_data/solr4/content/keep.gz")));
    assert_true(exists(at(f, "alf_data/contentstore/2024/1/1/keep.bin")));
    assert_true(exists(at(f, "solr4/workspace-SpacesStore/conf/solrcore.properties")));
    assert_true(has_output(f, "model_files_removed", "1"));
    assert_true(has_output(f, "index_files_removed", "2"));
}

static void test_solr_clean_refuses_a_non_solr_folder(void **state)
{
    fixture_t *f = *state;
    write_file(at(f, "notsolr/alfresco/index/precious.txt"), "keep", 0644);
    write_file(at(f, "notsolr/alfrescoModels/precious.xml"), "keep", 0644);
    param(f, "solr_home", at(f, "notsolr"));
    param(f, "data_dir_root", at(f, "notsolr"));
    assert_int_equal(run(f, "solr-clean"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "solrcore.properties"));
    assert_true(exists(at(f, "notsolr/alfresco/index/precious.txt")));
    assert_true(exists(at(f, "notsolr/alfrescoModels/precious.xml")));
}

/* ---- wipe ---- */

static void wipe_expect(fixture_t *f, const char *path, step_status_t expected)
{
    reset_params(f);
    param(f, "path", path);
    param(f, "old_home", at(f, "v1"));
    assert_int_equal(run(f, "wipe"), expected);
}

static void test_wipe_empties_the_new_contentstore(void **state)
{
    fixture_t *f = *state;
    write_file(at(f, "v1/alf_data/contentstore/2024/1/1/a.bin"), "old", 0644);
    for (int i = 0; i < 20; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "v2/alf_data/contentstore/2025/%d/1/12/30/f%d.bin", i % 3, i);
        write_file(at(f, rel), "0123456789", 0644);
    }
    wipe_expect(f, at(f, "v2/alf_data/contentstore"), STEP_SUCCEEDED);
    assert_int_equal(tree_is_empty(at(f, "v2/alf_data/contentstore"), NULL), TREE_EMPTY);
    assert_true(has_output(f, "files_removed", "20"));
    assert_true(has_output(f, "bytes_removed", "200"));
    assert_true(f->progress_calls > 0);
    assert_true(exists(at(f, "v1/alf_data/contentstore/2024/1/1/a.bin")));
}

static void test_wipe_refusals(void **state)
{
    fixture_t *f = *state;
    write_file(at(f, "v1/alf_data/contentstore/a.bin"), "old", 0644);
    write_file(at(f, "v2/alf_data/contentstore/b.bin"), "new", 0644);
    write_file(at(f, "backups/run1/backup.tar"), "backup", 0644);
    assert_int_equal(symlink(at(f, "v1/alf_data"), at(f, "v2/sneaky")), 0);

    wipe_expect(f, at(f, "v1"), STEP_REFUSED);                         /* the old home */
    wipe_expect(f, at(f, "v1/alf_data/contentstore"), STEP_REFUSED);   /* inside it */
    wipe_expect(f, f->root, STEP_REFUSED);                             /* containing it */
    wipe_expect(f, at(f, "v2/sneaky"), STEP_REFUSED);                  /* a symlink into it */
    assert_non_null(strstr(f->result.error, "old installation"));
    wipe_expect(f, "/", STEP_REFUSED);
    wipe_expect(f, "/etc", STEP_REFUSED);                              /* outside the roots */
    wipe_expect(f, "relative/path", STEP_REFUSED);
    wipe_expect(f, at(f, "v2/../v1"), STEP_REFUSED);
    wipe_expect(f, at(f, "backups"), STEP_REFUSED);
    wipe_expect(f, at(f, "state"), STEP_REFUSED);

    reset_params(f);
    param(f, "path", at(f, "v2/alf_data/contentstore"));
    assert_int_equal(run(f, "wipe"), STEP_REFUSED);                    /* old_home is required */

    assert_true(exists(at(f, "v1/alf_data/contentstore/a.bin")));
    assert_true(exists(at(f, "v2/alf_data/contentstore/b.bin")));
    assert_true(exists(at(f, "backups/run1/backup.tar")));
}

static void test_wipe_cancelled(void **state)
{
    fixture_t *f = *state;
    write_file(at(f, "v2/scratch/a/b.bin"), "x", 0644);
    atomic_store(&f->cancel, 1);
    wipe_expect(f, at(f, "v2/scratch"), STEP_CANCELLED);
    assert_true(exists(at(f, "v2/scratch/a/b.bin")));
}

/* ---- decommission-tree ---- */

/* The new installation's paths every decommission-tree request carries. */
static void decommission_params(fixture_t *f, const char *old_home)
{
    reset_params(f);
    param(f, "old_home", old_home);
    param(f, "new_home", at(f, "v2"));
    param(f, "new_dir_root", at(f, "data-v2"));
}

static void test_decommission_needs_approval(void **state)
{
    fixture_t *f = *state;
    write_file(at(f, "v1/tomcat/webapps/alfresco.war"), "war", 0644);
    write_file(at(f, "v1/alf_data/contentstore/a.bin"), "data", 0644);
    decommission_params(f, at(f, "v1"));
    assert_int_equal(run(f, "decommission-tree"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "approval"));
    assert_true(exists(at(f, "v1/alf_data/contentstore/a.bin")));

    f->ctx.approval = "operator:alice@2026-11-25T10:00Z";
    decommission_params(f, f->root);   /* contains backup_dir and state_dir */
    assert_int_equal(run(f, "decommission-tree"), STEP_REFUSED);
    decommission_params(f, at(f, "backups"));
    assert_int_equal(run(f, "decommission-tree"), STEP_REFUSED);
    decommission_params(f, "/");
    assert_int_equal(run(f, "decommission-tree"), STEP_REFUSED);

    decommission_params(f, at(f, "v1"));
    assert_int_equal(run(f, "decommission-tree"), STEP_SUCCEEDED);
    assert_false(exists(at(f, "v1")));
    assert_true(exists(at(f, "backups")));
    assert_true(has_output(f, "approval", "operator:alice@2026-11-25T10:00Z"));
    assert_true(has_output(f, "files_removed", "2"));
}

/* Expects decommission-tree of old_home, with new_home and new_dir_root as
 * given, to be refused for overlapping the new installation, and v1 kept. */
static void expect_overlap_refused(fixture_t *f, const char *old_home, const char *new_home,
                                   const char *new_dir_root)
{
    reset_params(f);
    param(f, "old_home", old_home);
    param(f, "new_home", new_home);
    param(f, "new_dir_root", new_dir_root);
    assert_int_equal(run(f, "decommission-tree"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "overlaps the new installation"));
    assert_true(exists(at(f, "opt/v1/alf_data/contentstore/a.bin")));
    assert_true(exists(at(f, "opt/v2/tomcat/webapps/alfresco.war")));
}

static void test_decommission_refuses_the_new_installation(void **state)
{
    fixture_t *f = *state;
    f->ctx.approval = "operator:alice@2026-11-25T10:00Z";
    write_file(at(f, "opt/v1/alf_data/contentstore/a.bin"), "old data", 0644);
    write_file(at(f, "opt/v2/tomcat/webapps/alfresco.war"), "new war", 0644);
    make_dir(at(f, "opt/v1/data-v2"));
    /* the old home contains the new home, or the new dir_root ... */
    expect_overlap_refused(f, at(f, "opt"), at(f, "opt/v2"), at(f, "data-v2"));
    expect_overlap_refused(f, at(f, "opt/v1"), at(f, "opt/v2"), at(f, "opt/v1/data-v2"));
    /* ... (one that does not exist yet too) or lies inside either */
    expect_overlap_refused(f, at(f, "opt/v1"), at(f, "opt/v1/next"), at(f, "data-v2"));
    expect_overlap_refused(f, at(f, "opt/v1"), at(f, "opt/v2"), at(f, "opt"));
    expect_overlap_refused(f, at(f, "opt/v1"), at(f, "opt/v1"), at(f, "data-v2"));
    /* both are required, and absolute */
    reset_params(f);
    param(f, "old_home", at(f, "opt/v1"));
    param(f, "new_home", at(f, "opt/v2"));
    assert_int_equal(run(f, "decommission-tree"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "new_dir_root"));
    param(f, "new_dir_root", "data-v2");
    assert_int_equal(run(f, "decommission-tree"), STEP_REFUSED);
    assert_non_null(strstr(f->result.error, "absolute"));
    assert_true(exists(at(f, "opt/v1/alf_data/contentstore/a.bin")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_carry_merges_and_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carry_drops_special_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carry_refuses_old_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_webapps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_amps_runs_the_tool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_amps_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_solr_clean_search_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_solr_clean_solr4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_solr_points_cores_at_the_new_index_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_solr_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_solr_clean_refuses_a_non_solr_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wipe_empties_the_new_contentstore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wipe_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wipe_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decommission_needs_approval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decommission_refuses_the_new_installation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
