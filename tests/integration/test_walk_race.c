/* test_walk_race.c -- the tree-walking steps against a racer swapping a folder and a symlink to outside. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "agent_config.h"
#include "file_util.h"
#include "step.h"
#include "step_test_lib.h"
#include "tree_remove.h"

/* Files in each decoy folder and in the outside folder, under the same names. */
#define RACE_FILES 100
/* Folder/symlink pairs one racer swaps in turn: a walk that meets a pair's
 * symlink first removes it and ends that pair's race, not the others'. */
#define RACE_PAIRS 8
/* How long a racer may swap in one round, and how many rounds a step kind gets. */
#define RACE_ROUND_MS 300
#define RACE_ROUNDS 8
#define SECRET "outside-secret\n"
#define DECOY "decoy\n"

typedef struct fixture {
    char base[1024];            /* scratch: base/in is the only allowed root, base/out is outside */
    char in[1100], out[1100];
    agent_config_t *config;
    kv_list_t params;
    msg_step_result_t result;
    atomic_int cancel;
    step_context_t ctx;
} fixture_t;

typedef struct racer {
    char a[RACE_PAIRS][4096], b[RACE_PAIRS][4096]; /* swapped with renameat2(RENAME_EXCHANGE) */
    int decoys;                 /* files in each decoy folder */
    atomic_int stop;
    atomic_ulong swaps;
    pthread_t thread;
} racer_t;

/* ---- helpers ---- */

static void path_at(char *buf, size_t len, const char *base, const char *relative)
{
    if (snprintf(buf, len, "%s/%s", base, relative) >= (int)len)
        fail_msg("path %s/%s too long", base, relative);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        fail_msg("create %s: %s", path, strerror(errno));
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void make_dir(const char *path)
{
    assert_int_equal(file_mkdir_p(path, 0755, NULL), 0);
}

/* dir/f000 .. dir/fNNN (count files) holding text. */
static void fill(const char *dir, int count, const char *text, mode_t mode)
{
    make_dir(dir);
    for (int i = 0; i < count; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/f%03d", dir, i);
        write_file(path, text, mode);
    }
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    step_test_temp_root("alfup-race", f->base, sizeof f->base);
    path_at(f->in, sizeof f->in, f->base, "in");
    path_at(f->out, sizeof f->out, f->base, "out");
    make_dir(f->in);
    make_dir(f->out);
    char backups[1200], state_dir[1200];
    path_at(backups, sizeof backups, f->in, "backups");
    path_at(state_dir, sizeof state_dir, f->in, "state");
    f->config = step_test_config("repo1", f->in, backups, state_dir);
    make_dir(f->config->backup_dir);
    make_dir(f->config->state_dir);
    f->ctx = (step_context_t){.config = f->config, .step_id = "race-test", .params = &f->params,
                              .approval = "operator:test", .result = &f->result,
                              .cancel = &f->cancel};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(tree_remove_all(f->base, NULL, NULL), 0);
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

/* ---- the racer ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *race(void *arg)
{
    racer_t *racer = arg;
    uint64_t deadline = now_ms() + RACE_ROUND_MS;
    for (unsigned i = 0; !atomic_load(&racer->stop) && now_ms() < deadline; i++)
        if (renameat2(AT_FDCWD, racer->a[i % RACE_PAIRS], AT_FDCWD, racer->b[i % RACE_PAIRS],
                      RENAME_EXCHANGE) == 0)
            atomic_fetch_add(&racer->swaps, 1);
    return NULL;
}

/* Lays out pairs dir/aN (a folder of decoys) and dir/bN (a symlink to the
 * outside folder, whose files have the decoys' names) and starts swapping. */
static void racer_start(fixture_t *f, racer_t *racer, const char *dir)
{
    make_dir(dir);
    char victim[1200];
    path_at(victim, sizeof victim, f->out, "victim");
    for (int i = 0; i < RACE_PAIRS; i++) {
        snprintf(racer->a[i], sizeof racer->a[i], "%s/a%d", dir, i);
        snprintf(racer->b[i], sizeof racer->b[i], "%s/b%d", dir, i);
        /* what an earlier round left (either may be the folder or the symlink) */
        assert_int_equal(tree_remove_all(racer->a[i], NULL, NULL), 0);
        assert_int_equal(tree_remove_all(racer->b[i], NULL, NULL), 0);
        fill(racer->a[i], racer->decoys, DECOY, 0644);
        assert_int_equal(symlink(victim, racer->b[i]), 0);
    }
    atomic_store(&racer->stop, 0);
    atomic_store(&racer->swaps, 0);
    assert_int_equal(pthread_create(&racer->thread, NULL, race, racer), 0);
    /* the step starts once the racer is swapping (it stops by itself at its deadline) */
    while (atomic_load(&racer->swaps) == 0)
        sched_yield();
}

static void racer_stop(racer_t *racer)
{
    atomic_store(&racer->stop, 1);
    assert_int_equal(pthread_join(racer->thread, NULL), 0);
}

/* The outside folder, refilled before each round. */
static void outside_fill(fixture_t *f)
{
    char victim[1200];
    path_at(victim, sizeof victim, f->out, "victim");
    fill(victim, RACE_FILES, SECRET, 0600);
}

/* Fails naming the round when an outside file is gone or changed. */
static void outside_check(fixture_t *f, const char *kind, int round, const racer_t *racer)
{
    int missing = 0;
    for (int i = 0; i < RACE_FILES; i++) {
        char path[1300];
        snprintf(path, sizeof path, "%s/victim/f%03d", f->out, i);
        uint8_t *text = NULL;
        size_t len = 0;
        if (file_read_all(path, 1024, &text, &len, NULL) != ALFUP_OK || len != strlen(SECRET) ||
            memcmp(text, SECRET, len) != 0)
            missing++;
        free(text);
    }
    if (missing)
        fail_msg("%s round %d (%lu swaps): %d of %d files outside the allowed roots were deleted "
                 "or changed", kind, round, atomic_load(&racer->swaps), missing, RACE_FILES);
}

/* Number of regular files below dir (recursively, not following symlinks) holding the secret. */
static int count_secrets(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, entry->d_name) >= (int)sizeof path ||
            lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            count += count_secrets(path);
        } else if (S_ISREG(st.st_mode)) {
            uint8_t *text = NULL;
            size_t len = 0;
            if (file_read_all(path, 1u << 20, &text, &len, NULL) == ALFUP_OK && len == strlen(SECRET) &&
                memcmp(text, SECRET, len) == 0)
                count++;
            free(text);
        }
    }
    closedir(d);
    return count;
}

