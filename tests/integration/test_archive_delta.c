/* test_archive_delta.c -- the prestaged copy on real files: an online base copy (backup-tree online=true) while a
 * writer adds files (also into old date folders) and an "orphan cleaner" moves files to contentstore.deleted, then
 * backup-delta applied to the copy laid from the base, and restore-tree base + delta; cost, priority, resume. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_config.h"
#include "archive_digest.h"
#include "archive_progress.h"
#include "delta_apply.h"
#include "online_priority.h"
#include "online_state.h"
#include "step.h"
#include "restore_set.h"
#include "step_test_lib.h"
#include "tree_remove.h"

#define FILE_BYTES 4096
#define MONTHS 3 /* the small store: 3 months x 5 days x 4 hours = 60 leaf folders, 5 files each */
#define DAYS 5
#define HOURS 4
#define FILES_PER_FOLDER 5

typedef struct fixture {
    char base[PATH_MAX];
    char allowed[PATH_MAX];
    char backups[PATH_MAX];
    agent_config_t *config;
    int interrupted;
} fixture_t;

/* Formats a path of at most PATH_MAX - 1 bytes into out (PATH_MAX bytes). */
static void fmt_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fmt_path(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, PATH_MAX, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && n < PATH_MAX);
}

static void make_dirs(const char *path)
{
    char copy[PATH_MAX];
    fmt_path(copy, "%s", path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            fail_msg("mkdir %s: %s", copy, strerror(errno));
        *p = '/';
    }
    if (mkdir(copy, 0755) != 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", copy, strerror(errno));
}

/* A content file of FILE_BYTES whose bytes depend on seed. */
static void write_content(const char *path, unsigned seed)
{
    unsigned char bytes[FILE_BYTES];
    uint32_t x = 2463534242u ^ seed;
    for (size_t i = 0; i < sizeof bytes; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        bytes[i] = (unsigned char)x;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        fail_msg("create %s: %s", path, strerror(errno));
    assert_int_equal(write(fd, bytes, sizeof bytes), (ssize_t)sizeof bytes);
    assert_int_equal(close(fd), 0);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    step_test_temp_root("alfup-delta", f->base, sizeof f->base);
    step_test_path_join(f->allowed, f->base, "allowed");
    step_test_path_join(f->backups, f->allowed, "backups");
    make_dirs(f->backups);
    f->config = step_test_config("test-agent", f->allowed, f->backups, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    alfup_err_t err;
    tree_remove_all(f->base, NULL, &err);
    agent_config_destroy(&f->config);
    free(f);
    return 0;
}

typedef void (*progress_hook_fn)(void *arg, const step_progress_t *progress);

/* Runs the step kind with params given as key, value, ..., NULL. */
static step_status_t run_step(fixture_t *f, const char *kind, msg_step_result_t *result, progress_hook_fn hook,
                              void *hook_arg, atomic_int *cancel, ...)
{
    step_test_how_t how = {
        .config = f->config, .progress = hook, .progress_arg = hook_arg, .cancel = cancel, .interrupted = f->interrupted};
    va_list ap;
    va_start(ap, cancel);
    step_status_t status = step_test_run_v(&how, kind, result, ap);
    va_end(ap);
    return status;
}

static unsigned long long output_u64(const msg_step_result_t *result, const char *key)
{
    const char *value = kv_list_get(&result->outputs, key);
    if (value == NULL)
        fail_msg("output %s missing", key);
    return strtoull(value, NULL, 10);
}

/* A store below dir.root: contentstore/2024/M/D/H/<n>.bin for months M, and an empty contentstore.deleted. */
static void make_store(const char *root, int months)
{
    char path[PATH_MAX];
    unsigned seed = 1;
    for (int m = 1; m <= months; m++)
        for (int d = 1; d <= DAYS; d++)
            for (int h = 10; h < 10 + HOURS; h++) {
                char leaf[PATH_MAX];
                fmt_path(leaf, "%s/contentstore/2024/%d/%d/%d", root, m, d, h);
                make_dirs(leaf);
                for (int n = 0; n < FILES_PER_FOLDER; n++) {
                    fmt_path(path, "%s/%08x-%d.bin", leaf, seed * 2654435761u, n);
                    write_content(path, seed++);
                }
            }
    step_test_path_join(path, root, "contentstore.deleted");
    make_dirs(path);
}

static void sha256_of(const char *path, char hex[ARCHIVE_DIGEST_HEX_LEN + 1])
{
    alfup_err_t err;
    archive_digest_t *digest = archive_digest_new(&err);
    assert_non_null(digest);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    unsigned char block[65536];
    for (ssize_t n; (n = read(fd, block, sizeof block)) > 0;)
        assert_int_equal(archive_digest_update(digest, block, (size_t)n, &err), 0);
    close(fd);
    assert_int_equal(archive_digest_final_hex(digest, hex, &err), 0);
    archive_digest_destroy(&digest);
}

/* Every entry below a is below b with the same type, mode (files), sha-256 or symlink target; returns the count. */
static size_t compare_below(const char *a, const char *b)
{
    DIR *dir = opendir(a);
    if (dir == NULL)
        fail_msg("open %s: %s", a, strerror(errno));
    size_t count = 0;
    for (struct dirent *d; (d = readdir(dir)) != NULL;) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        char pa[PATH_MAX], pb[PATH_MAX];
        step_test_path_join(pa, a, d->d_name);
        step_test_path_join(pb, b, d->d_name);
        struct stat sa, sb;
        assert_int_equal(lstat(pa, &sa), 0);
        if (lstat(pb, &sb) != 0)
            fail_msg("%s is missing (it is in %s)", pb, a);
        if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
            fail_msg("%s: another type than %s", pb, pa);
        count++;
        if (S_ISDIR(sa.st_mode)) {
            count += compare_below(pa, pb);
        } else if (S_ISREG(sa.st_mode)) {
            char ha[ARCHIVE_DIGEST_HEX_LEN + 1], hb[ARCHIVE_DIGEST_HEX_LEN + 1];
            sha256_of(pa, ha);
            sha256_of(pb, hb);
            if (strcmp(ha, hb) != 0 || (sa.st_mode & 07777) != (sb.st_mode & 07777))
                fail_msg("%s differs from %s", pb, pa);
        }
    }
    closedir(dir);
    return count;
}

/* a and b hold the same entries, file by file (sha-256), nothing extra on either side. */
static void assert_same_tree(const char *a, const char *b)
{
    size_t in_a = compare_below(a, b), in_b = compare_below(b, a);
    assert_true(in_a > 0);
    assert_int_equal(in_a, in_b);
}

/* ---- the "production" writer: adds content files (into old date folders and new ones) and moves orphans ---- */

typedef struct production {
    char root[PATH_MAX]; /* dir.root */
    int months;
    unsigned seed;
    unsigned added, moved;
    atomic_int stop;
} production_t;

/* Writes one new content file: into an old leaf folder (even numbers) or a new date folder (odd). */
static void production_add(production_t *p)
{
    char folder[PATH_MAX], path[PATH_MAX];
    unsigned n = p->seed++;
    if (n % 2 == 0)
        fmt_path(folder, "%s/contentstore/2024/%u/%u/%u", p->root, 1 + n % (unsigned)p->months, 1 + n % DAYS,
                 10 + n % HOURS);
    else
        fmt_path(folder, "%s/contentstore/2026/12/7/%u/%u", p->root, n % 3, n % 5);
    make_dirs(folder);
    fmt_path(path, "%s/new-%u.bin", folder, n);
    write_content(path, 1000000 + n);
    p->added++;
}

/* The orphan cleaner: moves the first file of an old leaf folder to the same place in contentstore.deleted. */
static void production_orphan(production_t *p)
{
    unsigned n = p->seed++;
    char rel[PATH_MAX], from_dir[PATH_MAX], to_dir[PATH_MAX];
    fmt_path(rel, "2024/%u/%u/%u", 1 + n % (unsigned)p->months, 1 + (n / 3) % DAYS, 10 + (n / 7) % HOURS);
    fmt_path(from_dir, "%s/contentstore/%s", p->root, rel);
    fmt_path(to_dir, "%s/contentstore.deleted/%s", p->root, rel);
    DIR *dir = opendir(from_dir);
    assert_non_null(dir);
    char name[NAME_MAX + 1] = "";
    for (struct dirent *d; (d = readdir(dir)) != NULL;)
        if (d->d_name[0] != '.' && strncmp(d->d_name, "new-", 4) != 0) {
            fmt_path(name, "%s", d->d_name);
            break;
        }
    closedir(dir);
    if (name[0] == '\0')
        return;
    make_dirs(to_dir);
    char from[PATH_MAX], to[PATH_MAX];
    step_test_path_join(from, from_dir, name);
    step_test_path_join(to, to_dir, name);
    assert_int_equal(rename(from, to), 0);
    p->moved++;
}

static void *production_run(void *arg)
{
    production_t *p = arg;
    while (!atomic_load(&p->stop)) {
        if (p->seed % 4 == 3)
            production_orphan(p);
        else
            production_add(p);
        struct timespec pace = {0, 5 * 1000 * 1000}; /* pacing of the writer, not a wait for anything */
        nanosleep(&pace, NULL);
    }
    return NULL;
}

/* Paths of one scenario. */
typedef struct scenario {
    char root[PATH_MAX]; /* the old dir.root */
    char cs[PATH_MAX], deleted[PATH_MAX];
    char base[PATH_MAX], delta[PATH_MAX];
    char target[PATH_MAX]; /* the new dir.root, laid from the base */
    char base_sha[ARCHIVE_DIGEST_HEX_LEN + 1];
} scenario_t;

static void scenario_init(fixture_t *f, scenario_t *s, const char *name)
{
    char folder[PATH_MAX];
    step_test_path_join(folder, f->allowed, name);
    step_test_path_join(s->root, folder, "old");
    step_test_path_join(s->cs, s->root, "contentstore");
    step_test_path_join(s->deleted, s->root, "contentstore.deleted");
    step_test_path_join(s->target, folder, "new");
    char file[PATH_MAX];
    fmt_path(file, "%s-base.tar.zst", name);
    step_test_path_join(s->base, f->backups, file);
    fmt_path(file, "%s-delta.tar.zst", name);
    step_test_path_join(s->delta, f->backups, file);
}

/* The online base copy, then the new dir.root laid from it (restore-tree). */
/* settle_s NULL: the default (files written in the last 10 minutes are taken again by the delta). */
static void base_copy(fixture_t *f, scenario_t *s, const char *max_mb_per_s, const char *settle_s,
                      msg_step_result_t *base_result)
{
    assert_int_equal(run_step(f, "backup-tree", base_result, NULL, NULL, NULL, "tree", s->cs, "tree", s->deleted,
                              "archive", s->base, "online", "true", "max_mb_per_s", max_mb_per_s,
                              settle_s ? "settle_s" : NULL, settle_s, NULL),
                     STEP_SUCCEEDED);
    snprintf(s->base_sha, sizeof s->base_sha, "%s", kv_list_get(&base_result->outputs, "archive_sha256"));
    msg_step_result_t result;
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, NULL, "archive", s->base, "target", s->target,
                              "sha256", s->base_sha, NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
}

static step_status_t run_delta(fixture_t *f, scenario_t *s, msg_step_result_t *result, atomic_int *cancel)
{
    return run_step(f, "backup-delta", result, NULL, NULL, cancel, "base", s->base, "base_sha256", s->base_sha,
                    "archive", s->delta, "tree", s->cs, "tree", s->deleted, "target", s->target, NULL);
}

/* The backup set restores on its own: base + delta into an empty folder equals the store at the stop. */
static void assert_chain_restores(fixture_t *f, scenario_t *s, const char *name)
{
    char restored[PATH_MAX];
    step_test_path_join(restored, f->allowed, name);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, NULL, "archive", s->base, "delta", s->delta,
                              "target", restored, NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_same_tree(s->root, restored);
    /* one tree of the chain into its own folder */
    step_test_path_join(restored, f->allowed, "one-tree");
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, NULL, "archive", s->base, "delta", s->delta,
                              "tree", "contentstore", "target", restored, NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_same_tree(s->cs, restored);
    tree_remove_all(restored, NULL, NULL);
    /* the same with the operator's command (alfup-agent --restore-set): into an empty folder; then refused into
     * that folder, which now holds the trees, and it is left as it was */
    step_test_path_join(restored, f->allowed, "restore-set");
    FILE *out = fopen("/dev/null", "w");
    assert_non_null(out);
    restore_set_request_t request = {.base = s->base, .delta = s->delta, .into = restored};
    assert_int_equal(restore_set_run(f->config, &request, NULL, out), 0);
    assert_same_tree(s->root, restored);
    assert_int_equal(restore_set_run(f->config, &request, NULL, out), 1);
    assert_same_tree(s->root, restored);
    fclose(out);
    tree_remove_all(restored, NULL, NULL);
}

/* The whole prestaged copy with production writing during the base copy and between base and stop. */
static void test_base_while_writing_then_delta_equals_the_stop(void **state)
{
    fixture_t *f = *state;
    scenario_t s;
    scenario_init(f, &s, "live");
    make_store(s.root, MONTHS);
    step_test_wait_settled();

    production_t production = {.months = MONTHS, .seed = 1};
    fmt_path(production.root, "%s", s.root);
    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, production_run, &production), 0);
    msg_step_result_t base_result;
    /* 1 MB/s over ~1.2 MB: the copy lasts about a second while the writer works */
    base_copy(f, &s, "1", NULL, &base_result);
    atomic_store(&production.stop, 1);
    assert_int_equal(pthread_join(writer, NULL), 0);
    print_message("  base: %s folders, %s dirty, %s files left out, %s untrusted, %s recent; writer added %u, moved "
                  "%u\n",
                  kv_list_get(&base_result.outputs, "folders"), kv_list_get(&base_result.outputs, "folders_dirty"),
                  kv_list_get(&base_result.outputs, "files_left_out"),
                  kv_list_get(&base_result.outputs, "files_untrusted"),
                  kv_list_get(&base_result.outputs, "files_recent"), production.added, production.moved);
    assert_true(production.added > 0 && production.moved > 0);
    msg_step_result_clear(&base_result);

    /* after the base, before the stop: more files in old folders, a new folder, orphans moved */
    for (int i = 0; i < 12; i++)
        i % 3 == 2 ? production_orphan(&production) : production_add(&production);

    msg_step_result_t result;
    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_true(output_u64(&result, "files_added") > 0);
    assert_true(output_u64(&result, "files_removed") > 0);
    assert_string_equal(kv_list_get(&result.outputs, "base_sha256"), s.base_sha);
    msg_step_result_clear(&result);
    assert_same_tree(s.root, s.target);
    assert_chain_restores(f, &s, "restored");
}

