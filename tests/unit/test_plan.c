/* test_plan.c -- plan check: a good plan passes; each bad plan is refused with the right FILE:LINE and reason,
 * and a broken workflow file is refused with its own FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "text_edit.h"

#include "plan.h"
#include "plan_diag.h"
#include "run_plan.h"
#include "workflow.h"

static const char GOOD[] = "deployment: prod-ecm\n"                             /* 1 */
                           "workflow: alfresco-upgrade\n"                       /* 2 */
                           "agents:\n"                                          /* 3 */
                           "  repo1: [repo]\n"                                  /* 4 */
                           "  db1: [db]\n"                                      /* 5 */
                           "  solr1: [solr]\n"                                  /* 6 */
                           "backup_dir: /srv/alfup-backups\n"                   /* 7 */
                           "old:\n"                                             /* 8 */
                           "  home: /opt/alfresco-v1\n"                         /* 9 */
                           "  service: alfresco-v1\n"                           /* 10 */
                           "  dir_root: /opt/alfresco-v1/alf_data\n"            /* 11 */
                           "  database: alfresco\n"                             /* 12 */
                           "  solr: {home: /opt/solr-v1, service: solr-v1,\n"   /* 13 */
                           "         data_dir_root: /opt/solr-v1/solrhome}\n"   /* 14 */
                           "new:\n"                                             /* 15 */
                           "  home: /opt/alfresco-v2\n"                         /* 16 */
                           "  service: alfresco-v2\n"                           /* 17 */
                           "  dir_root: /opt/alfresco-v2/alf_data\n"            /* 18 */
                           "  database: alfresco_v2\n"                          /* 19 */
                           "  distribution: /srv/dist/alfresco-v2.zip\n"        /* 20 */
                           "  db_user: alfresco\n"                              /* 21 */
                           "  db_url: jdbc:postgresql://db1:5432/alfresco_v2\n" /* 22 */
                           "  solr:\n"                                          /* 23 */
                           "    home: /opt/solr-v2\n"                           /* 24 */
                           "    service: solr-v2\n"                             /* 25 */
                           "    data_dir_root: /opt/solr-v2/solrhome\n"         /* 26 */
                           "    distribution: /srv/dist/solr-v2.zip\n"          /* 27 */
                           "customizations:\n"                                  /* 28 */
                           "  amps: [/srv/amps/custom-module.amp]\n"            /* 29 */
                           "  remove_apps: [_vti_bin]\n"                        /* 30 */
                           "approve: [decommission]\n";                         /* 31 */

static char workflows[4096];

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("ALFUP_SOURCE_DIR");
    snprintf(workflows, sizeof workflows, "%s/deploy/workflows", src ? src : ".");
    return 0;
}

/* GOOD with line (1-based) replaced by replacement (NULL: removed; may hold several lines). */
static char *edited(int line, const char *replacement)
{
    char *text = text_replace_line(GOOD, line, replacement);
    assert_non_null(text);
    return text;
}

/* Builds text; must fail with an error "plan.yaml:LINE: ..." containing needle. */
static void expect_error(const char *text, int line, const char *needle)
{
    plan_diag_t diag = {0};
    run_plan_t *plan = run_plan_build_diag("plan.yaml", text, strlen(text), workflows, &diag);
    assert_null(plan);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "plan.yaml:%d: ", line);
    for (size_t i = 0; i < diag.errors.count; i++)
        if (strncmp(diag.errors.items[i], prefix, strlen(prefix)) == 0 && strstr(diag.errors.items[i], needle)) {
            plan_diag_clear(&diag);
            return;
        }
    for (size_t i = 0; i < diag.errors.count; i++)
        print_message("got: %s\n", diag.errors.items[i]);
    plan_diag_clear(&diag);
    fail_msg("no error '%s...%s'", prefix, needle);
}

static void expect_edit_error(int line, const char *replacement, int error_line, const char *needle)
{
    char *text = edited(line, replacement);
    expect_error(text, error_line, needle);
    free(text);
}

