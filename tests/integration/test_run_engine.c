/* test_run_engine.c -- the run engine against the shipped workflow and example plan, with
 * agents played by the test and a real journal: order, gates, failure and rollback,
 * controller restarts and resume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <time.h>

#include "cert_identity.h"
#include "run_engine.h"

#define SENT_MAX 1024

typedef struct sent_step {
    char agent[64];
    char step_id[ALFUP_STEP_ID_MAX + 1];
    char kind[64];
    char archive[256]; /* its "archive" or "dest" parameter, if any */
    int answered;
} sent_step_t;

typedef struct world {
    char dir[64];
    char plan[512];
    char workflows[512];
    journal_t *journal;
    run_engine_t *engine;
    sent_step_t sent[SENT_MAX];
    size_t sent_count;
    size_t cancels;
    char run_id[RUN_ID_MAX];
    char refused_agent[64];   /* io.agent_refused names it (certificate revoked) */
    char offline_agent[64];   /* io.agent_roles says -1 for it, io.send fails */
    char recast_agent[64];    /* io.agent_roles gives it recast_roles instead of its own */
    int recast_roles;
    char stray_backup_agent[64]; /* its preflight reports a backup_dir other than the plan's */
    const char *backup_fs;       /* set: preflight steps with an estimate report this filesystem */
    const char *space_free;      /* ...with this many bytes free, each needing BACKUP_NEED_BYTES */
    const char *copy_fs;         /* set: check-content also reports a copy (copy_to) to this filesystem,
                                    needing BACKUP_NEED_BYTES, with space_free free */
    unsigned reask_ms;        /* io.reask_ms */
} world_t;

#define PLAN_BACKUP_DIR "/srv/alfup-backups"
#define BACKUP_NEED_BYTES "30000000"

static int fake_send(void *arg, const char *agent, alfup_msg_t *msg, alfup_err_t *err)
{
    world_t *w = arg;
    if (strcmp(agent, w->offline_agent) == 0)
        return alfup_err_set(err, "agent %s is not online", agent);
    if (msg->kind == MSG_STEP_CANCEL) {
        w->cancels++;
        return ALFUP_OK;
    }
    assert_int_equal(msg->kind, MSG_STEP_REQUEST);
    assert_true(w->sent_count < SENT_MAX);
    sent_step_t *s = &w->sent[w->sent_count++];
    snprintf(s->agent, sizeof s->agent, "%s", agent);
    snprintf(s->step_id, sizeof s->step_id, "%s", msg->request.step_id);
    snprintf(s->kind, sizeof s->kind, "%s", msg->request.kind);
    const char *archive = kv_list_get(&msg->request.params, "archive");
    archive = archive ? archive : kv_list_get(&msg->request.params, "dest");
    snprintf(s->archive, sizeof s->archive, "%s", archive ? archive : "");
    for (size_t i = 0; i < msg->request.params.count; i++) /* every reference was resolved */
        assert_null(strstr(msg->request.params.items[i].value, "${"));
    if (strncmp(msg->request.kind, "decommission", 12) == 0)
        assert_non_null(strstr(msg->request.approval, "decommission"));
    return ALFUP_OK;
}

static int fake_roles(void *arg, const char *agent)
{
    const world_t *w = arg;
    if (strcmp(agent, w->offline_agent) == 0)
        return -1;
    if (strcmp(agent, w->recast_agent) == 0)
        return w->recast_roles;
    if (strcmp(agent, "repo1") == 0)
        return ROLE_REPO;
    if (strcmp(agent, "db1") == 0)
        return ROLE_DB;
    if (strcmp(agent, "solr1") == 0)
        return ROLE_SOLR;
    return -1;
}

static const char *fake_refused(void *arg, const char *agent)
{
    world_t *w = arg;
    return strcmp(agent, w->refused_agent) == 0 ? "certificate revoked" : NULL;
}

static void open_engine(world_t *w)
{
    alfup_err_t err;
    char journal[128];
    snprintf(journal, sizeof journal, "%s/journal.db", w->dir);
    w->journal = journal_open(journal, &err);
    assert_non_null(w->journal);
    run_engine_io_t io = {fake_send, fake_roles, w, fake_refused, w->reask_ms};
    w->engine = run_engine_new(w->journal, w->workflows, &io, &err);
    if (w->engine == NULL)
        fail_msg("engine: %s", err.msg);
}