/* The same handful of changes in a store and in one 4 times larger: the delta lists the same few folders again. */
static unsigned long long relisted_after_changes(fixture_t *f, const char *name, int months,
                                                 unsigned long long *folders_total)
{
    scenario_t s;
    scenario_init(f, &s, name);
    make_store(s.root, months);
    step_test_wait_settled();
    msg_step_result_t result;
    base_copy(f, &s, "0", "2", &result);
    assert_int_equal(output_u64(&result, "folders_dirty"), 0); /* settled: every folder's state is trusted */
    assert_int_equal(output_u64(&result, "files_left_out"), 0);
    msg_step_result_clear(&result);

    /* 2 files into 2 old leaf folders, 1 into a new hour folder with a minute folder below it (its day folder is
     * old), 1 orphan moved: changed are the 2 leaf folders, the day folder, the 2 new folders, the moved file's
     * folder, and in contentstore.deleted the 4 folders made for it and contentstore.deleted itself */
    char path[PATH_MAX];
    fmt_path(path, "%s/2024/1/2/11/late-a.bin", s.cs);
    write_content(path, 7001);
    fmt_path(path, "%s/2024/2/3/12/late-b.bin", s.cs);
    write_content(path, 7002);
    fmt_path(path, "%s/2024/1/1/23/59", s.cs);
    make_dirs(path);
    fmt_path(path, "%s/2024/1/1/23/59/late-c.bin", s.cs);
    write_content(path, 7003);
    production_t cleaner = {.months = 1, .seed = 0};
    fmt_path(cleaner.root, "%s", s.root);
    production_orphan(&cleaner);
    assert_int_equal(cleaner.moved, 1);

    /* delta-scan, the downtime estimate's count taken before the stop, finds what the delta will, and
     * writes nothing */
    assert_int_equal(run_step(f, "delta-scan", &result, NULL, NULL, NULL, "base", s.base, "base_sha256", s.base_sha,
                              "tree", s.cs, "tree", s.deleted, NULL),
                     STEP_SUCCEEDED);
    assert_int_equal(output_u64(&result, "changed_files"), 4);
    assert_int_equal(output_u64(&result, "changed_bytes"), 4 * FILE_BYTES);
    assert_int_equal(output_u64(&result, "removed"), 1);
    unsigned long long scanned = output_u64(&result, "folders_relisted");
    msg_step_result_clear(&result);
    struct stat st;
    assert_int_equal(lstat(s.delta, &st), -1);

    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_int_equal(output_u64(&result, "files_added"), 4);
    assert_int_equal(output_u64(&result, "files_removed"), 1);
    unsigned long long relisted = output_u64(&result, "folders_relisted");
    assert_int_equal(scanned, relisted);
    *folders_total = output_u64(&result, "folders_total");
    msg_step_result_clear(&result);
    assert_same_tree(s.root, s.target);
    char restored[PATH_MAX];
    fmt_path(restored, "%s-restored", name);
    assert_chain_restores(f, &s, restored);
    tree_remove_all(s.root, NULL, NULL);
    return relisted;
}