/* Runs kind through the registry with fresh results; any status will do,
 * what counts is what happened outside. */
static step_status_t run(fixture_t *f, const char *kind)
{
    const step_kind_t *step = step_kind_find(kind);
    assert_non_null(step);
    msg_step_result_clear(&f->result);
    return step->run(&f->ctx);
}

/* One round: lay out the race in race_dir, run the step, check outside. */
static void round_of(fixture_t *f, const char *kind, int round, const char *race_dir)
{
    /* a copy syncs every file: fewer decoys keep carry-customizations' rounds short */
    int copying = strcmp(kind, "carry-customizations") == 0;
    racer_t racer = {.decoys = copying ? RACE_FILES / 5 : RACE_FILES};
    outside_fill(f);
    racer_start(f, &racer, race_dir);
    uint64_t started = now_ms();
    step_status_t status = run(f, kind);
    uint64_t took = now_ms() - started;
    racer_stop(&racer);
    print_message("%s round %d: status %d in %llu ms, %lu swaps%s%s\n", kind, round, (int)status,
                  (unsigned long long)took, atomic_load(&racer.swaps), f->result.error ? ": " : "",
                  f->result.error ? f->result.error : "");
    outside_check(f, kind, round, &racer);
}

/* ---- one test per step kind that walks a tree ---- */

static void test_wipe_race(void **state)
{
    fixture_t *f = *state;
    char path[1200], old_home[1200];
    path_at(path, sizeof path, f->in, "new/alf_data/contentstore");
    path_at(old_home, sizeof old_home, f->in, "old");
    make_dir(old_home);
    param(f, "path", path);
    param(f, "old_home", old_home);
    for (int round = 0; round < RACE_ROUNDS; round++)
        round_of(f, "wipe", round, path);
}