static void close_engine(world_t *w)
{
    run_engine_destroy(&w->engine);
    journal_close(&w->journal);
}

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof *w);
    const char *src = getenv("ALFUP_SOURCE_DIR");
    assert_non_null(src);
    snprintf(w->dir, sizeof w->dir, "/tmp/alfup-engine-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->plan, sizeof w->plan, "%s/deploy/examples/plan-prod-ecm.yaml", src);
    snprintf(w->workflows, sizeof w->workflows, "%s/deploy/workflows", src);
    open_engine(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    close_engine(w);
    char path[128];
    snprintf(path, sizeof path, "%s/journal.db", w->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/journal.db-wal", w->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/journal.db-shm", w->dir);
    unlink(path);
    rmdir(w->dir);
    free(w);
    return 0;
}

/* What a preflight on s->agent reports: its backup_dir (the plan's unless it is the stray
 * agent) and, for the steps that estimate a backup, the filesystem it goes to. */
static void preflight_outputs(const world_t *w, const sent_step_t *s, kv_list_t *outputs)
{
    int stray = strcmp(s->agent, w->stray_backup_agent) == 0;
    kv_list_add(outputs, "backup_dir", stray ? PLAN_BACKUP_DIR "/solr" : PLAN_BACKUP_DIR);
    kv_list_add(outputs, "backup_dir_same", stray ? "no" : "yes");
    int estimates = strstr(s->step_id, "check-content") || strstr(s->step_id, "check-db") ||
                    strstr(s->step_id, "check-solr");
    if (w->backup_fs && estimates) {
        kv_list_add(outputs, "backup_fs", w->backup_fs);
        kv_list_add(outputs, "space_needed_bytes", BACKUP_NEED_BYTES);
        kv_list_add(outputs, "space_free_bytes", w->space_free);
    }
    if (w->copy_fs && strstr(s->step_id, "check-content")) {
        kv_list_add(outputs, "copy_fs", w->copy_fs);
        kv_list_add(outputs, "copy_needed_bytes", BACKUP_NEED_BYTES);
        kv_list_add(outputs, "copy_free_bytes", w->space_free);
    }
}

/* Answers one sent step with status: success carries the outputs later steps reference. */
static void answer_status(world_t *w, sent_step_t *s, step_status_t status)
{
    int fail = status != STEP_SUCCEEDED;
    msg_step_result_t result = {.step_id = s->step_id, .kind = s->kind, .status = status,
                                .error = fail ? "injected failure" : ""};
    kv_list_add(&result.outputs, "archive", "/srv/alfup-backups/x/a.tar.zst");
    kv_list_add(&result.outputs, "archive_sha256", "00");
    kv_list_add(&result.outputs, "dump", "/srv/alfup-backups/x/database.dump");
    if (fail)
        str_list_add(&result.log_lines, "=== Failed to apply patch ===");
    if (strcmp(s->kind, "preflight") == 0)
        preflight_outputs(w, s, &result.outputs);
    s->answered = 1;
    /* every step reports progress before its result, as agents do: the engine keeps the last message (and must
     * free it when the step is reset for a new attempt or rollback round) */
    msg_step_progress_t progress = {.step_id = s->step_id, .files_done = 1, .files_total = 2, .message = "halfway"};
    run_engine_on_progress(w->engine, s->agent, &progress);
    run_engine_on_result(w->engine, s->agent, &result);
    kv_list_clear(&result.outputs);
    str_list_clear(&result.log_lines);
}

static void answer(world_t *w, sent_step_t *s, int fail)
{
    answer_status(w, s, fail ? STEP_FAILED : STEP_SUCCEEDED);
}

/* Answers every unanswered step, again and again, until nothing new is sent or
 * `limit` answers were given. Steps whose id contains fail_at fail. */
static size_t drive(world_t *w, const char *fail_at, size_t limit)
{
    size_t answers = 0;
    for (size_t i = 0; i < w->sent_count && answers < limit; i++) {
        if (w->sent[i].answered)
            continue;
        answer(w, &w->sent[i], fail_at && strstr(w->sent[i].step_id, fail_at) != NULL);
        answers++;
    }
    return answers;
}

static const run_t *run_of(world_t *w)
{
    const run_t *run = run_engine_find(w->engine, w->run_id);
    assert_non_null(run);
    return run;
}

static void start(world_t *w)
{
    alfup_err_t err;
    if (run_engine_start(w->engine, w->plan, w->run_id, sizeof w->run_id, &err) != ALFUP_OK)
        fail_msg("start: %s", err.msg);
}

/* Resumes the failed run and checks that exactly one step was sent again: the one whose wire id contains
 * retried (the failed step's next attempt). Returns the sent count before the resume. */
static size_t resume_retries_only(world_t *w, const char *retried)
{
    char note[512];
    alfup_err_t err;
    size_t before = w->sent_count;
    assert_int_equal(run_engine_resume(w->engine, w->run_id, note, sizeof note, &err), ALFUP_OK);
    assert_int_equal(w->sent_count, before + 1); /* only the failed step again */
    assert_non_null(strstr(w->sent[before].step_id, retried));
    return before;
}

static long stage_of(const run_t *run, const char *step_id)
{
    for (size_t i = 0; i < run->plan->step_count; i++) {
        char wire[ALFUP_STEP_ID_MAX + 1];
        run_wire_step_id(run, 0, i, wire, sizeof wire);
        if (strcmp(wire, step_id) == 0)
            return (long)run->plan->steps[i].stage;
    }
    return -1;
}

static void test_full_run_in_stage_order_with_decommission_gate(void **state)
{
    world_t *w = *state;
    start(w);
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_WAITING);
    assert_non_null(run->waiting_gate);
    size_t before_gate = w->sent_count;
    for (size_t i = 0; i < w->sent_count; i++)
        assert_null(strstr(w->sent[i].kind, "decommission")); /* nothing irreversible before approval */
    alfup_err_t err;
    assert_int_equal(run_engine_approve(w->engine, w->run_id, NULL, &err), ALFUP_OK);
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    assert_int_equal(run->state, RUN_SUCCEEDED);
    assert_true(w->sent_count > before_gate);
    assert_int_equal(w->sent_count, run->plan->step_count); /* every step sent exactly once */
    long last_stage = -1;
    for (size_t i = 0; i < w->sent_count; i++) {
        long stage = stage_of(run, w->sent[i].step_id);
        assert_true(stage >= last_stage); /* never a step before its predecessors finished */
        last_stage = stage;
    }
}