static void test_delta_cost_grows_with_changes_not_with_the_store(void **state)
{
    fixture_t *f = *state;
    unsigned long long total_small = 0, total_large = 0;
    unsigned long long small = relisted_after_changes(f, "small", MONTHS, &total_small);
    unsigned long long large = relisted_after_changes(f, "large", 4 * MONTHS, &total_large);
    print_message("  re-listed %llu of %llu folders, and %llu of %llu in the store 4x larger\n", small, total_small,
                  large, total_large);
    assert_true(total_large > 3 * total_small);
    assert_true(small <= 11);
    assert_true(small * 5 < total_small);
    assert_int_equal(small, large);
}

/* Grows the file being read at the first throttled progress report. */
typedef struct grow_hook {
    char path[PATH_MAX];
    int grown;
    int io_class, nice_value; /* what the step's thread ran at, seen from inside the step */
} grow_hook_t;

static void grow_while_read(void *arg, const step_progress_t *progress)
{
    grow_hook_t *hook = arg;
    hook->io_class = online_priority_io_class();
    errno = 0;
    hook->nice_value = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
    if (hook->grown || progress->bytes_done == 0)
        return;
    int fd = open(hook->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "grown", 5), 5);
    close(fd);
    hook->grown = 1;
}

/* A big file that grows while the online copy reads it ends up right after the delta; the step ran at idle I/O
 * class and nice 19, and the thread got its priorities back afterwards. */