static void test_decommission_race(void **state)
{
    fixture_t *f = *state;
    char new_home[1200], dir_root[1200];
    path_at(new_home, sizeof new_home, f->in, "new");
    path_at(dir_root, sizeof dir_root, f->in, "new-data");
    make_dir(new_home);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char old_home[1200], race_dir[1300];
        snprintf(old_home, sizeof old_home, "%s/old%d", f->in, round);
        path_at(race_dir, sizeof race_dir, old_home, "alf_data/contentstore");
        kv_list_clear(&f->params);
        param(f, "old_home", old_home);
        param(f, "new_home", new_home);
        param(f, "new_dir_root", dir_root);
        round_of(f, "decommission-tree", round, race_dir);
    }
}

static void test_solr_clean_race(void **state)
{
    fixture_t *f = *state;
    char solr_home[1200], core[1300], models[1300];
    path_at(solr_home, sizeof solr_home, f->in, "solr/solrhome");
    path_at(core, sizeof core, solr_home, "alfresco/conf");
    make_dir(core);
    path_at(core, sizeof core, solr_home, "alfresco/conf/solrcore.properties");
    write_file(core, "data.dir.root=/nowhere\n", 0644);
    path_at(models, sizeof models, solr_home, "alfrescoModels");
    param(f, "solr_home", solr_home);
    param(f, "data_dir_root", solr_home);
    for (int round = 0; round < RACE_ROUNDS; round++)
        round_of(f, "solr-clean", round, models);
}

static void test_remove_webapps_race(void **state)
{
    fixture_t *f = *state;
    char new_home[1200], app[1300];
    path_at(new_home, sizeof new_home, f->in, "new");
    path_at(app, sizeof app, new_home, "tomcat/webapps/alfresco");
    param(f, "new_home", new_home);
    param(f, "app", "alfresco");
    for (int round = 0; round < RACE_ROUNDS; round++)
        round_of(f, "remove-webapps", round, app);
}

#define EXTENSION "tomcat/shared/classes/alfresco/extension"
#define GLOBAL "tomcat/shared/classes/alfresco-global.properties"

static void test_carry_race(void **state)
{
    fixture_t *f = *state;
    char old_home[1200], props[1300], extension[1300];
    path_at(old_home, sizeof old_home, f->in, "old");
    path_at(extension, sizeof extension, old_home, EXTENSION);
    make_dir(extension);
    path_at(props, sizeof props, old_home, GLOBAL);
    write_file(props, "dir.root=/old/alf_data\ndb.url=jdbc:postgresql://db/old\n", 0644);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char new_home[1200], new_extension[1300];
        snprintf(new_home, sizeof new_home, "%s/new%d", f->in, round);
        path_at(new_extension, sizeof new_extension, new_home, "tomcat/shared/classes");
        make_dir(new_extension);
        path_at(new_extension, sizeof new_extension, new_home, EXTENSION);
        kv_list_clear(&f->params);
        param(f, "old_home", old_home);
        param(f, "new_home", new_home);
        param(f, "set.dir.root", "/srv/new/alf_data");
        param(f, "set.db.url", "jdbc:postgresql://db/new");
        char race_dir[1400];
        path_at(race_dir, sizeof race_dir, extension, "race");
        round_of(f, "carry-customizations", round, race_dir);
        int secrets = count_secrets(new_home);
        if (secrets != 0)
            fail_msg("carry-customizations round %d: %d files read from outside the allowed roots "
                     "were copied into %s", round, secrets, new_extension);
        assert_int_equal(tree_remove_all(race_dir, NULL, NULL), 0);
    }
}

/* backup-tree reads the contentstore, which the alfresco user writes: the
 * archive must hold nothing from outside (restored, nothing is the secret),
 * offline (even rounds) or online (odd rounds). */
static void test_backup_race(void **state)
{
    fixture_t *f = *state;
    char tree[1200];
    path_at(tree, sizeof tree, f->in, "data/contentstore");
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char archive[1300], restored[1300];
        snprintf(archive, sizeof archive, "%s/round%d.tar.zst", f->config->backup_dir, round);
        snprintf(restored, sizeof restored, "%s/restored%d", f->in, round);
        kv_list_clear(&f->params);
        param(f, "archive", archive);
        param(f, "tree", tree);
        if (round % 2 == 1) /* online: what vanishes or is replaced is left out, never followed */
            param(f, "online", "true");
        round_of(f, "backup-tree", round, tree);
        struct stat st;
        if (lstat(archive, &st) != 0)
            continue; /* the backup failed (it met the swap): nothing was archived */
        kv_list_clear(&f->params);
        param(f, "archive", archive);
        param(f, "target", restored);
        step_status_t status = run(f, "restore-tree");
        if (status != STEP_SUCCEEDED)
            fail_msg("backup-tree round %d: restoring its archive: %s", round, f->result.error);
        int secrets = count_secrets(restored);
        if (secrets != 0)
            fail_msg("backup-tree round %d: %d files read from outside the allowed roots were archived", round,
                     secrets);
    }
}