static void test_failure_after_stop_rolls_back_and_names_host_and_step(void **state)
{
    world_t *w = *state;
    start(w);
    while (drive(w, "start-restored@repo1", SENT_MAX) > 0)
        ;
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_ROLLED_BACK);
    assert_non_null(strstr(run->error, "repo1"));
    assert_non_null(strstr(run->error, "start-restored"));
    assert_non_null(strstr(run->error, "injected failure"));
    assert_true(run->failed_index >= 0);
    assert_string_equal(run->steps[run->failed_index].result.log_lines.items[0], "=== Failed to apply patch ===");
    int saw_start_old = 0;
    for (size_t i = 0; i < w->sent_count; i++)
        saw_start_old |= strstr(w->sent[i].step_id, ".rb1.rb-start-old@repo1") != NULL;
    assert_true(saw_start_old);
    for (size_t i = 0; i < w->sent_count; i++) /* nothing of the main sequence after the failure */
        assert_null(strstr(w->sent[i].step_id, "verify-restored"));

    /* resume: the old system ran again, so the run restarts at stop-old with new backups */
    char note[512];
    alfup_err_t err;
    size_t before = w->sent_count;
    assert_int_equal(run_engine_resume(w->engine, w->run_id, note, sizeof note, &err), ALFUP_OK);
    assert_non_null(strstr(note, "new backups"));
    assert_true(w->sent_count > before);
    assert_non_null(strstr(w->sent[before].step_id, "stop-old"));
    assert_non_null(strstr(w->sent[before].step_id, ".a2"));
    /* the new backups go beside the first attempt's, never over them (backup steps refuse an archive that
     * exists, which made a resumed run fail at its first backup and roll back again) */
    while (drive(w, "start-restored@repo1.a2", SENT_MAX) > 0)
        ;
    size_t backups = 0;
    for (size_t i = 0; i < w->sent_count; i++) {
        if (w->sent[i].archive[0] == '\0' || strcmp(w->sent[i].kind, "verify-archive") == 0 ||
            strcmp(w->sent[i].kind, "restore-tree") == 0)
            continue;
        char first_attempt[128];
        snprintf(first_attempt, sizeof first_attempt, "/%s/", w->run_id);
        int second = strstr(w->sent[i].step_id, ".a2") != NULL;
        char second_attempt[128];
        snprintf(second_attempt, sizeof second_attempt, "/%s.a2/", w->run_id);
        assert_non_null(strstr(w->sent[i].archive, second ? second_attempt : first_attempt));
        backups += second;
    }
    assert_true(backups >= 5); /* content, config, two indexes, database */
}

/* A decommission step fails: the old system may be partly gone, so nothing is rolled back; a resume
 * retries only the failed step (never stop-old again: that would back up a half-removed old system and
 * restore it over the new one), and an operator's rollback is refused. */
static void test_decommission_failure_resume_retries_only_it_and_rollback_is_refused(void **state)
{
    world_t *w = *state;
    start(w);
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    alfup_err_t err;
    assert_int_equal(run_engine_approve(w->engine, w->run_id, NULL, &err), ALFUP_OK);
    while (drive(w, "remove-old@repo1", SENT_MAX) > 0)
        ;
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    for (size_t i = 0; i < w->sent_count; i++)
        assert_null(strstr(w->sent[i].step_id, ".rb")); /* no rollback step */
    assert_int_equal(run_engine_rollback(w->engine, w->run_id, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "decommission"));
    assert_int_equal(run->state, RUN_FAILED);
    resume_retries_only(w, "remove-old@repo1.a2");
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    assert_int_equal(run->state, RUN_SUCCEEDED);
}

/* The prestaged workflow: once the new version serves (complete-backup, ends_rollback), a failure
 * does not roll back (that would lose what users wrote since the start); resume retries only the
 * failed step, and a cancel stops steps, never the new version. */