static void test_good_plan(void **state)
{
    (void)state;
    alfup_err_t err = {{0}};
    run_plan_t *plan = run_plan_build("plan.yaml", GOOD, strlen(GOOD), workflows, &err);
    if (plan == NULL)
        fail_msg("%s", err.msg);
    assert_string_equal(plan->deployment, "prod-ecm");
    assert_string_equal(plan->workflow, "alfresco-upgrade");
    assert_int_equal(plan->agents.count, 3);
    assert_string_equal(plan->agent_roles.items[1], "db");
    run_plan_destroy(&plan);
    assert_null(plan);
}

static void test_new_path_inside_old(void **state)
{
    (void)state;
    expect_edit_error(16, "  home: /opt/alfresco-v1/v2", 16, "lies inside old.home /opt/alfresco-v1");
    expect_edit_error(18, "  dir_root: /opt/alfresco-v1/alf_data", 18, "is the same as old.dir_root");
    expect_edit_error(26, "    data_dir_root: /opt/solr-v1/solrhome/v2", 26, "lies inside old.solr.data_dir_root");
    /* old inside new */
    expect_edit_error(16, "  home: /opt", 16, "contains old.home");
    expect_edit_error(7, "backup_dir: /opt/alfresco-v1/backups", 7, "lies inside old.home");
}

static void test_root_and_relative_paths(void **state)
{
    (void)state;
    expect_edit_error(11, "  dir_root: /", 11, "root folder");
    expect_edit_error(24, "    home: /", 24, "root folder");
    expect_edit_error(18, "  dir_root: alf_data", 18, "not an absolute path");
    expect_edit_error(9, "  home: /opt/x/../alfresco-v1", 9, "'..'");
    expect_edit_error(9, "  home: \"\"", 9, "must not be empty");
    expect_edit_error(9, "  home: /opt/alfresco-v1/", 9, "ends with");
}

static void test_same_database(void **state)
{
    (void)state;
    expect_edit_error(19, "  database: alfresco", 19, "is the old database");
    expect_edit_error(19, "  database: alfresco-v2", 19, "not a database name");
    expect_edit_error(22, "  db_url: jdbc:postgresql://db1/alfresco", 22, "names database 'alfresco'");
    expect_edit_error(22, "  db_url: postgres://db1/alfresco_v2", 22, "not a jdbc:postgresql");
}

static void test_unknown_and_missing_keys(void **state)
{
    (void)state;
    expect_edit_error(31, "approve: [decommission]\ncolour: blue", 32, "unknown key");
    expect_edit_error(12, "  database: alfresco\n  databse: alfresco", 13, "unknown key");
    expect_edit_error(10, NULL, 8, "missing required key 'service'");
    expect_edit_error(21, NULL, 15, "missing required key 'db_user'");
    expect_edit_error(7, NULL, 1, "missing required key 'backup_dir'");
}

static void test_agents_and_roles(void **state)
{
    (void)state;
    expect_edit_error(6, NULL, 3, "no agent has role 'solr'");
    expect_edit_error(4, "  repo1: [repo, web]", 4, "unknown role 'web'");
    expect_edit_error(4, "  repo1: [repo, repo]", 4, "given twice");
    expect_edit_error(4, "  repo1: []", 4, "");
    expect_edit_error(4, "  repo_1!: [repo]", 4, "not an agent name");
    expect_edit_error(4, "  repo1: [repo]\n  repo1: [db]", 5, "duplicate");
    expect_edit_error(5, "  db1: [db]\n  db2: [db]", 6, "already given to db1");
}

static void test_approve_names(void **state)
{
    (void)state;
    expect_edit_error(31, "approve: [decommission, nothing-like-this]", 31, "neither a step nor a phase");
    expect_edit_error(2, "workflow: no-such-workflow", 2, "no workflow 'no-such-workflow'");
    expect_edit_error(2, "workflow: ../etc/passwd", 2, "not a name");
}