static void test_file_changing_during_online_copy_ends_up_right(void **state)
{
    fixture_t *f = *state;
    scenario_t s;
    scenario_init(f, &s, "growing");
    make_store(s.root, 1);
    grow_hook_t hook = {0};
    step_test_path_join(hook.path, s.cs, "2024/1/1/10/big.bin");
    int fd = open(hook.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    assert_true(fd >= 0);
    unsigned char *big = calloc(1, 3 * 1024 * 1024);
    assert_non_null(big);
    assert_int_equal(write(fd, big, 3 * 1024 * 1024), 3 * 1024 * 1024);
    free(big);
    close(fd);
    step_test_wait_settled();
    int io_before = online_priority_io_class();
    int nice_before = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));

    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, grow_while_read, &hook, NULL, "tree", s.cs, "tree", s.deleted,
                              "archive", s.base, "online", "yes", "max_mb_per_s", "2", "settle_s", "2", NULL),
                     STEP_SUCCEEDED);
    assert_true(hook.grown);
    assert_int_equal(hook.io_class, ONLINE_IOPRIO_CLASS_IDLE);
    assert_int_equal(hook.nice_value, ONLINE_NICE);
    assert_int_equal(online_priority_io_class(), io_before);
    if (geteuid() == 0) /* raising the priority back needs CAP_SYS_NICE */
        assert_int_equal(getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)), nice_before);
    assert_int_equal(output_u64(&result, "files_untrusted") + output_u64(&result, "files_left_out"), 1);
    assert_true(output_u64(&result, "folders_dirty") >= 1);
    snprintf(s.base_sha, sizeof s.base_sha, "%s", kv_list_get(&result.outputs, "archive_sha256"));
    msg_step_result_clear(&result);
    assert_int_equal(
        run_step(f, "restore-tree", &result, NULL, NULL, NULL, "archive", s.base, "target", s.target, NULL),
        STEP_SUCCEEDED);
    msg_step_result_clear(&result);

    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_int_equal(output_u64(&result, "files_added"), 1);
    msg_step_result_clear(&result);
    assert_same_tree(s.root, s.target);
    assert_chain_restores(f, &s, "restored");
}

