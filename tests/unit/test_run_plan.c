/* test_run_plan.c -- expanding the shipped example plans against the shipped workflow: procedure coverage,
 * stages, the cluster rule, gates, rollback, ${...} references, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "file_util.h"
#include "run_plan.h"

static char source_dir[4096], workflows[4200];

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("ALFUP_SOURCE_DIR");
    snprintf(source_dir, sizeof source_dir, "%s", src ? src : ".");
    snprintf(workflows, sizeof workflows, "%s/deploy/workflows", source_dir);
    return 0;
}

static char *read_example(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/deploy/examples/%s", source_dir, name);
    uint8_t *bytes = NULL;
    size_t len = 0;
    alfup_err_t err;
    if (file_read_all(path, 1u << 20, &bytes, &len, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
    char *text = realloc(bytes, len + 1);
    assert_non_null(text);
    text[len] = '\0';
    return text;
}

static run_plan_t *build_text(const char *text)
{
    alfup_err_t err = {{0}};
    run_plan_t *plan = run_plan_build("plan.yaml", text, strlen(text), workflows, &err);
    if (plan == NULL)
        fail_msg("%s", err.msg);
    return plan;
}

static run_plan_t *build_example(const char *name)
{
    char *text = read_example(name);
    run_plan_t *plan = build_text(text);
    free(text);
    return plan;
}

/* The example text with `from` replaced by `to` (first occurrence). */
static run_plan_t *build_edited(const char *name, const char *from, const char *to)
{
    char *text = read_example(name);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t size = strlen(text) + strlen(to) + 1;
    char *edited = malloc(size);
    assert_non_null(edited);
    snprintf(edited, size, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    run_plan_t *plan = build_text(edited);
    free(edited);
    free(text);
    return plan;
}

static const planned_step_t *step(const run_plan_t *plan, const char *id)
{
    long i = run_plan_find(plan, id);
    if (i < 0)
        fail_msg("no step %s", id);
    return &plan->steps[i];
}

/* true when some step's procedure list holds number. */
static bool covers(const run_plan_t *plan, const char *number)
{
    for (size_t i = 0; i < plan->step_count; i++) {
        const char *p = plan->steps[i].procedure;
        size_t len = strlen(number);
        for (const char *q = strstr(p, number); q; q = strstr(q + 1, number))
            if ((q == p || q[-1] == ' ' || q[-1] == ',') && (q[len] == '\0' || q[len] == ','))
                return true;
    }
    return false;
}

static void test_every_procedure_step(void **state)
{
    (void)state;
    static const char *const PROCEDURE[] = {"0",   "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "3.2", "3.3",
                                            "3.4", "3.5", "3.6", "3.7", "3.8", "4.1", "4.2", "4.3", "4.4", "5"};
    run_plan_t *plan = build_example("plan-prod-ecm.yaml");
    for (size_t i = 0; i < sizeof PROCEDURE / sizeof PROCEDURE[0]; i++)
        if (!covers(plan, PROCEDURE[i]))
            fail_msg("procedure step %s has no workflow step", PROCEDURE[i]);
    /* phases in the procedure's order, stages never go back */
    static const char *const PHASES[] = {"preflight", "install", "validate", "customize", "restore", "decommission"};
    size_t phase = 0;
    for (size_t i = 0; i < plan->step_count; i++) {
        while (phase < 6 && strcmp(plan->steps[i].phase, PHASES[phase]) != 0)
            phase++;
        assert_true(phase < 6);
        if (i > 0)
            assert_true(plan->steps[i].stage >= plan->steps[i - 1].stage);
        assert_true(plan->steps[i].stage >= 1);
        assert_true(strlen(plan->steps[i].id) <= RUN_PLAN_STEP_ID_MAX);
        assert_true(plan->steps[i].timeout_s > 0);
    }
    assert_int_equal(plan->steps[0].stage, 1);
    run_plan_destroy(&plan);
}

static void test_backups_in_one_stage_on_three_agents(void **state)
{
    (void)state;
    run_plan_t *plan = build_example("plan-prod-ecm.yaml");
    const planned_step_t *content = step(plan, "backup-content@repo1");
    const planned_step_t *db = step(plan, "backup-database@db1");
    const planned_step_t *index = step(plan, "backup-index-alfresco@solr1");
    assert_int_equal(content->stage, db->stage);
    assert_int_equal(content->stage, index->stage);
    assert_string_equal(content->kind, "backup-tree");
    assert_string_equal(db->kind, "db-backup");
    assert_string_equal(kv_list_get(&db->params, "dest"), "/srv/alfup-backups/{run.id}/database.dump");
    assert_string_equal(kv_list_get(&db->params, "database"), "alfresco");
    assert_int_equal(kv_list_count_key(&content->params, "tree"), 2);
    assert_string_equal(kv_list_get_nth(&content->params, "tree", 1), "/opt/alfresco-v1/alf_data/contentstore.deleted");
    /* the stage holds exactly backups, and they run on three different agents */
    str_list_t agents = {0};
    for (size_t i = 0; i < plan->step_count; i++) {
        if (plan->steps[i].stage != content->stage)
            continue;
        assert_true(strstr(plan->steps[i].kind, "backup") != NULL);
        if (!str_list_contains(&agents, plan->steps[i].agent))
            assert_int_equal(str_list_add(&agents, plan->steps[i].agent), 0);
    }
    assert_int_equal(agents.count, 3);
    str_list_clear(&agents);
    /* the old services are stopped in the stage before */
    assert_int_equal(step(plan, "stop-old@repo1")->stage + 1, content->stage);
    assert_int_equal(step(plan, "stop-old-solr@solr1")->stage + 1, content->stage);
    run_plan_destroy(&plan);
}

static void test_cluster_rule(void **state)
{
    (void)state;
    run_plan_t *plan = build_example("plan-cluster.yaml");
    const char *firsts[] = {"start-custom", "start-restored"};
    for (size_t f = 0; f < 2; f++) {
        char first_id[80], rest_id[80];
        snprintf(first_id, sizeof first_id, "%s@repo1", firsts[f]);
        snprintf(rest_id, sizeof rest_id, "%s-rest@repo2", firsts[f]);
        const planned_step_t *first = step(plan, first_id), *rest = step(plan, rest_id);
        assert_true(first->stage < rest->stage);
        char other_id[80];
        snprintf(other_id, sizeof other_id, "%s@repo2", firsts[f]);
        assert_int_equal(run_plan_find(plan, other_id), -1); /* nodes: first runs on repo1 only */
        for (size_t i = 0; i < plan->step_count; i++) {
            const planned_step_t *s = &plan->steps[i];
            if (s->stage == first->stage && strcmp(s->role, "repo") == 0)
                assert_string_equal(s->agent, "repo1"); /* the first node starts alone */
        }
    }
    /* the shared contentstore is backed up and restored once, by the first node */
    assert_true(run_plan_find(plan, "backup-content@repo1") >= 0);
    assert_int_equal(run_plan_find(plan, "backup-content@repo2"), -1);
    assert_true(run_plan_find(plan, "backup-config@repo2") >= 0);
    assert_string_equal(kv_list_get(&step(plan, "backup-config@repo2")->params, "archive"),
                        "/srv/alfup-backups/{run.id}/config-repo2.tar.zst");
    /* the old dir.root outside the home is removed as well; jobs and timeouts come from the plan */
    assert_string_equal(kv_list_get(&step(plan, "remove-old-dir-root@repo1")->params, "old_home"), "/srv/alf_data-6.2");
    assert_string_equal(kv_list_get(&step(plan, "restore-database@db1")->params, "jobs"), "4");
    assert_int_equal(step(plan, "backup-database@db1")->timeout_s, 28800);
    assert_string_equal(kv_list_get(&step(plan, "configure-scratch@repo1")->params, "set.db.url"),
                        "jdbc:postgresql://db1.example.com/alfresco74_validation?ssl=true");
    run_plan_destroy(&plan);
}

static void test_gates(void **state)
{
    (void)state;
    run_plan_t *plan = build_example("plan-prod-ecm.yaml");
    size_t gated = 0;
    for (size_t i = 0; i < plan->step_count; i++) {
        const planned_step_t *s = &plan->steps[i];
        if (strcmp(s->phase, "decommission") == 0) {
            assert_non_null(s->gate);
            assert_string_equal(s->gate, "decommission");
            gated++;
        } else {
            assert_null(s->gate);
        }
    }
    assert_int_equal(gated, 3);
    run_plan_destroy(&plan);
    /* without approve, the decommission still waits; a listed step gets its own gate */
    plan = build_edited("plan-prod-ecm.yaml", "approve: [decommission]", "approve: [install-amps]");
    assert_string_equal(step(plan, "install-amps@repo1")->gate, "install-amps");
    assert_null(step(plan, "configure-new@repo1")->gate);
    assert_string_equal(step(plan, "drop-old-db@db1")->gate, "decommission");
    run_plan_destroy(&plan);
    plan = build_example("plan-cluster.yaml");
    assert_string_equal(step(plan, "wipe-contentstore@repo1")->gate, "restore");
    assert_null(step(plan, "stop-custom@repo2")->gate);
    run_plan_destroy(&plan);
}

static void test_rollback(void **state)
{
    (void)state;
    run_plan_t *plan = build_example("plan-cluster.yaml");
    assert_int_equal(plan->rollback_from, (size_t)run_plan_find(plan, "stop-old@repo1"));
    assert_string_equal(plan->steps[plan->rollback_until].kind, "decommission-tree");
    assert_int_equal(plan->rollback_until, plan->destructive_from); /* the seed has no ends_rollback */
    for (size_t i = 0; i < plan->rollback_until; i++)
        assert_null(strstr(plan->steps[i].kind, "decommission"));
    const char *expect[][3] = {{"rb-stop-new@repo1", "service-stop", "alfresco-7.4"},
                               {"rb-stop-new@repo2", "service-stop", "alfresco-7.4"},
                               {"rb-stop-new-solr@solr1", "service-stop", "solr-7.4"},
                               {"rb-stop-new-solr@solr2", "service-stop", "solr-7.4"},
                               {"rb-start-old-solr@solr1", "service-start", "solr-6.2"},
                               {"rb-start-old-solr@solr2", "service-start", "solr-6.2"},
                               {"rb-start-old@repo1", "service-start", "alfresco-6.2"},
                               {"rb-start-old-rest@repo2", "service-start", "alfresco-6.2"}};
    assert_int_equal(plan->rollback_count, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(plan->rollback[i].id, expect[i][0]);
        assert_string_equal(plan->rollback[i].kind, expect[i][1]);
        assert_string_equal(kv_list_get(&plan->rollback[i].params, "service"), expect[i][2]);
        assert_null(plan->rollback[i].gate);
    }
    assert_int_equal(plan->rollback[0].stage, 1);
    assert_true(plan->rollback[6].stage < plan->rollback[7].stage); /* first old node alone, then the rest */
    run_plan_destroy(&plan);
}

/* Every ${STEP.OUTPUT} names a step that ran earlier, in an earlier stage, on the same agent;
 * every other brace is {run.id}. */
static void check_references(const run_plan_t *plan)
{
    for (size_t i = 0; i < plan->step_count; i++) {
        const planned_step_t *s = &plan->steps[i];
        for (size_t k = 0; k < s->params.count; k++) {
            const char *v = s->params.items[k].value;
            for (const char *p = strchr(v, '{'); p; p = strchr(p + 1, '{')) {
                if (strncmp(p, "{run.id}", 8) == 0)
                    continue;
                assert_true(p > v && p[-1] == '$');
                const char *dot = strchr(p, '.'), *close = strchr(p, '}');
                assert_non_null(dot);
                assert_non_null(close);
                char id[128];
                snprintf(id, sizeof id, "%.*s@%s", (int)(dot - p - 1), p + 1, s->agent);
                long t = run_plan_find(plan, id);
                if (t < 0 || (size_t)t >= i)
                    fail_msg("%s: %s refers to %s, not an earlier step on %s", s->id, v, id, s->agent);
                assert_true(plan->steps[t].stage < s->stage);
            }
        }
    }
}

/* The prestaged workflow: rollback is armed at the cutover's stop and ends by itself where the backup
 * set is completed (the new version serves); no rollback at all once the decommission begins; the
 * database copy lies in between. */
static void test_prestaged_rollback_ends_where_the_new_version_serves(void **state)
{
    (void)state;
    run_plan_t *plan = build_example("plan-prestaged.yaml");
    assert_string_equal(plan->workflow, "alfresco-upgrade-prestaged");
    assert_int_equal(plan->rollback_from, (size_t)run_plan_find(plan, "stop-old@repo1"));
    assert_int_equal(plan->rollback_until, (size_t)run_plan_find(plan, "backup-database@db1"));
    assert_true(plan->steps[plan->rollback_until].ends_rollback);
    assert_true(run_plan_find(plan, "verify-restored@repo1") < (long)plan->rollback_until);
    assert_string_equal(plan->steps[plan->destructive_from].kind, "decommission-tree");
    for (size_t i = 0; i < plan->destructive_from; i++)
        assert_null(strstr(plan->steps[i].kind, "decommission"));
    /* the template copy of the old database runs in a stage after the stop, never beside or before it: its
     * refusal of clients left on the old database always rolls back (docs/runs.md;
     * e2e_prestaged_cutover_faults). The rehearsal's timed copy (rehearse-copy-rate) copies the rehearsal's
     * own database, before the cutover, and is not one. */
    unsigned stop_stage = plan->steps[plan->rollback_from].stage;
    size_t copies = 0;
    for (size_t i = 0; i < plan->step_count; i++) {
        const char *source = kv_list_get(&plan->steps[i].params, "source");
        if (strcmp(plan->steps[i].kind, "db-copy") != 0 || source == NULL || strcmp(source, "alfresco") != 0)
            continue;
        assert_true(plan->steps[i].stage > stop_stage);
        assert_true(i > plan->rollback_from && i < plan->rollback_until);
        copies++;
    }
    assert_int_equal(copies, 1);
    run_plan_destroy(&plan);
}

/* new.db_server: unset, the copy and the new database's steps carry server "" (the old database's
 * server, template copy); set, every step that works on the new database names it, and the preflight
 * runs the same-server test on it. */
static void test_prestaged_new_db_server(void **state)
{
    (void)state;
    static const char *const ON_NEW_DB[] = {"check-db@db1", "create-new-db@db1", "drop-new-db@db1",
                                            "copy-database@db1"};
    run_plan_t *plan = build_example("plan-prestaged.yaml");
    assert_string_equal(kv_list_get(&step(plan, "copy-database@db1")->params, "server"), "");
    assert_string_equal(kv_list_get(&step(plan, "check-db@db1")->params, "copy_server"), "");
    run_plan_destroy(&plan);
    plan = build_edited("plan-prestaged.yaml", "  database: alfresco_v2\n",
                        "  database: alfresco_v2\n  db_server: pg2\n");
    for (size_t i = 0; i < sizeof ON_NEW_DB / sizeof ON_NEW_DB[0]; i++) {
        const kv_list_t *params = &step(plan, ON_NEW_DB[i])->params;
        const char *server = kv_list_get(params, i == 0 ? "copy_server" : "server");
        assert_non_null(server);
        assert_string_equal(server, "pg2");
    }
    assert_non_null(strstr(kv_list_get(&step(plan, "copy-database@db1")->params, "dump"), "database-copy.dump"));
    assert_non_null(kv_list_get(&step(plan, "check-content@repo1")->params, "copy_to"));
    run_plan_destroy(&plan);
}

static void test_references(void **state)
{
    (void)state;
    const char *examples[] = {"plan-prod-ecm.yaml", "plan-cluster.yaml"};
    for (size_t e = 0; e < 2; e++) {
        run_plan_t *plan = build_example(examples[e]);
        check_references(plan);
        run_plan_destroy(&plan);
    }
    run_plan_t *plan = build_example("plan-prod-ecm.yaml");
    assert_string_equal(kv_list_get(&step(plan, "restore-database@db1")->params, "dump"), "${backup-database.dump}");
    assert_string_equal(kv_list_get(&step(plan, "restore-content@repo1")->params, "archive"),
                        "${backup-content.archive}");
    run_plan_destroy(&plan);
}

static void test_only_if_and_compact_stages(void **state)
{
    (void)state;
    run_plan_t *plan = build_edited("plan-prod-ecm.yaml", "  amps: [/srv/amps/custom-module.amp]\n", "");
    assert_int_equal(run_plan_find(plan, "install-amps@repo1"), -1);
    assert_int_equal(run_plan_find(plan, "check-amps@repo1"), -1);
    assert_true(run_plan_find(plan, "remove-apps@repo1") >= 0);
    assert_int_equal(run_plan_find(plan, "remove-old-dir-root@repo1"), -1); /* dir_root inside the home */
    for (size_t i = 1; i < plan->step_count; i++)
        assert_true(plan->steps[i].stage - plan->steps[i - 1].stage <= 1);
    run_plan_destroy(&plan);
}

static void test_deterministic(void **state)
{
    (void)state;
    run_plan_t *a = build_example("plan-cluster.yaml"), *b = build_example("plan-cluster.yaml");
    assert_int_equal(a->step_count, b->step_count);
    for (size_t i = 0; i < a->step_count; i++) {
        assert_string_equal(a->steps[i].id, b->steps[i].id);
        assert_int_equal(a->steps[i].stage, b->steps[i].stage);
        assert_int_equal(a->steps[i].params.count, b->steps[i].params.count);
        for (size_t k = 0; k < a->steps[i].params.count; k++)
            assert_string_equal(a->steps[i].params.items[k].value, b->steps[i].params.items[k].value);
    }
    run_plan_destroy(&a);
    run_plan_destroy(&b);
}

static int count_role(const char *agent, const char *role, void *arg)
{
    char *seen = arg;
    size_t len = strlen(seen);
    snprintf(seen + len, 256 - len, "%s=%s;", agent, role);
    return 0;
}

static void test_agent_roles(void **state)
{
    (void)state;
    run_plan_t *plan = build_edited("plan-prod-ecm.yaml", "  db1: [db]\n  solr1: [solr]\n", "  db1: [db, solr]\n");
    char seen[256] = "";
    assert_int_equal(run_plan_each_role(plan, count_role, seen), 0);
    assert_string_equal(seen, "repo1=repo;db1=db;db1=solr;");
    assert_string_equal(step(plan, "backup-index-alfresco@db1")->role, "solr");
    run_plan_destroy(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_procedure_step),
        cmocka_unit_test(test_backups_in_one_stage_on_three_agents),
        cmocka_unit_test(test_cluster_rule),
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_prestaged_rollback_ends_where_the_new_version_serves),
        cmocka_unit_test(test_prestaged_new_db_server),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_only_if_and_compact_stages),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_agent_roles),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