static void test_failure_after_the_new_version_serves_is_not_rolled_back(void **state)
{
    world_t *w = *state;
    snprintf(w->plan, sizeof w->plan, "%s/deploy/examples/plan-prestaged.yaml", getenv("ALFUP_SOURCE_DIR"));
    start(w);
    alfup_err_t err;
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_WAITING);
    assert_string_equal(run->waiting_gate, "cutover");
    assert_int_equal(run->armed, 0); /* production never stopped so far */
    assert_int_equal(run_engine_approve(w->engine, w->run_id, "cutover", &err), ALFUP_OK);
    while (drive(w, "backup-database@db1", SENT_MAX) > 0)
        ;
    assert_int_equal(run->state, RUN_FAILED);
    assert_non_null(strstr(run->error, "nothing was rolled back"));
    for (size_t i = 0; i < w->sent_count; i++)
        assert_null(strstr(w->sent[i].step_id, ".rb")); /* the new version kept serving */
    size_t before = resume_retries_only(w, "backup-database@db1.a2");
    assert_int_equal(run_engine_cancel(w->engine, w->run_id, &err), ALFUP_OK);
    assert_int_equal(run->state, RUN_CANCELLED);
    for (size_t i = before; i < w->sent_count; i++)
        assert_null(strstr(w->sent[i].step_id, ".rb")); /* a cancel now stops steps, not the new version */
}

/* The prestaged workflow with a rehearsal: the rehearsal's start fails while production serves, so the run
 * ends failed with nothing stopped and nothing rolled back, and the cleanup steps after it never ran (the
 * rehearsal's database and folder are kept); resume runs the rehearse phase again from its first step
 * (redo_on_resume), so the database is copied again before the next start. */
static void test_rehearsal_failure_keeps_production_and_resume_redoes_the_phase(void **state)
{
    world_t *w = *state;
    snprintf(w->plan, sizeof w->plan, "%s/deploy/examples/plan-prestaged.yaml", getenv("ALFUP_SOURCE_DIR"));
    start(w);
    while (drive(w, "rehearse-start@repo1", SENT_MAX) > 0)
        ;
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    assert_int_equal(run->armed, 0);
    for (size_t i = 0; i < w->sent_count; i++) {
        assert_null(strstr(w->sent[i].step_id, ".rb"));
        assert_null(strstr(w->sent[i].step_id, "stop-old"));
        assert_null(strstr(w->sent[i].step_id, "rehearse-drop-db")); /* kept for inspection */
        assert_null(strstr(w->sent[i].step_id, "rehearse-remove"));
    }
    char note[512];
    alfup_err_t err;
    size_t before = w->sent_count;
    assert_int_equal(run_engine_resume(w->engine, w->run_id, note, sizeof note, &err), ALFUP_OK);
    assert_non_null(strstr(note, "rehearse-stop-left@repo1"));
    assert_true(w->sent_count > before);
    assert_non_null(strstr(w->sent[before].step_id, "rehearse-stop-left@repo1.a2"));
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    /* run again (attempt 2), and the cleanup that never ran (its first attempt) */
    const char *again[] = {"rehearse-db@db1.a2", "rehearse-content@repo1.a2", "rehearse-start@repo1.a2",
                           "rehearse-stop@repo1", "rehearse-drop-db@db1", "rehearse-remove@repo1"};
    for (size_t k = 0; k < sizeof again / sizeof again[0]; k++) {
        int seen = 0;
        for (size_t i = before; i < w->sent_count; i++)
            seen += strstr(w->sent[i].step_id, again[k]) != NULL;
        assert_int_equal(seen, 1);
    }
    for (size_t i = before; i < w->sent_count; i++)
        assert_null(strstr(w->sent[i].step_id, "base-content")); /* earlier phases are not repeated */
    assert_int_equal(run->state, RUN_WAITING);
    assert_string_equal(run->waiting_gate, "cutover");
}

/* The same failure, then cancel instead of resume: the rollback list runs (with nothing stopped: the old
 * services are found running) and its rehearsal steps remove what the failed rehearsal kept; the run ends
 * cancelled. A cancel of a run failed elsewhere is refused as before. */
static void test_cancel_after_a_failed_rehearsal_removes_what_it_kept(void **state)
{
    world_t *w = *state;
    snprintf(w->plan, sizeof w->plan, "%s/deploy/examples/plan-prestaged.yaml", getenv("ALFUP_SOURCE_DIR"));
    start(w);
    while (drive(w, "rehearse-start@repo1", SENT_MAX) > 0)
        ;
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    size_t before = w->sent_count;
    alfup_err_t err;
    assert_int_equal(run_engine_cancel(w->engine, w->run_id, &err), ALFUP_OK);
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    assert_int_equal(run->state, RUN_CANCELLED);
    const char *cleanup[] = {"rb-stop-rehearsal@repo1", "rb-drop-rehearsal-db@db1", "rb-remove-rehearsal@repo1",
                             "rb-start-old@repo1"};
    for (size_t k = 0; k < sizeof cleanup / sizeof cleanup[0]; k++) {
        int seen = 0;
        for (size_t i = before; i < w->sent_count; i++)
            seen += strstr(w->sent[i].step_id, cleanup[k]) != NULL;
        assert_int_equal(seen, 1);
    }
    for (size_t i = 0; i < w->sent_count; i++)
        assert_null(strstr(w->sent[i].step_id, "stop-old@")); /* production was never stopped */
    assert_int_equal(run_engine_cancel(w->engine, w->run_id, &err), ALFUP_ERR); /* cancelled already */
}