/* An upload that paused (its file is not new enough to be racy) while the base copy read it, and went on after:
 * the file grew without touching its folder. Written within settle_s of the copy, it was recorded untrusted, and the
 * delta copies it again. */
static void test_upload_paused_during_base_copy_is_completed_by_the_delta(void **state)
{
    fixture_t *f = *state;
    scenario_t s;
    scenario_init(f, &s, "paused");
    make_store(s.root, 1);
    char upload[PATH_MAX];
    step_test_path_join(upload, s.cs, "2024/1/1/10/upload.bin");
    int fd = open(upload, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "first part;", 11), 11);
    step_test_wait_settled();
    msg_step_result_t result;
    base_copy(f, &s, "0", NULL, &result);
    assert_int_equal(output_u64(&result, "folders_dirty"), 0);
    unsigned long long recent = output_u64(&result, "files_recent");
    assert_int_equal(recent, DAYS * HOURS * FILES_PER_FOLDER + 1);
    msg_step_result_clear(&result);
    assert_int_equal(write(fd, "second part", 11), 11); /* the upload goes on: the folder does not change */
    assert_int_equal(close(fd), 0);

    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_int_equal(output_u64(&result, "files_added"), recent);
    assert_int_equal(output_u64(&result, "folders_relisted"), 0);
    msg_step_result_clear(&result);
    assert_same_tree(s.root, s.target);
    assert_chain_restores(f, &s, "restored");
}

/* Folders and files made just before the online copy cannot be trusted (racy timestamps): the folders are recorded
 * dirty, the files left out, and the delta lists the folders again and takes the files. */
static void test_fresh_folders_are_dirty(void **state)
{
    fixture_t *f = *state;
    scenario_t s;
    scenario_init(f, &s, "fresh");
    make_store(s.root, 1);
    msg_step_result_t result;
    base_copy(f, &s, "0", "2", &result);
    unsigned long long folders = output_u64(&result, "folders");
    unsigned long long dirty = output_u64(&result, "folders_dirty");
    unsigned long long left_out = output_u64(&result, "files_left_out");
    /* how many depends on how fast the copy went (under valgrind it may pass the margin for the last ones) */
    assert_true(dirty > 0 && dirty <= folders);
    assert_true(left_out > 0 && left_out <= DAYS * HOURS * FILES_PER_FOLDER);
    msg_step_result_clear(&result);
    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_int_equal(output_u64(&result, "folders_total"), folders);
    assert_true(output_u64(&result, "folders_relisted") >= dirty);
    assert_int_equal(output_u64(&result, "files_added"), left_out);
    assert_int_equal(output_u64(&result, "files_removed"), 0);
    msg_step_result_clear(&result);
    assert_same_tree(s.root, s.target);
}