static void test_reports_every_error(void **state)
{
    (void)state;
    char *text = edited(16, "  home: /opt/alfresco-v1/v2\n  colour: blue");
    char *worse = NULL;
    size_t len = strlen(text);
    worse = malloc(len + 64);
    assert_non_null(worse);
    snprintf(worse, len + 64, "%sjobs: 99\n", text);
    plan_diag_t diag = {0};
    assert_null(run_plan_build_diag("plan.yaml", worse, strlen(worse), workflows, &diag));
    assert_true(plan_diag_count(&diag) >= 2);
    alfup_err_t err;
    assert_null(run_plan_build("plan.yaml", worse, strlen(worse), workflows, &err));
    assert_non_null(strstr(err.msg, "more)"));
    plan_diag_clear(&diag);
    free(worse);
    free(text);
}

/* --- broken workflows: their own file and line ------------------------------ */

static const char WF_HEAD[] = "workflow: wf\n"                                  /* 1 */
                              "title: test\n"                                   /* 2 */
                              "phases:\n"                                       /* 3 */
                              "  - id: one\n"                                   /* 4 */
                              "    title: One\n"                                /* 5 */
                              "    steps:\n"                                    /* 6 */
                              "      - id: stop\n"                              /* 7 */
                              "        title: stop\n"                           /* 8 */
                              "        procedure: \"1.1\"\n"                    /* 9 */
                              "        role: repo\n"                            /* 10 */
                              "        kind: service-stop\n"                    /* 11 */
                              "        arms_rollback: true\n"                   /* 12 */
                              "        params: {service: \"{old.service}\"}\n"; /* 13 */
static const char WF_TAIL[] = "rollback: []\n";

/* Parses WF_HEAD + extra + WF_TAIL; expects an error "wf.yaml:LINE: ...needle". */
static void expect_workflow_error(const char *extra, int line, const char *needle)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s%s", WF_HEAD, extra, WF_TAIL);
    plan_diag_t diag = {0};
    workflow_t *wf = workflow_parse("wf.yaml", text, strlen(text), &diag);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "wf.yaml:%d: ", line);
    bool found = false;
    for (size_t i = 0; i < diag.errors.count; i++)
        found |= strncmp(diag.errors.items[i], prefix, strlen(prefix)) == 0 && strstr(diag.errors.items[i], needle);
    for (size_t i = 0; !found && i < diag.errors.count; i++)
        print_message("got: %s\n", diag.errors.items[i]);
    assert_null(wf);
    plan_diag_clear(&diag);
    assert_true(found);
}