static void test_preflight_failure_stops_without_rollback_and_resume_retries(void **state)
{
    world_t *w = *state;
    start(w);
    while (drive(w, "check-db@db1", SENT_MAX) > 0)
        ;
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    assert_int_equal(run->armed, 0);
    for (size_t i = 0; i < w->sent_count; i++)
        assert_string_equal(w->sent[i].kind, "preflight"); /* nothing stopped, nothing to roll back */
    resume_retries_only(w, "check-db@db1.a2");
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    assert_int_equal(run->state, RUN_WAITING);
}

static void test_controller_restart_pauses_and_resume_sends_nothing_twice(void **state)
{
    world_t *w = *state;
    start(w);
    while (w->sent_count < 8 && drive(w, NULL, 1) > 0) /* a few steps done, some in flight */
        ;
    size_t in_flight = 0;
    for (size_t i = 0; i < w->sent_count; i++)
        in_flight += !w->sent[i].answered;
    assert_true(in_flight > 0);
    char run_id[RUN_ID_MAX];
    snprintf(run_id, sizeof run_id, "%s", w->run_id);

    close_engine(w); /* the controller dies */
    open_engine(w);
    const run_t *run = run_of(w);
    assert_int_equal(run->paused, 1);
    assert_int_equal(run->state, RUN_RUNNING);
    size_t sent_before = w->sent_count;
    drive(w, NULL, SENT_MAX); /* results delivered while paused are recorded... */
    assert_int_equal(w->sent_count, sent_before); /* ...but nothing new is sent */

    char note[512];
    alfup_err_t err;
    assert_int_equal(run_engine_resume(w->engine, run_id, note, sizeof note, &err), ALFUP_OK);
    while (drive(w, NULL, SENT_MAX) > 0)
        ;
    assert_int_equal(run->state, RUN_WAITING);
    for (size_t i = 0; i < w->sent_count; i++) /* each step id sent once */
        for (size_t j = i + 1; j < w->sent_count; j++)
            assert_string_not_equal(w->sent[i].step_id, w->sent[j].step_id);
}

static void test_first_failure_is_the_reason_and_cancelled_siblings_say_so(void **state)
{
    world_t *w = *state;
    start(w);
    size_t preflight = w->sent_count;
    assert_true(preflight > 1);
    sent_step_t *db = NULL;
    for (size_t i = 0; i < preflight; i++)
        if (strstr(w->sent[i].step_id, "check-db@db1"))
            db = &w->sent[i];
    assert_non_null(db);
    answer(w, db, 1);
    assert_true(w->cancels > 0); /* the siblings still running are asked to stop */
    for (size_t i = 0; i < preflight; i++)
        if (!w->sent[i].answered)
            answer_status(w, &w->sent[i], STEP_CANCELLED);
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    assert_non_null(strstr(run->error, "check-db"));
    size_t cancelled = 0;
    for (size_t i = 0; i < run->plan->step_count; i++)
        cancelled += run->steps[i].state == RSTEP_CANCELLED;
    assert_int_equal(cancelled, preflight - 1);
}

/* How many times the journal recorded step_id as sent. */
static int journal_sends(world_t *w, const char *step_id)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(journal_db(w->journal), "SELECT sends FROM steps WHERE step_id = ?1", -1,
                                        &stmt, NULL), SQLITE_OK);
    sqlite3_bind_text(stmt, 1, step_id, -1, SQLITE_STATIC);
    int sends = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return sends;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Ticks the engine for ms; how many requests it sent for step_id meanwhile. */
static size_t tick_for(world_t *w, uint64_t ms, const char *step_id)
{
    size_t before = w->sent_count, count = 0;
    const struct timespec slice = {.tv_nsec = 5 * 1000000L};
    for (uint64_t start = mono_ms(); mono_ms() - start < ms;) {
        run_engine_tick(w->engine);
        nanosleep(&slice, NULL);
    }
    for (size_t i = before; i < w->sent_count; i++)
        count += strcmp(w->sent[i].step_id, step_id) == 0;
    return count;
}

/* Issue 15: a result the journal could not record is not acknowledged; so that it does not wait
 * for the step's timeout, the engine asks the agent again (which answers from its record), at a
 * growing interval, without journaling another send, and stops once the result is in. */
static void test_step_without_result_is_asked_again_at_a_growing_interval(void **state)
{
    world_t *w = *state;
    close_engine(w);
    w->reask_ms = 100;
    open_engine(w);
    start(w);
    assert_true(w->sent_count > 0);
    size_t first_stage = w->sent_count;
    char step_id[ALFUP_STEP_ID_MAX + 1];
    snprintf(step_id, sizeof step_id, "%s", w->sent[0].step_id);
    assert_int_equal(journal_sends(w, step_id), 1);
    /* asked at about 100, 300, 700 ms: 2 or 3 times in 800 ms (fewer only if the ticks lag) */
    size_t asked = tick_for(w, 800, step_id);
    assert_true(asked >= 1);
    assert_true(asked <= 3);
    assert_int_equal(journal_sends(w, step_id), 1); /* asking again is not another send */
    for (size_t i = 0; i < first_stage; i++) /* each answered once: the first stage is over */
        if (!w->sent[i].answered && strstr(w->sent[i].step_id, "check-") != NULL) {
            for (size_t k = i + 1; k < w->sent_count; k++)
                if (strcmp(w->sent[k].step_id, w->sent[i].step_id) == 0)
                    w->sent[k].answered = 1;
            answer(w, &w->sent[i], 0);
        }
    assert_int_equal(tick_for(w, 300, step_id), 0); /* it has its result: never asked again */
}