/* Vanishing tree: VANISH_FOLDERS folders of VANISH_FILES one-byte files. */
#define VANISH_FOLDERS 4
#define VANISH_FILES 4

/* Makes every progress tick a report (each report waits out ARCHIVE_PROGRESS_EVERY_MS), and at the first one
 * after a file was written removes the whole tree: the walk is then inside a folder, and the entries it listed
 * already (that folder's other files, the root's later folders) are gone when it reaches them. */
typedef struct vanish_hook {
    char root[PATH_MAX];
    uint64_t fired_at; /* files_done at the removal; 0 when it never fired */
} vanish_hook_t;

static void remove_while_written(void *arg, const step_progress_t *progress)
{
    vanish_hook_t *hook = arg;
    if (hook->fired_at != 0)
        return;
    if (progress->files_done > 0) {
        hook->fired_at = progress->files_done;
        alfup_err_t err;
        if (tree_remove_all(hook->root, NULL, &err) != ALFUP_OK)
            fail_msg("remove %s: %s", hook->root, err.msg);
        return;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do { /* not a wait for an event: the report interval passing, so the next tick reports again */
        struct timespec slice = {0, 10 * 1000 * 1000};
        nanosleep(&slice, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 <=
             (long)ARCHIVE_PROGRESS_EVERY_MS);
}

static void make_vanishing_tree(const char *root)
{
    for (int d = 0; d < VANISH_FOLDERS; d++)
        for (int n = 0; n < VANISH_FILES; n++) {
            char path[PATH_MAX];
            fmt_path(path, "%s/d%03d", root, d);
            make_dirs(path);
            fmt_path(path, "%s/d%03d/f%03d", root, d, n);
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
            if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) != 0)
                fail_msg("create %s: %s", path, strerror(errno));
        }
}

/* Runs backup-tree over a tree removed part way; the hook must have fired before the last folder. */
static step_status_t backup_vanishing(fixture_t *f, const char *label, const char *online, msg_step_result_t *result)
{
    vanish_hook_t hook = {0};
    char archive[PATH_MAX];
    fmt_path(hook.root, "%s/%s", f->allowed, label);
    fmt_path(archive, "%s/%s.tar.zst", f->backups, label);
    make_vanishing_tree(hook.root);
    if (strcmp(online, "yes") == 0)
        step_test_wait_settled(); /* no file left out for being racy: only the removed ones are */
    step_status_t status = run_step(f, "backup-tree", result, remove_while_written, &hook, NULL, "tree", hook.root,
                                    "archive", archive, "online", online, NULL);
    if (hook.fired_at != 1)
        fail_msg("%s: the tree was not removed right after the first file was written (fired after %llu files)", label,
                 (unsigned long long)hook.fired_at);
    return status;
}

/* Offline (production stopped) nothing may change in a tree being backed up: a file or folder that vanishes while
 * it is read fails the step, never silently missing from the backup. Online it is left out and its folder marked
 * dirty, for the delta. */
static void test_vanishing_fails_offline_is_left_out_online(void **state)
{
    fixture_t *f = *state;
    msg_step_result_t result;
    assert_int_equal(backup_vanishing(f, "vanish-offline", "no", &result), STEP_FAILED);
    assert_non_null(result.error);
    if (strstr(result.error, "vanished or was replaced while it was backed up") == NULL)
        fail_msg("offline: unexpected error: %s", result.error);
    msg_step_result_clear(&result);
    assert_int_equal(backup_vanishing(f, "vanish-online", "yes", &result), STEP_SUCCEEDED);
    assert_true(output_u64(&result, "files_left_out") > 0);
    assert_true(output_u64(&result, "folders_dirty") > 0);
    msg_step_result_clear(&result);
}

/* The delta asked again after an agent restart: cancelled before it wrote anything, then after the archive was
 * complete and the target half applied, then with a damaged archive. Each time the target ends equal to the
 * store: no missing file, no extra one. */