static void test_workflow_errors(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text, "%s%s", WF_HEAD, WF_TAIL);
    plan_diag_t diag = {0};
    workflow_t *wf = workflow_parse("wf.yaml", text, strlen(text), &diag);
    assert_non_null(wf);
    workflow_destroy(&wf);
    const char *step = "      - id: two\n"            /* 14 */
                       "        title: two\n"         /* 15 */
                       "        procedure: \"1.2\"\n" /* 16 */
                       "        role: repo\n";        /* 17 */
    char extra[1024];
    snprintf(extra, sizeof extra, "%s        kind: backup-everything\n        params: {}\n", step);
    expect_workflow_error(extra, 18, "unknown step kind 'backup-everything'");
    snprintf(extra, sizeof extra, "%s        kind: service-start\n        params: {service: \"{old.servce}\"}\n", step);
    expect_workflow_error(extra, 19, "unknown template {old.servce}");
    snprintf(extra, sizeof extra, "%s        kind: service-start\n        params: {servic: x}\n", step);
    expect_workflow_error(extra, 19, "has no parameter 'servic'");
    snprintf(extra, sizeof extra, "%s        kind: service-start\n        params: {}\n", step);
    expect_workflow_error(extra, 14, "needs parameter 'service'");
    /* a reference to a later step, to itself, to another role, to an unknown output */
    snprintf(extra, sizeof extra,
             "%s        kind: verify-archive\n        params: {archive: \"${three.archive}\"}\n"
             "      - id: three\n        title: t\n        procedure: \"1.2\"\n        role: repo\n"
             "        kind: backup-tree\n        params: {archive: /b/x, tree: /a}\n",
             step);
    expect_workflow_error(extra, 19, "does not finish before");
    snprintf(extra, sizeof extra, "%s        kind: verify-archive\n        params: {archive: \"${stop.archive}\"}\n",
             step);
    expect_workflow_error(extra, 19, "has no output 'archive'");
    snprintf(extra, sizeof extra,
             "%s        kind: service-start\n        parallel_with: stop\n"
             "        params: {service: \"${stop.pid}\"}\n",
             step);
    expect_workflow_error(extra, 20, "does not finish before");
    snprintf(extra, sizeof extra,
             "      - id: two\n        title: two\n        procedure: \"1.2\"\n        role: db\n"
             "        kind: service-start\n        params: {service: \"${stop.pid}\"}\n");
    expect_workflow_error(extra, 19, "does not run on the same agents");
    snprintf(extra, sizeof extra,
             "%s        kind: decommission-tree\n        params: {old_home: \"{old.home}\", "
             "new_home: \"{new.home}\", new_dir_root: \"{new.dir_root}\"}\n",
             step);
    expect_workflow_error(extra, 18, "gate: true");
    snprintf(extra, sizeof extra,
             "%s        kind: service-start\n        parallel_with: nothing\n"
             "        params: {service: x}\n",
             step);
    expect_workflow_error(extra, 19, "not a step of the stage just before");
    snprintf(extra, sizeof extra, "%s        kind: service-start\n        params: {service: [a, b]}\n", step);
    expect_workflow_error(extra, 19, "takes one value");
    snprintf(extra, sizeof extra,
             "%s        kind: install-amps\n        params: {new_home: x, amp: \"x{customizations.amps}\"}\n", step);
    expect_workflow_error(extra, 19, "must be the whole value");
    snprintf(extra, sizeof extra, "%s        kind: service-start\n        params: {service: \"{old.service\"}\n", step);
    expect_workflow_error(extra, 19, "without its '}'");
    snprintf(extra, sizeof extra,
             "      - id: stop\n        title: s\n        procedure: \"1\"\n        role: repo\n"
             "        kind: service-stop\n        params: {service: x}\n");
    expect_workflow_error(extra, 14, "used twice");
    snprintf(extra, sizeof extra, "%s        kind: service-start\n        colour: red\n        params: {service: x}\n",
             step);
    expect_workflow_error(extra, 19, "unknown key");
}

/* --- the prestaged workflow's optional keys: staging services, online.max_mb_per_s ---- */

/* GOOD with both staging services (new.staging_service on line 18, new.solr.staging_service on 27). */
static char *with_staging(const char *repo_line, const char *solr_line)
{
    char *solr = edited(25, solr_line);
    char *text = text_replace_line(solr, 17, repo_line);
    assert_non_null(text);
    free(solr);
    return text;
}

static plan_t *parse_ok(const char *text)
{
    plan_diag_t diag = {0};
    plan_t *plan = plan_parse("plan.yaml", text, strlen(text), &diag);
    for (size_t i = 0; i < diag.errors.count; i++)
        print_message("got: %s\n", diag.errors.items[i]);
    plan_diag_clear(&diag);
    assert_non_null(plan);
    return plan;
}