static void test_second_run_of_same_deployment_refused(void **state)
{
    world_t *w = *state;
    start(w);
    char other[RUN_ID_MAX];
    alfup_err_t err;
    assert_int_equal(run_engine_start(w->engine, w->plan, other, sizeof other, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "already has run"));
}

/* ---- an agent refused while connected (its certificate revoked) ---- */

/* Answers every step (with success) except those whose id contains keep, again and again,
 * until nothing new is sent. */
static void drive_all_but(world_t *w, const char *keep)
{
    size_t answers;
    do {
        answers = 0;
        for (size_t i = 0; i < w->sent_count; i++) {
            if (w->sent[i].answered || (keep && strstr(w->sent[i].step_id, keep)))
                continue;
            answer(w, &w->sent[i], 0);
            answers++;
        }
    } while (answers > 0);
}

static size_t sent_to_since(const world_t *w, const char *agent, size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < w->sent_count; i++)
        n += strcmp(w->sent[i].agent, agent) == 0;
    return n;
}

static const run_step_t *step_named(const run_t *run, int rollback, const char *id)
{
    size_t count = rollback ? run->plan->rollback_count : run->plan->step_count;
    for (size_t i = 0; i < count; i++)
        if (strcmp(rollback ? run->plan->rollback[i].id : run->plan->steps[i].id, id) == 0)
            return rollback ? &run->rollback_steps[i] : &run->steps[i];
    fail_msg("no step %s", id);
    return NULL;
}

static void refuse_agent(world_t *w, const char *agent)
{
    snprintf(w->refused_agent, sizeof w->refused_agent, "%s", agent);
    run_engine_on_agent_refused(w->engine, agent, "certificate revoked");
}

/* db1 refused while its backup runs: that step fails with the reason at once (no timeout),
 * the stage's siblings finish, the run rolls back, nothing more goes to db1. */
static void test_refused_agent_fails_its_sent_step_and_the_run_rolls_back(void **state)
{
    world_t *w = *state;
    start(w);
    drive_all_but(w, "backup-database@db1");
    const run_t *run = run_of(w);
    const run_step_t *backup = step_named(run, 0, "backup-database@db1");
    assert_int_equal(backup->state, RSTEP_SENT);
    size_t before = w->sent_count;
    refuse_agent(w, "db1");
    assert_int_equal(backup->state, RSTEP_FAILED);
    assert_string_equal(backup->result.error, "agent db1 refused: certificate revoked");
    assert_int_equal(run->state, RUN_ROLLING_BACK);
    drive_all_but(w, NULL);
    assert_int_equal(run->state, RUN_ROLLED_BACK);
    assert_non_null(strstr(run->error, "db1: step backup-database"));
    assert_non_null(strstr(run->error, "agent db1 refused: certificate revoked"));
    assert_int_equal(sent_to_since(w, "db1", before), 0);
    for (size_t i = 0; i < run->plan->rollback_count; i++)
        assert_int_equal(run->rollback_steps[i].state, RSTEP_SUCCEEDED);
}

/* db1 refused while nothing runs there: the run goes on until db1's next step, which fails
 * at once with the reason instead of waiting for db1; then the run rolls back. */
static void test_next_step_on_refused_agent_fails_at_once(void **state)
{
    world_t *w = *state;
    start(w);
    drive_all_but(w, "backup-content@repo1");
    const run_t *run = run_of(w);
    assert_int_equal(step_named(run, 0, "backup-database@db1")->state, RSTEP_SUCCEEDED);
    size_t before = w->sent_count;
    refuse_agent(w, "db1");
    assert_int_equal(run->state, RUN_RUNNING); /* nothing of db1's was in flight */
    drive_all_but(w, NULL);
    const run_step_t *scratch = step_named(run, 0, "create-scratch-db@db1");
    assert_int_equal(scratch->state, RSTEP_FAILED);
    assert_string_equal(scratch->result.error, "agent db1 refused: certificate revoked");
    assert_int_equal(run->state, RUN_ROLLED_BACK);
    assert_non_null(strstr(run->error, "create-scratch-db"));
    assert_int_equal(sent_to_since(w, "db1", before), 0);
}

/* repo1 refused during its backup: its rollback steps fail at once too (never sent, never
 * waited for); the others run; the run reports the rollback incomplete. */