/* Runs kind with params given as key, value, ..., NULL; fails naming what when it does not succeed. */
static void run_ok(fixture_t *f, const char *what, int round, const char *kind, ...)
{
    kv_list_clear(&f->params);
    va_list ap;
    va_start(ap, kind);
    for (const char *key; (key = va_arg(ap, const char *)) != NULL;)
        param(f, key, va_arg(ap, const char *));
    va_end(ap);
    if (run(f, kind) != STEP_SUCCEEDED)
        fail_msg("backup-delta round %d: %s: %s", round, what, f->result.error ? f->result.error : "");
}

/* Fails when a folder holds files read from outside the allowed roots. */
static void no_secrets_in(const char *dir, const char *what, int round)
{
    int secrets = count_secrets(dir);
    if (secrets != 0)
        fail_msg("backup-delta round %d: %d files read from outside the allowed roots were found in %s (%s)", round,
                 secrets, dir, what);
}

/* backup-delta lists again the folders of the contentstore that changed since
 * an online base and applies what it found to a copy laid from the base: a
 * folder swapped for a symlink while it does so is never followed, neither in
 * the delta archive nor in the copy (restored, nothing is the secret). */
static void test_backup_delta_race(void **state)
{
    fixture_t *f = *state;
    char tree[1200], race_dir[1300];
    path_at(tree, sizeof tree, f->in, "data/contentstore");
    path_at(race_dir, sizeof race_dir, tree, "race");
    fill(tree, 3, DECOY, 0644);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char base[1300], delta[1300], copy[1300], restored[1300];
        snprintf(base, sizeof base, "%s/base%d.tar.zst", f->config->backup_dir, round);
        snprintf(delta, sizeof delta, "%s/delta%d.tar.zst", f->config->backup_dir, round);
        snprintf(copy, sizeof copy, "%s/copy%d", f->in, round);
        snprintf(restored, sizeof restored, "%s/restored%d", f->in, round);
        assert_int_equal(tree_remove_all(race_dir, NULL, NULL), 0); /* the race folder is new to the delta */
        run_ok(f, "the online base", round, "backup-tree", "archive", base, "tree", tree, "online", "true", NULL);
        run_ok(f, "laying the copy from the base", round, "restore-tree", "archive", base, "target", copy, NULL);
        kv_list_clear(&f->params);
        param(f, "base", base);
        param(f, "archive", delta);
        param(f, "tree", tree);
        param(f, "target", copy);
        round_of(f, "backup-delta", round, race_dir);
        no_secrets_in(copy, "the copy the delta was applied to", round);
        struct stat st;
        if (lstat(delta, &st) != 0)
            continue; /* the delta failed (it met the swap): nothing was archived */
        run_ok(f, "restoring base and delta", round, "restore-tree", "archive", base, "delta", delta, "target",
               restored, NULL);
        no_secrets_in(restored, "base and delta restored", round);
    }
}

/* A component above the walk's root swapped for a symlink (after the path
 * was checked) is refused, not followed. */
static void test_symlink_above_the_root(void **state)
{
    fixture_t *f = *state;
    char link[1200], path[1300];
    path_at(link, sizeof link, f->in, "swapped");
    path_at(path, sizeof path, link, "victim");
    outside_fill(f);
    /* the path is checked while "swapped" is a real folder holding victim/ ... */
    make_dir(path);
    /* ... and a symlink to outside when the walk opens it: the steps walk
     * canonical paths, so only a swap between check and walk can do this */
    assert_int_equal(tree_remove_all(link, NULL, NULL), 0);
    assert_int_equal(symlink(f->out, link), 0);
    tree_remove_stats_t stats = {0};
    alfup_err_t err = {{0}};
    assert_int_not_equal(tree_remove_contents(path, &stats, &err), ALFUP_OK);
    assert_int_equal(stats.files, 0);
    racer_t none = {0};
    outside_check(f, "symlink above the root", 0, &none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wipe_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decommission_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_solr_clean_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_webapps_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carry_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_delta_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_above_the_root, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