static void test_staging_services(void **state)
{
    (void)state;
    plan_t *plan = parse_ok(GOOD);
    assert_string_equal(plan_template_scalar(plan, "new.staging_service"), "");
    assert_string_equal(plan_template_scalar(plan, "new.solr.staging_service"), "");
    assert_true(plan_template_unset(plan, "new.staging_service"));
    assert_true(plan_template_unset(plan, "new.solr.staging_service"));
    assert_false(plan_template_unset(plan, "new.service"));
    plan_destroy(&plan);
    char *text = with_staging("  service: alfresco-v2\n  staging_service: alfresco-v2-staging",
                              "    service: solr-v2\n    staging_service: solr-v2-staging");
    plan = parse_ok(text);
    assert_string_equal(plan_template_scalar(plan, "new.staging_service"), "alfresco-v2-staging");
    assert_string_equal(plan_template_scalar(plan, "new.solr.staging_service"), "solr-v2-staging");
    assert_false(plan_template_unset(plan, "new.staging_service"));
    assert_false(plan_template_unset(plan, "new.solr.staging_service"));
    plan_destroy(&plan);
    free(text);
    const struct {
        const char *repo, *solr;
        int line;
        const char *needle;
    } bad[] = {
        {"  service: alfresco-v2\n  staging_service: alfresco-v2", "    service: solr-v2", 18, "is new.service"},
        {"  service: alfresco-v2\n  staging_service: alfresco-v1", "    service: solr-v2", 18, "is old.service"},
        {"  service: alfresco-v2\n  staging_service: solr-v2", "    service: solr-v2", 18, "is new.solr.service"},
        {"  service: alfresco-v2\n  staging_service: bad/name", "    service: solr-v2", 18, "is not a name"},
        {"  service: alfresco-v2\n  staging_service: \"\"", "    service: solr-v2", 18, "must not be empty"},
        {"  service: alfresco-v2", "    service: solr-v2\n    staging_service: solr-v2", 26, "is new.solr.service"},
        {"  service: alfresco-v2", "    service: solr-v2\n    staging_service: solr-v1", 26, "is old.solr.service"},
        {"  service: alfresco-v2", "    service: solr-v2\n    staging_service: alfresco-v2", 26, "is new.service"},
        {"  service: alfresco-v2\n  staging_service: v2-staging", "    service: solr-v2\n    staging_service: v2-staging",
         27, "is new.staging_service"},
        {"  service: alfresco-v2\n  staging_service: [a, b]", "    service: solr-v2", 18, ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        text = with_staging(bad[i].repo, bad[i].solr);
        expect_error(text, bad[i].line, bad[i].needle);
        free(text);
    }
    expect_edit_error(20, "  distribution: /srv/dist/alfresco-v2.zip\n  staging: x", 21, "unknown key");
}

static void test_online_max_mb_per_s(void **state)
{
    (void)state;
    plan_t *plan = parse_ok(GOOD);
    assert_string_equal(plan_template_scalar(plan, "online.max_mb_per_s"), "0");
    assert_int_equal(plan_template_kind("online.max_mb_per_s"), PLAN_TEMPLATE_SCALAR);
    plan_destroy(&plan);
    const char *good[][2] = {{"  max_mb_per_s: 1", "1"}, {"  max_mb_per_s: 250", "250"},
                             {"  max_mb_per_s: 100000", "100000"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char block[128];
        snprintf(block, sizeof block, "approve: [decommission]\nonline:\n%s", good[i][0]);
        char *text = edited(31, block);
        plan = parse_ok(text);
        assert_string_equal(plan_template_scalar(plan, "online.max_mb_per_s"), good[i][1]);
        plan_destroy(&plan);
        free(text);
    }
    expect_edit_error(31, "approve: [decommission]\nonline:\n  max_mb_per_s: 0", 33, "");
    expect_edit_error(31, "approve: [decommission]\nonline:\n  max_mb_per_s: 100001", 33, "");
    expect_edit_error(31, "approve: [decommission]\nonline:\n  max_mb_per_s: fast", 33, "");
    expect_edit_error(31, "approve: [decommission]\nonline:\n  max_mbps: 10", 33, "unknown key");
    expect_edit_error(31, "approve: [decommission]\nonline: 10", 32, "");
}

/* online.settle_s: backup-tree's settle_s for the base copy; {online.settle_s} is 600 (the agent's default)
 * when absent, the value when set (2..86400); a plan that leaves it out sends the agent's default explicitly. */
static void test_online_settle_s(void **state)
{
    (void)state;
    plan_t *plan = parse_ok(GOOD);
    assert_string_equal(plan_template_scalar(plan, "online.settle_s"), "600");
    assert_int_equal(plan_template_kind("online.settle_s"), PLAN_TEMPLATE_SCALAR);
    plan_destroy(&plan);
    const char *good[][2] = {{"  settle_s: 2", "2"}, {"  settle_s: 86400", "86400"},
                             {"  max_mb_per_s: 5\n  settle_s: 30", "30"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char block[128];
        snprintf(block, sizeof block, "approve: [decommission]\nonline:\n%s", good[i][0]);
        char *text = edited(31, block);
        plan = parse_ok(text);
        assert_string_equal(plan_template_scalar(plan, "online.settle_s"), good[i][1]);
        plan_destroy(&plan);
        free(text);
    }
    expect_edit_error(31, "approve: [decommission]\nonline:\n  settle_s: 1", 33, "");
    expect_edit_error(31, "approve: [decommission]\nonline:\n  settle_s: 86401", 33, "");
    expect_edit_error(31, "approve: [decommission]\nonline:\n  settle_s: soon", 33, "");
}

/* A workflow whose step uses {new.staging_service} needs the key; with only_if the step is left out. */
static void test_workflow_needs_staging(void **state)
{
    (void)state;
    char dir[] = "/tmp/alfup-wf-staging-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/wf.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s%s%s", WF_HEAD,
            "      - id: staged\n        title: s\n        procedure: \"2\"\n        role: repo\n"
            "        kind: service-start\n        params: {service: \"{new.staging_service}\"}\n"
            "      - id: staged-solr\n        title: s\n        procedure: \"2\"\n        role: solr\n"
            "        kind: service-start\n        only_if: new.solr.staging_service\n"
            "        params: {service: \"{new.solr.staging_service}\"}\n",
            WF_TAIL);
    assert_int_equal(fclose(f), 0);
    char *base = edited(31, NULL); /* wf has no decommission phase */
    char *text = text_replace_line(base, 2, "workflow: wf");
    assert_non_null(text);
    free(base);
    plan_diag_t diag = {0};
    assert_null(run_plan_build_diag("plan.yaml", text, strlen(text), dir, &diag));
    bool found = false;
    for (size_t i = 0; i < diag.errors.count; i++) {
        print_message("got: %s\n", diag.errors.items[i]);
        found |= strstr(diag.errors.items[i], "plan.yaml:15: ") != NULL &&
                 strstr(diag.errors.items[i], "new.staging_service is not set, and workflow wf needs it (step staged") &&
                 strstr(diag.errors.items[i], "new.solr.staging_service") == NULL;
    }
    assert_true(found);
    plan_diag_clear(&diag);
    free(text);
    char *staged = with_staging("  service: alfresco-v2\n  staging_service: alfresco-v2-staging", "    service: solr-v2");
    base = text_replace_line(staged, 32, NULL);
    assert_non_null(base);
    text = text_replace_line(base, 2, "workflow: wf");
    assert_non_null(text);
    free(base);
    alfup_err_t err = {{0}};
    run_plan_t *plan = run_plan_build("plan.yaml", text, strlen(text), dir, &err);
    if (plan == NULL)
        fail_msg("%s", err.msg);
    assert_true(run_plan_find(plan, "staged@repo1") >= 0);
    assert_true(run_plan_find(plan, "staged-solr@solr1") < 0);
    assert_string_equal(kv_list_get(&plan->steps[run_plan_find(plan, "staged@repo1")].params, "service"),
                        "alfresco-v2-staging");
    run_plan_destroy(&plan);
    free(text);
    free(staged);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_plan),
        cmocka_unit_test(test_new_path_inside_old),
        cmocka_unit_test(test_root_and_relative_paths),
        cmocka_unit_test(test_same_database),
        cmocka_unit_test(test_unknown_and_missing_keys),
        cmocka_unit_test(test_agents_and_roles),
        cmocka_unit_test(test_approve_names),
        cmocka_unit_test(test_reports_every_error),
        cmocka_unit_test(test_workflow_errors),
        cmocka_unit_test(test_staging_services),
        cmocka_unit_test(test_online_max_mb_per_s),
        cmocka_unit_test(test_online_settle_s),
        cmocka_unit_test(test_workflow_needs_staging),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