static void test_rollback_steps_on_refused_agent_fail_at_once(void **state)
{
    world_t *w = *state;
    start(w);
    drive_all_but(w, "backup-content@repo1");
    const run_t *run = run_of(w);
    size_t before = w->sent_count;
    refuse_agent(w, "repo1");
    drive_all_but(w, NULL);
    assert_int_equal(run->state, RUN_FAILED);
    assert_non_null(strstr(run->error, "agent repo1 refused: certificate revoked"));
    assert_non_null(strstr(run->error, "ROLLBACK INCOMPLETE"));
    assert_int_equal(sent_to_since(w, "repo1", before), 0);
    assert_true(sent_to_since(w, "solr1", before) > 0);
    const run_step_t *start_old = step_named(run, 1, "rb-start-old@repo1");
    assert_int_equal(start_old->state, RSTEP_FAILED);
    assert_string_equal(start_old->result.error, "agent repo1 refused: certificate revoked");
    assert_int_equal(step_named(run, 1, "rb-start-old-solr@solr1")->state, RSTEP_SUCCEEDED);
}

/* ---- an agent that comes back with a certificate lacking a role ---- */

/* db1 is offline when its create-scratch-db comes due (the step waits, marked sent); a
 * certificate presenting the name db1 but holding only the repo role then connects: the
 * step fails naming host, step and role, nothing goes to db1, the run rolls back. */
static void test_step_due_while_offline_not_sent_to_a_certificate_lacking_its_role(void **state)
{
    world_t *w = *state;
    start(w);
    drive_all_but(w, "backup-content@repo1");
    snprintf(w->offline_agent, sizeof w->offline_agent, "db1");
    drive_all_but(w, NULL);
    const run_t *run = run_of(w);
    const run_step_t *scratch = step_named(run, 0, "create-scratch-db@db1");
    assert_int_equal(scratch->state, RSTEP_SENT); /* due, waiting for db1 */
    size_t before = w->sent_count;
    w->offline_agent[0] = '\0';
    snprintf(w->recast_agent, sizeof w->recast_agent, "db1");
    w->recast_roles = ROLE_REPO;
    run_engine_on_agent_up(w->engine, "db1");
    assert_int_equal(sent_to_since(w, "db1", before), 0);
    assert_int_equal(scratch->state, RSTEP_FAILED);
    assert_non_null(scratch->result.error);
    assert_non_null(strstr(scratch->result.error, "create-scratch-db@db1 on db1 needs the role db"));
    assert_non_null(strstr(scratch->result.error, "holds: repo"));
    drive_all_but(w, NULL);
    assert_int_equal(sent_to_since(w, "db1", before), 0);
    assert_int_equal(run->state, RUN_ROLLED_BACK); /* db1 has no rollback step in this workflow */
    assert_non_null(strstr(run->error, "create-scratch-db"));
}

/* ---- the checks across hosts after the preflight stage ---- */

static size_t sent_not_preflight(const world_t *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->sent_count; i++)
        n += strcmp(w->sent[i].kind, "preflight") != 0;
    return n;
}

/* solr1's preflight reports a backup_dir other than the plan's (deploy/examples before the fix):
 * the run fails at the preflight, naming solr1 and its folder, before anything stops. */
static void test_backup_dir_other_than_plans_refused_before_any_stop(void **state)
{
    world_t *w = *state;
    snprintf(w->stray_backup_agent, sizeof w->stray_backup_agent, "solr1");
    start(w);
    drive_all_but(w, NULL);
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    assert_int_equal(run->armed, 0);
    assert_int_equal(sent_not_preflight(w), 0);
    assert_non_null(strstr(run->error, "the plan's backup_dir " PLAN_BACKUP_DIR " is not the backup_dir of "
                                       "solr1 (" PLAN_BACKUP_DIR "/solr)"));
    assert_null(strstr(run->error, "repo1 ("));
    const run_step_t *solr = step_named(run, 0, "check-solr@solr1");
    assert_int_equal(solr->state, RSTEP_FAILED);
    assert_int_equal(step_named(run, 0, "check-repo@repo1")->state, RSTEP_SUCCEEDED);
}

/* Three hosts' backups on one filesystem (one NFS export): each need fits its free space, the
 * sum does not. The run fails at the preflight naming the hosts and the numbers, nothing stops. */
static void test_shared_backup_filesystem_checked_against_the_sum(void **state)
{
    world_t *w = *state;
    w->backup_fs = "remote:nas:/export/alfup-backups";
    w->space_free = "80000000"; /* 30 MB each fits, 90 MB together does not */
    start(w);
    drive_all_but(w, NULL);
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    assert_int_equal(sent_not_preflight(w), 0);
    assert_non_null(strstr(run->error, "repo1 check-content (30000000 bytes), db1 check-db (30000000 bytes), "
                                       "solr1 check-solr (30000000 bytes) go to one filesystem "
                                       "(remote:nas:/export/alfup-backups): together they need 90000000 bytes"));
    assert_non_null(strstr(run->error, "80000000 bytes free"));
    assert_int_equal(step_named(run, 0, "check-db@db1")->state, RSTEP_FAILED);
    assert_int_equal(step_named(run, 0, "check-repo@repo1")->state, RSTEP_SUCCEEDED);

    /* room made: resume retries the failed preflight steps, the run goes on */
    w->space_free = "100000000";
    char note[512];
    alfup_err_t err;
    assert_int_equal(run_engine_resume(w->engine, w->run_id, note, sizeof note, &err), ALFUP_OK);
    drive_all_but(w, NULL);
    assert_int_equal(run->state, RUN_WAITING);
    assert_true(sent_not_preflight(w) > 0);
}