static void test_interrupted_delta_asked_again(void **state)
{
    fixture_t *f = *state;
    scenario_t s;
    scenario_init(f, &s, "resume");
    make_store(s.root, 1);
    step_test_wait_settled();
    msg_step_result_t result;
    base_copy(f, &s, "0", "2", &result);
    msg_step_result_clear(&result);
    production_t production = {.months = 1, .seed = 1};
    fmt_path(production.root, "%s", s.root);
    for (int i = 0; i < 9; i++)
        i % 3 == 2 ? production_orphan(&production) : production_add(&production);

    atomic_int cancel = 1;
    assert_int_equal(run_delta(f, &s, &result, &cancel), STEP_CANCELLED);
    msg_step_result_clear(&result);
    assert_int_equal(access(s.delta, F_OK), -1);

    f->interrupted = 1;
    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_null(kv_list_get(&result.outputs, "recovered"));
    unsigned long long added = output_u64(&result, "files_added");
    msg_step_result_clear(&result);
    assert_same_tree(s.root, s.target);

    /* the attempt finished its archive and was cut off while applying: a removed file is back, an added one gone */
    char moved_back[PATH_MAX], added_file[PATH_MAX];
    fmt_path(added_file, "%s/contentstore/2026/12/7/1/1/new-1.bin", s.target);
    assert_int_equal(unlink(added_file), 0);
    alfup_err_t err;
    manifest_t *delta = delta_read_manifest(s.delta, &err);
    assert_non_null(delta);
    assert_true(manifest_removed_count(delta) > 0);
    step_test_path_join(moved_back, s.target, manifest_removed_at(delta, 0));
    manifest_destroy(&delta);
    write_content(moved_back, 99);
    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_string_equal(kv_list_get(&result.outputs, "recovered"), "yes");
    assert_int_equal(output_u64(&result, "files_added"), added);
    msg_step_result_clear(&result);
    assert_int_equal(access(added_file, F_OK), 0);
    assert_int_equal(access(moved_back, F_OK), -1);
    assert_same_tree(s.root, s.target);

    /* a damaged archive of the attempt is written again; a file the cut-off attempt wrote into the copy and the
     * source no longer has (the writer removed it in between) is pruned from the folders the delta listed */
    int fd = open(s.delta, O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    close(fd);
    char ghost[PATH_MAX];
    fmt_path(ghost, "%s/contentstore/2026/12/7/1/1/ghost.bin", s.target);
    write_content(ghost, 98);
    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    assert_null(kv_list_get(&result.outputs, "recovered"));
    assert_int_equal(output_u64(&result, "files_added"), added);
    assert_int_equal(output_u64(&result, "target_pruned"), 1);
    msg_step_result_clear(&result);
    assert_int_equal(access(ghost, F_OK), -1);
    assert_same_tree(s.root, s.target);
    assert_chain_restores(f, &s, "restored");

    /* without the restart record, an existing delta is never touched */
    f->interrupted = 0;
    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_FAILED);
    assert_non_null(strstr(result.error, "already exists"));
    msg_step_result_clear(&result);
}

/* Counts progress reports; cancels at the first one with bytes done when cancel is set. */
typedef struct throttle_hook {
    unsigned reports;
    atomic_int *cancel;
} throttle_hook_t;

static void count_reports(void *arg, const step_progress_t *progress)
{
    throttle_hook_t *hook = arg;
    hook->reports++;
    if (hook->cancel != NULL && progress->bytes_done > 0)
        atomic_store(hook->cancel, 1);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* max_mb_per_s holds the reads to the cap (checked as a lower bound on the time, which a loaded machine cannot
 * break), progress keeps coming while throttled, and a cancel while throttled stops the step and leaves nothing. */
static void test_bandwidth_cap_throttles_and_can_be_cancelled(void **state)
{
    fixture_t *f = *state;
    char tree[PATH_MAX], file[PATH_MAX], archive[PATH_MAX];
    step_test_path_join(tree, f->allowed, "capped");
    make_dirs(tree);
    step_test_path_join(file, tree, "big.bin");
    const size_t big = 4u * 1024u * 1024u;
    unsigned char *bytes = calloc(1, big);
    assert_non_null(bytes);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, big), (ssize_t)big);
    assert_int_equal(close(fd), 0);
    free(bytes);
    step_test_wait_settled();

    step_test_path_join(archive, f->backups, "capped.tar.zst");
    throttle_hook_t hook = {0};
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, count_reports, &hook, NULL, "tree", tree, "archive", archive,
                              "online", "true", "max_mb_per_s", "2", NULL),
                     STEP_SUCCEEDED);
    double elapsed = seconds_since(&start);
    msg_step_result_clear(&result);
    print_message("  4 MiB at 2 MiB/s: %.2f s, %u progress reports\n", elapsed, hook.reports);
    assert_true(elapsed >= 1.5);
    assert_true(hook.reports >= 3);

    atomic_int cancel = 0;
    throttle_hook_t cancelling = {.cancel = &cancel};
    step_test_path_join(archive, f->backups, "cancelled.tar.zst");
    assert_int_equal(run_step(f, "backup-tree", &result, count_reports, &cancelling, &cancel, "tree", tree, "archive",
                              archive, "online", "true", "max_mb_per_s", "1", NULL),
                     STEP_CANCELLED);
    msg_step_result_clear(&result);
    assert_int_equal(access(archive, F_OK), -1);
    DIR *dir = opendir(f->backups);
    assert_non_null(dir);
    for (struct dirent *d; (d = readdir(dir)) != NULL;)
        if (strstr(d->d_name, "cancelled") != NULL)
            fail_msg("%s left behind by the cancelled backup", d->d_name);
    closedir(dir);
}

/* An online base asked again after an agent restart: the complete archive (manifest version 2) verifies and is
 * kept, and a delta against it works. */