static int progress_events(world_t *w)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(journal_db(w->journal), "SELECT COUNT(*) FROM events WHERE type = 'progress'",
                                        -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int count = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return count;
}

/* A step reporting progress fast gives the event stream at most one progress event a second
 * (RUN_PROGRESS_EVENT_MIN_MS), with its bytes and percent; the run's status keeps the latest; the
 * step's finished event has the bytes of its result. */
static void test_fast_progress_is_one_event_a_second(void **state)
{
    world_t *w = *state;
    start(w);
    assert_true(w->sent_count > 0);
    sent_step_t *s = &w->sent[0];
    msg_step_progress_t p = {.step_id = s->step_id, .bytes_total = 1000, .message = "copying"};
    for (unsigned i = 1; i <= 200; i++) {
        p.bytes_done = i * 5;
        run_engine_on_progress(w->engine, s->agent, &p);
    }
    assert_int_equal(progress_events(w), 1); /* 200 reports within a second: one event */
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(journal_db(w->journal), "SELECT json_extract(data, '$.bytes_done'),"
                                        " json_extract(data, '$.percent'), json_extract(data, '$.message')"
                                        " FROM events WHERE type = 'progress'", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 5);
    assert_true(sqlite3_column_double(stmt, 1) > 0.49 && sqlite3_column_double(stmt, 1) < 0.51);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 2), "copying");
    sqlite3_finalize(stmt);
    uint64_t until = mono_ms() + RUN_PROGRESS_EVENT_MIN_MS + 50;
    while (mono_ms() < until)
        run_engine_on_progress(w->engine, s->agent, &p), usleep(10000);
    assert_int_equal(progress_events(w), 2); /* a second later: the next one */
    const run_t *run = run_of(w);
    assert_int_equal(run->steps[0].progress.bytes_done, 1000);
    /* its end: the step event carries the bytes its result reports */
    msg_step_result_t result = {.step_id = s->step_id, .kind = s->kind, .status = STEP_SUCCEEDED, .error = ""};
    kv_list_add(&result.outputs, "bytes", "4096");
    if (strcmp(s->kind, "preflight") == 0)
        preflight_outputs(w, s, &result.outputs);
    s->answered = 1;
    run_engine_on_result(w->engine, s->agent, &result);
    kv_list_clear(&result.outputs);
    assert_int_equal(sqlite3_prepare_v2(journal_db(w->journal), "SELECT json_extract(data, '$.bytes') FROM events"
                                        " WHERE type = 'step' AND json_extract(data, '$.state') = 'succeeded'",
                                        -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 4096);
    sqlite3_finalize(stmt);
}

/* The prestaged workflow's copy of the contentstore (check-content's copy_to, the new dir.root) on
 * the filesystem the hosts' backups share: the backups alone fit (90 of 100 MB), with the copy they
 * do not. The run fails at the preflight naming the copy; with another filesystem for the copy it
 * goes on. Without the copy reports in the review, the first run would go on. */
static void test_copy_on_the_shared_backup_filesystem_counts(void **state)
{
    world_t *w = *state;
    w->backup_fs = "remote:nas:/export/alfup-backups";
    w->copy_fs = w->backup_fs;
    w->space_free = "100000000";
    start(w);
    drive_all_but(w, NULL);
    const run_t *run = run_of(w);
    assert_int_equal(run->state, RUN_FAILED);
    assert_int_equal(sent_not_preflight(w), 0);
    assert_non_null(strstr(run->error, "repo1 check-content (30000000 bytes), repo1 check-content copy (30000000 "
                                       "bytes), db1 check-db (30000000 bytes)"));
    assert_non_null(strstr(run->error, "together they need 120000000 bytes"));

    w->copy_fs = "local:repo1:fsid=1";
    char note[512];
    alfup_err_t err;
    assert_int_equal(run_engine_resume(w->engine, w->run_id, note, sizeof note, &err), ALFUP_OK);
    drive_all_but(w, NULL);
    assert_int_equal(run->state, RUN_WAITING);
    assert_true(sent_not_preflight(w) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_run_in_stage_order_with_decommission_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decommission_failure_resume_retries_only_it_and_rollback_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failure_after_the_new_version_serves_is_not_rolled_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehearsal_failure_keeps_production_and_resume_redoes_the_phase, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_after_a_failed_rehearsal_removes_what_it_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_after_stop_rolls_back_and_names_host_and_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preflight_failure_stops_without_rollback_and_resume_retries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_controller_restart_pauses_and_resume_sends_nothing_twice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_first_failure_is_the_reason_and_cancelled_siblings_say_so, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_second_run_of_same_deployment_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_without_result_is_asked_again_at_a_growing_interval, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_agent_fails_its_sent_step_and_the_run_rolls_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_next_step_on_refused_agent_fails_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_steps_on_refused_agent_fail_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_due_while_offline_not_sent_to_a_certificate_lacking_its_role,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_dir_other_than_plans_refused_before_any_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_backup_filesystem_checked_against_the_sum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_progress_is_one_event_a_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_on_the_shared_backup_filesystem_counts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