static void test_online_base_asked_again_after_restart_is_kept(void **state)
{
    fixture_t *f = *state;
    scenario_t s;
    scenario_init(f, &s, "again");
    make_store(s.root, 1);
    msg_step_result_t result;
    base_copy(f, &s, "0", NULL, &result);
    msg_step_result_clear(&result);
    f->interrupted = 1;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, NULL, "tree", s.cs, "tree", s.deleted, "archive",
                              s.base, "online", "true", NULL),
                     STEP_SUCCEEDED);
    assert_string_equal(kv_list_get(&result.outputs, "recovered"), "yes");
    assert_string_equal(kv_list_get(&result.outputs, "archive_sha256"), s.base_sha);
    msg_step_result_clear(&result);
    f->interrupted = 0;
    assert_int_equal(run_delta(f, &s, &result, NULL), STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_same_tree(s.root, s.target);
}

/* What backup-delta refuses: an offline base (no folder states), a delta as a base, a target outside the policy. */
static void test_delta_refusals(void **state)
{
    fixture_t *f = *state;
    scenario_t s;
    scenario_init(f, &s, "refuse");
    make_store(s.root, 1);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, NULL, "tree", s.cs, "archive", s.base, NULL),
                     STEP_SUCCEEDED);
    snprintf(s.base_sha, sizeof s.base_sha, "%s", kv_list_get(&result.outputs, "archive_sha256"));
    msg_step_result_clear(&result);
    assert_int_equal(
        run_step(f, "backup-delta", &result, NULL, NULL, NULL, "base", s.base, "archive", s.delta, "tree", s.cs, NULL),
        STEP_REFUSED);
    assert_non_null(strstr(result.error, "online=true"));
    msg_step_result_clear(&result);

    char online[PATH_MAX], second[PATH_MAX];
    step_test_path_join(online, f->backups, "online.tar.zst");
    step_test_path_join(second, f->backups, "second.tar.zst");
    assert_int_equal(
        run_step(f, "backup-tree", &result, NULL, NULL, NULL, "tree", s.cs, "archive", online, "online", "true", NULL),
        STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_int_equal(run_step(f, "backup-delta", &result, NULL, NULL, NULL, "base", online, "archive", s.delta, "tree",
                              s.cs, "base_sha256", s.base_sha, NULL),
                     STEP_FAILED);
    assert_non_null(strstr(result.error, "expected"));
    msg_step_result_clear(&result);
    assert_int_equal(
        run_step(f, "backup-delta", &result, NULL, NULL, NULL, "base", online, "archive", s.delta, "tree", s.cs, NULL),
        STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_int_equal(
        run_step(f, "backup-delta", &result, NULL, NULL, NULL, "base", s.delta, "archive", second, "tree", s.cs, NULL),
        STEP_REFUSED);
    assert_non_null(strstr(result.error, "itself a delta"));
    msg_step_result_clear(&result);
    assert_int_equal(run_step(f, "backup-delta", &result, NULL, NULL, NULL, "base", online, "archive", second, "tree",
                              s.cs, "target", "/etc", NULL),
                     STEP_REFUSED);
    msg_step_result_clear(&result);
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, NULL, "tree", s.cs, "archive", second,
                              "max_mb_per_s", "5", NULL),
                     STEP_REFUSED);
    msg_step_result_clear(&result);

    /* delta-scan: the same base rules (an offline base, a delta as base, a tree the base lacks, a path
     * outside the allowed roots, a wrong digest) */
    struct {
        const char *base, *tree, *sha;
        step_status_t want;
        const char *says;
    } scans[] = {
        {s.base, s.cs, NULL, STEP_REFUSED, "not a full online base"},
        {s.delta, s.cs, NULL, STEP_REFUSED, "not a full online base"},
        {online, s.deleted, NULL, STEP_REFUSED, "no online copy of tree"},
        {online, "/etc", NULL, STEP_REFUSED, NULL},
        {online, s.cs, s.base_sha, STEP_FAILED, "expected"},
        {online, s.cs, NULL, STEP_SUCCEEDED, NULL},
    };
    for (size_t i = 0; i < sizeof scans / sizeof scans[0]; i++) {
        assert_int_equal(run_step(f, "delta-scan", &result, NULL, NULL, NULL, "base", scans[i].base, "tree",
                                  scans[i].tree, scans[i].sha ? "base_sha256" : NULL, scans[i].sha, NULL),
                         scans[i].want);
        if (scans[i].says != NULL && strstr(result.error, scans[i].says) == NULL)
            fail_msg("delta-scan case %zu: %s", i, result.error);
        msg_step_result_clear(&result);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_base_while_writing_then_delta_equals_the_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delta_cost_grows_with_changes_not_with_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_changing_during_online_copy_ends_up_right, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_paused_during_base_copy_is_completed_by_the_delta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_folders_are_dirty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vanishing_fails_offline_is_left_out_online, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_delta_asked_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bandwidth_cap_throttles_and_can_be_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_online_base_asked_again_after_restart_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delta_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
