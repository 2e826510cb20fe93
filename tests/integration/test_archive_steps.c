/* test_archive_steps.c -- backup-tree, verify-archive, restore-tree and install-distribution on real files and real
 * archives. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_config.h"
#include "archive_digest.h"
#include "manifest.h"
#include "step.h"
#include "step_test_lib.h"
#include "tree_remove.h"

#define BIG_FILE_BYTES (3u * 1024u * 1024u + 17u)
#define FIXED_MTIME 1600000000

/* Everything one test needs: a scratch folder with allowed/, backups/ inside it, outside/ beside it. */
typedef struct fixture {
    char base[PATH_MAX];
    char allowed[PATH_MAX];
    char outside[PATH_MAX];
    char backups[PATH_MAX];
    char src[PATH_MAX]; /* allowed/src: the trees */
    agent_config_t *config;
    int interrupted;    /* passed to steps: an earlier attempt was cut off by an agent restart */
} fixture_t;

/* What the progress callback saw. */
typedef struct progress_log {
    unsigned calls;
    step_progress_t last;
    int went_backwards;
    int over_total;
    atomic_int *cancel_on_first; /* set to 1 at the first report when non-NULL */
    atomic_int *cancel_mid;      /* set to 1 at the first report with bytes done (see below) */
    uint64_t cancelled_at;       /* bytes_done when cancel_mid was set */
} progress_log_t;

static void record_progress(void *arg, const step_progress_t *p)
{
    progress_log_t *log = arg;
    if (log->calls > 0 && (p->bytes_done < log->last.bytes_done || p->files_done < log->last.files_done))
        log->went_backwards = 1;
    if ((p->bytes_total > 0 && p->bytes_done > p->bytes_total) || p->files_done > p->files_total)
        log->over_total = 1;
    log->last = *p;
    log->last.message = NULL;
    log->calls++;
    if (log->cancel_on_first != NULL)
        atomic_store(log->cancel_on_first, 1);
    /* reports are rate-limited: waiting longer than the limit at the first (after the
     * scan) makes the next tick, inside the first file's data, report and cancel */
    if (log->cancel_mid != NULL && p->bytes_done == 0)
        usleep(700 * 1000);
    else if (log->cancel_mid != NULL && log->cancelled_at == 0) {
        log->cancelled_at = p->bytes_done;
        atomic_store(log->cancel_mid, 1);
    }
}

static void write_file(const char *path, const void *bytes, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

static void make_dir(const char *path, mode_t mode)
{
    assert_int_equal(mkdir(path, mode), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    step_test_temp_root("alfup-archive", f->base, sizeof f->base);
    step_test_path_join(f->allowed, f->base, "allowed");
    step_test_path_join(f->outside, f->base, "outside");
    step_test_path_join(f->backups, f->allowed, "backups");
    step_test_path_join(f->src, f->allowed, "src");
    make_dir(f->allowed, 0755);
    make_dir(f->outside, 0755);
    make_dir(f->backups, 0700);
    make_dir(f->src, 0755);
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

/* Runs the step kind with params given as key, value, ..., NULL. */
static step_status_t run_step(fixture_t *f, const char *kind, msg_step_result_t *result, progress_log_t *log,
                              atomic_int *cancel, ...)
{
    step_test_how_t how = {.config = f->config,
                           .progress = log ? record_progress : NULL,
                           .progress_arg = log,
                           .cancel = cancel,
                           .interrupted = f->interrupted};
    va_list ap;
    va_start(ap, cancel);
    step_status_t status = step_test_run_v(&how, kind, result, ap);
    va_end(ap);
    return status;
}

static void assert_error_has(const msg_step_result_t *result, const char *text)
{
    assert_non_null(result->error);
    if (strstr(result->error, text) == NULL)
        fail_msg("error '%s' lacks '%s'", result->error, text);
}

/* Sets a fixed mtime (with nanoseconds) on path without following a symlink. */
static void set_mtime(const char *path, long nsec)
{
    struct timespec times[2] = {{FIXED_MTIME, 0}, {FIXED_MTIME, nsec}};
    assert_int_equal(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), 0);
}

/* Builds src/NAME: nested and empty folders, symlinks (one dangling), modes
 * 0600/0755, a 0-byte file, a few MB file, names with spaces, a newline and
 * non-ASCII characters. Returns the number of regular files. */
static unsigned make_tree(const fixture_t *f, const char *name, char *root_out)
{
    char root[PATH_MAX], p[PATH_MAX];
    step_test_path_join(root, f->src, name);
    make_dir(root, 0755);
    const char *dirs[] = {"2024", "2024/01", "2024/01/02", "with space", "empty", "deep", "deep/a", "deep/a/b"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        step_test_path_join(p, root, dirs[i]);
        make_dir(p, strcmp(dirs[i], "empty") == 0 ? 0700 : 0755);
    }
    step_test_path_join(p, root, "2024/01/02/a.bin");
    write_file(p, "hello", 5, 0600);
    step_test_path_join(p, root, "zero.bin");
    write_file(p, "", 0, 0644);
    step_test_path_join(p, root, "run.sh");
    write_file(p, "#!/bin/sh\n", 10, 0755);
    step_test_path_join(p, root, "with space/file name.txt");
    write_file(p, "spaces", 6, 0640);
    step_test_path_join(p, root, "new\nline.txt");
    write_file(p, "newline", 7, 0644);
    step_test_path_join(p, root,
              "\xc3\xbcnic\xc3\xb8"
              "de \xe2\x82\xac.txt");
    write_file(p, "unicode", 7, 0644);
    step_test_path_join(p, root, "deep/a/b/leaf.txt");
    write_file(p, "leaf", 4, 0444);
    unsigned char *big = malloc(BIG_FILE_BYTES);
    assert_non_null(big);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < BIG_FILE_BYTES; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        big[i] = i % 3 == 0 ? (unsigned char)'a' + (unsigned char)(i % 26) : (unsigned char)x;
    }
    step_test_path_join(p, root, "big.bin");
    write_file(p, big, BIG_FILE_BYTES, 0644);
    free(big);
    step_test_path_join(p, root, "link");
    assert_int_equal(symlink("2024/01/02/a.bin", p), 0);
    step_test_path_join(p, root, "dangling");
    assert_int_equal(symlink("does/not/exist", p), 0);
    /* mtimes last, deepest first, so creating children does not change them */
    const char *timed[] = {"2024/01/02/a.bin",
                           "zero.bin",
                           "run.sh",
                           "big.bin",
                           "deep/a/b/leaf.txt",
                           "deep/a/b",
                           "deep/a",
                           "deep",
                           "2024/01/02",
                           "2024/01",
                           "2024",
                           "empty",
                           "with space/file name.txt",
                           "with space",
                           "new\nline.txt",
                           "."};
    for (size_t i = 0; i < sizeof timed / sizeof timed[0]; i++) {
        step_test_path_join(p, root, timed[i]);
        set_mtime(p, 123456789 + (long)i);
    }
    if (root_out != NULL)
        memcpy(root_out, root, PATH_MAX);
    return 8;
}

/* Compares the entry at a with the one at b: type, mode, size, mtime, bytes, symlink target. */
static void compare_entry(const char *a, const char *b)
{
    struct stat sa, sb;
    assert_int_equal(lstat(a, &sa), 0);
    if (lstat(b, &sb) != 0)
        fail_msg("%s missing after restore", b);
    assert_int_equal(sa.st_mode & S_IFMT, sb.st_mode & S_IFMT);
    if (S_ISLNK(sa.st_mode)) {
        char ta[PATH_MAX] = "", tb[PATH_MAX] = "";
        assert_true(readlink(a, ta, sizeof ta - 1) > 0);
        assert_true(readlink(b, tb, sizeof tb - 1) > 0);
        assert_string_equal(ta, tb);
        return;
    }
    if ((sa.st_mode & 07777) != (sb.st_mode & 07777))
        fail_msg("%s: mode %o, restored %o", b, sa.st_mode & 07777, sb.st_mode & 07777);
    if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
        fail_msg("%s: mtime %ld.%09ld, restored %ld.%09ld", b, (long)sa.st_mtim.tv_sec, sa.st_mtim.tv_nsec,
                 (long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
    if (S_ISREG(sa.st_mode)) {
        assert_int_equal(sa.st_size, sb.st_size);
        FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
        assert_non_null(fa);
        assert_non_null(fb);
        int ca, cb;
        do {
            ca = fgetc(fa);
            cb = fgetc(fb);
            if (ca != cb)
                fail_msg("%s: content differs", b);
        } while (ca != EOF);
        fclose(fa);
        fclose(fb);
    }
}

/* Compares every entry below a with the same name below b; returns how many there were. */
static size_t compare_below(const char *a, const char *b)
{
    DIR *dir = opendir(a);
    assert_non_null(dir);
    size_t count = 0;
    for (struct dirent *d; (d = readdir(dir)) != NULL;) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        char pa[PATH_MAX], pb[PATH_MAX];
        step_test_path_join(pa, a, d->d_name);
        step_test_path_join(pb, b, d->d_name);
        compare_entry(pa, pb);
        count++;
        struct stat st;
        assert_int_equal(lstat(pa, &st), 0);
        if (S_ISDIR(st.st_mode))
            count += compare_below(pa, pb);
    }
    closedir(dir);
    return count;
}

/* The number of entries below a folder (0 for an absent one). */
static size_t count_entries(const char *path)
{
    DIR *dir = opendir(path);
    if (dir == NULL)
        return 0;
    size_t count = 0;
    for (struct dirent *d; (d = readdir(dir)) != NULL;) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        step_test_path_join(p, path, d->d_name);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        count += 1 + (S_ISDIR(st.st_mode) ? count_entries(p) : 0);
    }
    closedir(dir);
    return count;
}

/* Every entry below a equals the one below b, and b has no others. */
static void assert_same_tree(const char *a, const char *b)
{
    size_t in_a = compare_below(a, b);
    assert_true(in_a > 0);
    assert_int_equal(count_entries(b), in_a);
}

/* Backs up src/cs (made here) to backups/NAME; returns the archive path in out. */
static void backup_cs(fixture_t *f, const char *name, char *archive_out, char *cs_out)
{
    char cs[PATH_MAX];
    make_tree(f, "cs", cs);
    step_test_path_join(archive_out, f->backups, name);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", archive_out, NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    if (cs_out != NULL)
        memcpy(cs_out, cs, PATH_MAX);
}

static void test_round_trip_preserves_everything(void **state)
{
    fixture_t *f = *state;
    char cs[PATH_MAX], deleted[PATH_MAX], archive[PATH_MAX], p[PATH_MAX];
    unsigned files = make_tree(f, "cs", cs);
    step_test_path_join(deleted, f->src, "cs.deleted");
    make_dir(deleted, 0750);
    step_test_path_join(p, deleted, "gone.bin");
    write_file(p, "gone", 4, 0600);
    step_test_path_join(archive, f->backups, "nightly/alf_data.tar.zst");

    msg_step_result_t result;
    progress_log_t log = {0};
    assert_int_equal(
        run_step(f, "backup-tree", &result, &log, NULL, "tree", cs, "tree", deleted, "archive", archive, NULL),
        STEP_SUCCEEDED);
    assert_string_equal(kv_list_get(&result.outputs, "archive"), archive);
    char manifest_path[PATH_MAX + 16];
    snprintf(manifest_path, sizeof manifest_path, "%s.manifest", archive);
    assert_string_equal(kv_list_get(&result.outputs, "manifest"), manifest_path);
    assert_true(exists(archive) && exists(manifest_path));
    assert_int_equal(strlen(kv_list_get(&result.outputs, "archive_sha256")), 64);
    char want[64];
    snprintf(want, sizeof want, "%u", files + 1);
    assert_string_equal(kv_list_get(&result.outputs, "files"), want);
    snprintf(want, sizeof want, "cs=%u", files);
    assert_string_equal(kv_list_get_nth(&result.outputs, "tree_files", 0), want);
    assert_string_equal(kv_list_get_nth(&result.outputs, "tree_files", 1), "cs.deleted=1");
    /* progress: totals from the pre-scan, all done at the end, never backwards */
    assert_true(log.calls >= 2);
    assert_int_equal(log.last.files_total, files + 1);
    assert_int_equal(log.last.files_done, files + 1);
    assert_true(log.last.bytes_total >= BIG_FILE_BYTES);
    assert_int_equal(log.last.bytes_done, log.last.bytes_total);
    assert_false(log.went_backwards);
    assert_false(log.over_total);
    char sha[65];
    snprintf(sha, sizeof sha, "%s", kv_list_get(&result.outputs, "archive_sha256"));
    msg_step_result_clear(&result);
    /* only the archive, its manifest, its checksum and their folder: no temporary file left */
    assert_int_equal(count_entries(f->backups), 4);

    assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", archive, "sha256", sha, NULL),
                     STEP_SUCCEEDED);
    assert_string_equal(kv_list_get(&result.outputs, "archive_sha256"), sha);
    msg_step_result_clear(&result);

    char target[PATH_MAX];
    step_test_path_join(target, f->allowed, "restore/contentstore");
    memset(&log, 0, sizeof log);
    assert_int_equal(
        run_step(f, "restore-tree", &result, &log, NULL, "archive", archive, "target", target, "tree", "cs", NULL),
        STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_same_tree(cs, target);
    compare_entry(cs, target); /* the target folder took the tree root's mode and mtime */
    assert_int_equal(log.last.files_done, files);
    assert_int_equal(log.last.bytes_done, log.last.bytes_total);

    /* without a tree: every tree below the target, by name */
    step_test_path_join(target, f->allowed, "restore/all");
    make_dir(target, 0755);
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", target, NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    step_test_path_join(p, target, "cs");
    assert_same_tree(cs, p);
    step_test_path_join(p, target, "cs.deleted");
    assert_same_tree(deleted, p);
}

static void test_existing_archive_is_not_replaced(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX], cs[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, cs);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", archive, NULL),
                     STEP_FAILED);
    assert_error_has(&result, "already exists");
    msg_step_result_clear(&result);
}

static void flip_byte(const char *path, off_t offset);
static off_t file_size(const char *path);

/* The agent restarted after the archive was renamed into place but before the
 * result was recorded: the re-run keeps the complete archive, unchanged. */
static void test_interrupted_backup_keeps_its_complete_archive(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX], cs[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, cs);
    struct stat before, after;
    assert_int_equal(stat(archive, &before), 0);
    f->interrupted = 1;
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", archive, NULL),
                     STEP_SUCCEEDED);
    assert_string_equal(kv_list_get(&result.outputs, "recovered"), "yes");
    assert_string_equal(kv_list_get(&result.outputs, "archive"), archive);
    assert_non_null(kv_list_get(&result.outputs, "archive_sha256"));
    msg_step_result_clear(&result);
    assert_int_equal(stat(archive, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino); /* not rewritten */
    assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", archive, NULL), STEP_SUCCEEDED);
    msg_step_result_clear(&result);
}

/* ...and an archive of the interrupted attempt that does not verify is its own
 * incomplete output: removed and written again. Without the restart, an
 * existing archive is never touched (test_existing_archive_is_not_replaced). */
static void test_interrupted_backup_rewrites_a_broken_archive(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX], cs[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, cs);
    flip_byte(archive, file_size(archive) / 2);
    f->interrupted = 1;
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", archive, NULL),
                     STEP_SUCCEEDED);
    assert_null(kv_list_get(&result.outputs, "recovered"));
    msg_step_result_clear(&result);
    f->interrupted = 0;
    assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", archive, NULL), STEP_SUCCEEDED);
    msg_step_result_clear(&result);
}

/* The agent was killed while writing: the re-run removes the cut-off attempt's
 * temporary files (archive, manifest and digest temps), writes the archive, and
 * leaves alone anything else beside it, including a symlink with a temp name. */
static void test_interrupted_backup_removes_its_temporary_files(void **state)
{
    fixture_t *f = *state;
    char cs[PATH_MAX], archive[PATH_MAX], path[PATH_MAX], outside_file[PATH_MAX];
    make_tree(f, "cs", cs);
    step_test_path_join(archive, f->backups, "a.tar.zst");
    static const char *const STALE[] = {"a.tar.zst.tmp.Ab12Cd", "a.tar.zst.manifest.tmp.4242",
                                        "a.tar.zst.sha256.tmp.x9"};
    static const char *const KEPT[] = {"a.tar.zst.tmp.not-ours", "a.tar.zst.tmp.", "b.tar.zst.tmp.Ab12Cd",
                                       "a.tar.zst.tmpX.Ab12Cd"};
    for (size_t i = 0; i < sizeof STALE / sizeof STALE[0]; i++) {
        step_test_path_join(path, f->backups, STALE[i]);
        write_file(path, "partial", 7, 0600);
    }
    for (size_t i = 0; i < sizeof KEPT / sizeof KEPT[0]; i++) {
        step_test_path_join(path, f->backups, KEPT[i]);
        write_file(path, "keep", 4, 0600);
    }
    step_test_path_join(outside_file, f->outside, "victim");
    write_file(outside_file, "victim", 6, 0600);
    step_test_path_join(path, f->backups, "a.tar.zst.tmp.LINK01");
    assert_int_equal(symlink(outside_file, path), 0);

    f->interrupted = 1;
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", archive, NULL),
                     STEP_SUCCEEDED);
    int logged = 0;
    for (size_t i = 0; i < result.log_lines.count; i++)
        logged |= strstr(result.log_lines.items[i], "removed 3 temporary file(s)") != NULL;
    assert_true(logged);
    msg_step_result_clear(&result);
    for (size_t i = 0; i < sizeof STALE / sizeof STALE[0]; i++) {
        step_test_path_join(path, f->backups, STALE[i]);
        assert_false(exists(path));
    }
    for (size_t i = 0; i < sizeof KEPT / sizeof KEPT[0]; i++) {
        step_test_path_join(path, f->backups, KEPT[i]);
        assert_true(exists(path));
    }
    step_test_path_join(path, f->backups, "a.tar.zst.tmp.LINK01");
    assert_true(exists(path));
    assert_true(exists(outside_file));
    f->interrupted = 0;
    assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", archive, NULL), STEP_SUCCEEDED);
    msg_step_result_clear(&result);
}

static void flip_byte(const char *path, off_t offset)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, offset), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, offset), 1);
    close(fd);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* restore-tree into an absent and into an empty target must fail and leave them absent / empty. */
static void assert_restore_fails_cleanly(fixture_t *f, const char *archive, const char *why)
{
    char absent[PATH_MAX], empty[PATH_MAX];
    step_test_path_join(absent, f->allowed, "restore-absent");
    step_test_path_join(empty, f->allowed, "restore-empty");
    make_dir(empty, 0755);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", absent, NULL),
                     STEP_FAILED);
    assert_error_has(&result, why);
    msg_step_result_clear(&result);
    assert_false(exists(absent));
    assert_int_equal(
        run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", empty, "tree", "cs", NULL),
        STEP_FAILED);
    assert_error_has(&result, why);
    msg_step_result_clear(&result);
    assert_true(exists(empty));
    assert_int_equal(count_entries(empty), 0);
    assert_int_equal(rmdir(empty), 0);
}

static void assert_verify_fails(fixture_t *f, const char *archive, const char *why)
{
    msg_step_result_t result;
    assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", archive, NULL), STEP_FAILED);
    assert_error_has(&result, why);
    msg_step_result_clear(&result);
}

static void test_corrupted_byte_is_caught(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, NULL);
    flip_byte(archive, file_size(archive) / 2); /* inside big.bin's compressed data */
    assert_verify_fails(f, archive, "archive ");
    assert_restore_fails_cleanly(f, archive, "archive ");
}

static void test_every_position_of_a_small_archive_is_checked(void **state)
{
    fixture_t *f = *state;
    char dir[PATH_MAX], p[PATH_MAX], archive[PATH_MAX];
    step_test_path_join(dir, f->src, "small");
    make_dir(dir, 0755);
    step_test_path_join(p, dir, "a.txt");
    write_file(p, "some text that is not very long", 31, 0644);
    step_test_path_join(archive, f->backups, "small.tar.zst");
    msg_step_result_t result;
    assert_int_equal(
        run_step(f, "backup-tree", &result, NULL, NULL, "tree", dir, "archive", archive, "threads", "1", NULL),
        STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    /* a flipped byte anywhere in the file must fail verify */
    off_t size = file_size(archive);
    for (off_t at = 0; at < size; at += 7) {
        flip_byte(archive, at);
        assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", archive, NULL), STEP_FAILED);
        msg_step_result_clear(&result);
        flip_byte(archive, at);
    }
    assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", archive, NULL), STEP_SUCCEEDED);
    msg_step_result_clear(&result);
}

static void test_truncated_archive_is_caught(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, NULL);
    assert_int_equal(truncate(archive, file_size(archive) - 4096), 0);
    assert_verify_fails(f, archive, "archive ");
    assert_restore_fails_cleanly(f, archive, "archive ");
}

static void test_missing_archive_or_manifest(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX], manifest[PATH_MAX + 16];
    step_test_path_join(archive, f->backups, "nope.tar.zst");
    assert_verify_fails(f, archive, "missing");
    backup_cs(f, "a.tar.zst", archive, NULL);
    snprintf(manifest, sizeof manifest, "%s.manifest", archive);
    assert_int_equal(unlink(manifest), 0);
    assert_verify_fails(f, archive, "manifest");
    assert_restore_fails_cleanly(f, archive, "missing");
}

/* Replaces the first occurrence of from with to (same length) in the manifest beside archive. */
static void edit_manifest(const char *archive, const char *from, const char *to, const char *append)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s.manifest", archive);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char *text = malloc(1 << 16);
    assert_non_null(text);
    size_t len = fread(text, 1, (1 << 16) - 1, in);
    fclose(in);
    text[len] = '\0';
    if (from != NULL) {
        char *at = strstr(text, from);
        assert_non_null(at);
        memcpy(at, to, strlen(to));
    }
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    char *end = strstr(text, "end ");
    assert_non_null(end);
    if (append != NULL) {
        unsigned count = (unsigned)strtoul(end + 4, NULL, 10);
        fwrite(text, 1, (size_t)(end - text), out);
        fprintf(out, "%send %u\n", append, count + 1);
    } else {
        fwrite(text, 1, len, out);
    }
    fclose(out);
    free(text);
}

static void test_manifest_mismatch_names_the_file(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, NULL);
    /* the sha-256 of "hello" (a.bin), one digit changed */
    edit_manifest(archive, "2cf24dba5f", "2cf24dba5e", NULL);
    assert_verify_fails(f, archive, "'cs/2024/01/02/a.bin': sha-256");
    assert_restore_fails_cleanly(f, archive, "'cs/2024/01/02/a.bin': sha-256");
}

static void test_manifest_inside_must_equal_beside(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, NULL);
    edit_manifest(archive, NULL, NULL, "d - - 0755 cs/ghost\n");
    assert_verify_fails(f, archive, "manifest inside differs");
    assert_restore_fails_cleanly(f, archive, "manifest inside differs");
}

/* One entry of a hand-made (possibly hostile) archive. */
typedef struct test_entry {
    const char *name;
    mode_t type;          /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO */
    const char *data;     /* files */
    const char *symlink;  /* symlinks */
    const char *hardlink; /* hardlink entries (type AE_IFREG, no data) */
} test_entry_t;

/* e's mode: perms[i] when given and not 0, else 0755 for folders, 0644 otherwise. */
static mode_t test_perm(const test_entry_t *e, const mode_t *perms, size_t i)
{
    return perms && perms[i] ? perms[i] : e->type == AE_IFDIR ? 0755 : 0644;
}

static void write_test_entry(struct archive *a, const test_entry_t *e, mode_t perm)
{
    struct archive_entry *entry = archive_entry_new();
    archive_entry_copy_pathname(entry, e->name);
    archive_entry_set_filetype(entry, e->type);
    archive_entry_set_perm(entry, perm);
    archive_entry_set_mtime(entry, FIXED_MTIME, 0);
    size_t len = e->data ? strlen(e->data) : 0;
    archive_entry_set_size(entry, (la_int64_t)len);
    if (e->symlink)
        archive_entry_copy_symlink(entry, e->symlink);
    if (e->hardlink)
        archive_entry_copy_hardlink(entry, e->hardlink);
    if (e->type == AE_IFCHR)
        archive_entry_set_rdev(entry, makedev(1, 3));
    assert_true(archive_write_header(a, entry) >= ARCHIVE_WARN);
    if (len > 0)
        assert_int_equal(archive_write_data(a, e->data, len), (la_ssize_t)len);
    archive_entry_free(entry);
}

/* Writes PATH.sha256 for the file at path, as backup-tree does. */
static void write_sha256_file(const char *path)
{
    alfup_err_t err;
    archive_digest_t *digest = archive_digest_new(&err);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char block[4096], sha[65];
    for (size_t n; (n = fread(block, 1, sizeof block, in)) > 0;)
        archive_digest_update(digest, block, n, &err);
    fclose(in);
    assert_int_equal(archive_digest_final_hex(digest, sha, &err), 0);
    archive_digest_destroy(&digest);
    char sum_path[PATH_MAX + 16];
    snprintf(sum_path, sizeof sum_path, "%s.sha256", path);
    FILE *out = fopen(sum_path, "wb");
    assert_non_null(out);
    fprintf(out, "%s  x\n", sha);
    fclose(out);
}

/* Writes entries to path as "tar.zst" (with a matching manifest inside and
 * beside, as backup-tree would), "tar.gz" or "zip"; perms (may be NULL) as test_perm. */
static void write_test_archive_perms(const char *path, const char *format, const test_entry_t *entries, size_t n,
                                     const mode_t *perms)
{
    struct archive *a = archive_write_new();
    int tar_zst = strcmp(format, "tar.zst") == 0;
    if (strcmp(format, "zip") == 0) {
        assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    } else {
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        assert_int_equal(tar_zst ? archive_write_add_filter_zstd(a) : archive_write_add_filter_gzip(a), ARCHIVE_OK);
    }
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    manifest_t *manifest = manifest_new();
    alfup_err_t err;
    for (size_t i = 0; i < n; i++) {
        write_test_entry(a, &entries[i], test_perm(&entries[i], perms, i));
        archive_digest_t *digest = archive_digest_new(&err);
        char sha[65];
        const char *data = entries[i].data ? entries[i].data : "";
        archive_digest_update(digest, data, strlen(data), &err);
        archive_digest_final_hex(digest, sha, &err);
        archive_digest_destroy(&digest);
        manifest_type_t type = entries[i].type == AE_IFDIR   ? MANIFEST_DIR
                               : entries[i].type == AE_IFLNK ? MANIFEST_SYMLINK
                                                             : MANIFEST_FILE;
        /* unsafe names and special files cannot be listed: they stay "extra" */
        manifest_add(manifest, type, strlen(data), sha, test_perm(&entries[i], perms, i), entries[i].name,
                     entries[i].symlink, &err);
    }
    if (tar_zst) {
        char *text;
        size_t len;
        assert_int_equal(manifest_format(manifest, &text, &len, &err), 0);
        test_entry_t inner = {".alfup/manifest", AE_IFREG, text, NULL, NULL};
        write_test_entry(a, &inner, 0644);
        char beside[PATH_MAX + 16];
        snprintf(beside, sizeof beside, "%s.manifest", path);
        FILE *out = fopen(beside, "wb");
        assert_non_null(out);
        assert_int_equal(fwrite(text, 1, len, out), len);
        fclose(out);
        free(text);
    }
    manifest_destroy(&manifest);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    if (tar_zst)
        write_sha256_file(path);
}

static void write_test_archive(const char *path, const char *format, const test_entry_t *entries, size_t n)
{
    write_test_archive_perms(path, format, entries, n, NULL);
}

/* Runs one hostile archive through restore-tree and install-distribution:
 * both refuse, name the reason, and nothing appears outside the target. */
static void assert_hostile_refused(fixture_t *f, const test_entry_t *entries, size_t n, const char *why)
{
    char secret[PATH_MAX], archive[PATH_MAX], dist[PATH_MAX], target[PATH_MAX], old_home[PATH_MAX];
    step_test_path_join(secret, f->outside, "secret");
    write_file(secret, "untouched", 9, 0644);
    step_test_path_join(archive, f->backups, "hostile.tar.zst");
    step_test_path_join(dist, f->allowed, "hostile.tar.gz");
    step_test_path_join(target, f->allowed, "victim");
    step_test_path_join(old_home, f->allowed, "old-home");
    write_test_archive(archive, "tar.zst", entries, n);
    write_test_archive(dist, "tar.gz", entries, n);

    msg_step_result_t result;
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", target, NULL),
                     STEP_FAILED);
    assert_error_has(&result, why);
    msg_step_result_clear(&result);
    assert_false(exists(target));
    assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target", target,
                              "old_home", old_home, NULL),
                     STEP_FAILED);
    assert_error_has(&result, why);
    msg_step_result_clear(&result);
    assert_false(exists(target));
    /* outside: still only the secret, unchanged */
    assert_int_equal(count_entries(f->outside), 1);
    FILE *in = fopen(secret, "rb");
    char text[32] = "";
    assert_non_null(fgets(text, sizeof text, in));
    fclose(in);
    assert_string_equal(text, "untouched");
    struct stat st;
    assert_int_equal(stat(secret, &st), 0);
    assert_int_equal(st.st_nlink, 1);
    char manifest[PATH_MAX + 16];
    snprintf(manifest, sizeof manifest, "%s.manifest", archive);
    unlink(manifest);
    snprintf(manifest, sizeof manifest, "%s.sha256", archive);
    unlink(manifest);
    unlink(archive);
    unlink(dist);
}

static void test_hostile_dotdot(void **state)
{
    test_entry_t e[] = {{"top", AE_IFDIR, 0, 0, 0}, {"top/../../outside/escape.txt", AE_IFREG, "x", 0, 0}};
    assert_hostile_refused(*state, e, 2, "top/../../outside/escape.txt");
}

static void test_hostile_absolute_path(void **state)
{
    fixture_t *f = *state;
    char abs_name[PATH_MAX];
    step_test_path_join(abs_name, f->outside, "abs.txt");
    test_entry_t e[] = {{"top", AE_IFDIR, 0, 0, 0}, {abs_name, AE_IFREG, "x", 0, 0}};
    assert_hostile_refused(f, e, 2, abs_name);
}

static void test_hostile_symlink_then_write_through(void **state)
{
    fixture_t *f = *state;
    test_entry_t e[] = {{"top", AE_IFDIR, 0, 0, 0},
                        {"top/evil", AE_IFLNK, 0, f->outside, 0},
                        {"top/evil/written.txt", AE_IFREG, "pwned", 0, 0}};
    assert_hostile_refused(f, e, 3, "top/evil/written.txt");
}

static void test_hostile_hardlink_to_outside(void **state)
{
    fixture_t *f = *state;
    char secret[PATH_MAX];
    step_test_path_join(secret, f->outside, "secret");
    test_entry_t e[] = {{"top", AE_IFDIR, 0, 0, 0}, {"top/hl", AE_IFREG, 0, 0, secret}};
    assert_hostile_refused(f, e, 2, "top/hl");
    test_entry_t rel[] = {{"top", AE_IFDIR, 0, 0, 0}, {"top/hl", AE_IFREG, 0, 0, "../outside/secret"}};
    assert_hostile_refused(f, rel, 2, "top/hl");
}

static void test_hostile_device_and_fifo(void **state)
{
    test_entry_t dev[] = {{"top", AE_IFDIR, 0, 0, 0}, {"top/null", AE_IFCHR, 0, 0, 0}};
    assert_hostile_refused(*state, dev, 2, "top/null");
    test_entry_t fifo[] = {{"top", AE_IFDIR, 0, 0, 0}, {"top/pipe", AE_IFIFO, 0, 0, 0}};
    assert_hostile_refused(*state, fifo, 2, "top/pipe");
}

static void test_non_empty_target_is_refused_and_kept(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX], target[PATH_MAX], keep[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, NULL);
    step_test_path_join(target, f->allowed, "busy");
    make_dir(target, 0755);
    step_test_path_join(keep, target, "keep.txt");
    write_file(keep, "mine", 4, 0644);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", target, NULL),
                     STEP_REFUSED);
    assert_error_has(&result, target);
    assert_error_has(&result, "not empty");
    msg_step_result_clear(&result);
    assert_int_equal(count_entries(target), 1);
    assert_true(exists(keep));
}

static void test_paths_outside_allowed_roots_are_refused(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX], cs[PATH_MAX], escape[PATH_MAX], p[PATH_MAX];
    backup_cs(f, "a.tar.zst", archive, cs);
    /* a symlink inside the allowed root that leads outside */
    step_test_path_join(escape, f->allowed, "escape");
    assert_int_equal(symlink(f->outside, escape), 0);
    msg_step_result_t result;

    step_test_path_join(p, f->outside, "restored");
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", p, NULL),
                     STEP_REFUSED);
    assert_error_has(&result, "allowed_roots");
    msg_step_result_clear(&result);
    step_test_path_join(p, escape, "restored");
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", p, NULL),
                     STEP_REFUSED);
    assert_error_has(&result, "allowed_roots");
    msg_step_result_clear(&result);
    assert_int_equal(count_entries(f->outside), 0);

    step_test_path_join(p, f->backups, "b.tar.zst");
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", f->outside, "archive", p, NULL),
                     STEP_REFUSED);
    msg_step_result_clear(&result);
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", escape, "archive", p, NULL), STEP_REFUSED);
    assert_error_has(&result, "allowed_roots");
    msg_step_result_clear(&result);
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", "relative/path", "archive", p, NULL),
                     STEP_REFUSED);
    msg_step_result_clear(&result);
    assert_int_equal(run_step(f, "verify-archive", &result, NULL, NULL, "archive", "/etc/passwd", NULL), STEP_REFUSED);
    msg_step_result_clear(&result);
    assert_false(exists(p));
}

static void test_archive_outside_backup_dir_is_refused(void **state)
{
    fixture_t *f = *state;
    char cs[PATH_MAX], p[PATH_MAX];
    make_tree(f, "cs", cs);
    msg_step_result_t result;
    step_test_path_join(p, f->allowed, "not-backups.tar.zst"); /* allowed root, but not backup_dir */
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", p, NULL), STEP_REFUSED);
    assert_error_has(&result, "backup_dir");
    msg_step_result_clear(&result);
    assert_false(exists(p));
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", f->backups, NULL),
                     STEP_REFUSED);
    msg_step_result_clear(&result);
    step_test_path_join(p, f->backups, "../escaped.tar.zst");
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", p, NULL), STEP_REFUSED);
    msg_step_result_clear(&result);
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "archive", p, NULL), STEP_REFUSED);
    msg_step_result_clear(&result);
    assert_int_equal(count_entries(f->backups), 0);
}

static void test_cancel_mid_backup_leaves_no_file(void **state)
{
    fixture_t *f = *state;
    char cs[PATH_MAX], archive[PATH_MAX];
    make_tree(f, "cs", cs);
    step_test_path_join(archive, f->backups, "cancelled.tar.zst");
    atomic_int cancel = 0;
    progress_log_t log = {.cancel_on_first = &cancel};
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, &log, &cancel, "tree", cs, "archive", archive, NULL),
                     STEP_CANCELLED);
    msg_step_result_clear(&result);
    assert_int_equal(count_entries(f->backups), 0);

    /* cancelled while file data is being written: still nothing left */
    atomic_store(&cancel, 0);
    progress_log_t mid = {.cancel_mid = &cancel};
    assert_int_equal(run_step(f, "backup-tree", &result, &mid, &cancel, "tree", cs, "archive", archive, NULL),
                     STEP_CANCELLED);
    msg_step_result_clear(&result);
    assert_true(mid.cancelled_at > 0 && mid.cancelled_at < mid.last.bytes_total);
    assert_int_equal(count_entries(f->backups), 0);

    /* cancel during a restore: the target goes away again */
    atomic_store(&cancel, 0);
    log.cancel_on_first = NULL;
    assert_int_equal(run_step(f, "backup-tree", &result, NULL, NULL, "tree", cs, "archive", archive, NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    char target[PATH_MAX];
    step_test_path_join(target, f->allowed, "partial");
    atomic_store(&cancel, 1);
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, &cancel, "archive", archive, "target", target, NULL),
                     STEP_CANCELLED);
    msg_step_result_clear(&result);
    assert_false(exists(target));
}

static const test_entry_t DISTRIBUTION[] = {
    {"alfresco-dist-7.4/", AE_IFDIR, 0, 0, 0},
    {"alfresco-dist-7.4/bin/", AE_IFDIR, 0, 0, 0},
    {"alfresco-dist-7.4/bin/apply_amps.sh", AE_IFREG, "#!/bin/sh\n", 0, 0},
    {"alfresco-dist-7.4/web-server/webapps/alfresco.war", AE_IFREG, "PK war", 0, 0},
    {"alfresco-dist-7.4/README.txt", AE_IFREG, "read me", 0, 0},
};

static void assert_file_text(const char *dir, const char *rel, const char *text)
{
    char p[PATH_MAX], got[64] = "";
    step_test_path_join(p, dir, rel);
    FILE *in = fopen(p, "rb");
    if (in == NULL)
        fail_msg("%s missing", p);
    size_t n = fread(got, 1, sizeof got - 1, in);
    fclose(in);
    got[n] = '\0';
    assert_string_equal(got, text);
}

static void install_and_check(fixture_t *f, const char *format)
{
    char dist[PATH_MAX], target[PATH_MAX], old_home[PATH_MAX], name[64], p[PATH_MAX];
    snprintf(name, sizeof name, "dist.%s", format);
    step_test_path_join(dist, f->allowed, name);
    snprintf(name, sizeof name, "new-home-%s", format);
    step_test_path_join(target, f->allowed, name);
    step_test_path_join(old_home, f->allowed, "old-home");
    write_test_archive(dist, format, DISTRIBUTION, sizeof DISTRIBUTION / sizeof DISTRIBUTION[0]);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target", target,
                              "old_home", old_home, NULL),
                     STEP_SUCCEEDED);
    assert_string_equal(kv_list_get(&result.outputs, "stripped"), "alfresco-dist-7.4");
    msg_step_result_clear(&result);
    assert_file_text(target, "bin/apply_amps.sh", "#!/bin/sh\n");
    assert_file_text(target, "web-server/webapps/alfresco.war", "PK war");
    assert_file_text(target, "README.txt", "read me");
    step_test_path_join(p, target, "alfresco-dist-7.4");
    assert_false(exists(p));
    assert_int_equal(count_entries(target), 6);
}

static void test_install_strips_single_top_folder(void **state)
{
    install_and_check(*state, "zip");
    install_and_check(*state, "tar.gz");
}

static void test_install_keeps_mixed_top_level(void **state)
{
    fixture_t *f = *state;
    test_entry_t mixed[] = {{"a/one.txt", AE_IFREG, "1", 0, 0}, {"b/two.txt", AE_IFREG, "2", 0, 0}};
    char dist[PATH_MAX], target[PATH_MAX], old_home[PATH_MAX];
    step_test_path_join(dist, f->allowed, "mixed.zip");
    step_test_path_join(target, f->allowed, "new-home");
    step_test_path_join(old_home, f->allowed, "old-home");
    write_test_archive(dist, "zip", mixed, 2);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target", target,
                              "old_home", old_home, NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_file_text(target, "a/one.txt", "1");
    assert_file_text(target, "b/two.txt", "2");
}

static void test_install_handles_dot_slash_names(void **state)
{
    fixture_t *f = *state;
    test_entry_t dotted[] = {{"./", AE_IFDIR, 0, 0, 0},
                             {"./solr-dist/", AE_IFDIR, 0, 0, 0},
                             {"./solr-dist/solr.in.sh", AE_IFREG, "SOLR", 0, 0},
                             {"./solr-dist/lib/a.jar", AE_IFREG, "JAR", 0, 0}};
    char dist[PATH_MAX], target[PATH_MAX], old_home[PATH_MAX];
    step_test_path_join(dist, f->allowed, "solr.tar.gz");
    step_test_path_join(target, f->allowed, "solr-new");
    step_test_path_join(old_home, f->allowed, "solr-old");
    write_test_archive(dist, "tar.gz", dotted, 4);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target", target,
                              "old_home", old_home, NULL),
                     STEP_SUCCEEDED);
    assert_string_equal(kv_list_get(&result.outputs, "stripped"), "solr-dist");
    msg_step_result_clear(&result);
    assert_file_text(target, "solr.in.sh", "SOLR");
    assert_file_text(target, "lib/a.jar", "JAR");
    assert_int_equal(count_entries(target), 3);
}

static void assert_mode(const char *dir, const char *rel, mode_t want)
{
    char p[PATH_MAX];
    step_test_path_join(p, dir, rel);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    if ((st.st_mode & 07777) != want)
        fail_msg("%s: mode %04o, want %04o", p, (unsigned)(st.st_mode & 07777), (unsigned)want);
}

static int has_output(const msg_step_result_t *result, const char *key, const char *value)
{
    for (size_t i = 0; i < result->outputs.count; i++)
        if (strcmp(result->outputs.items[i].key, key) == 0 && strcmp(result->outputs.items[i].value, value) == 0)
            return 1;
    return 0;
}

/* Entries owned by uid 0 (libarchive's default) with setuid, setgid and sticky bits. */
static const test_entry_t SPECIAL[] = {
    {"dist", AE_IFDIR, 0, 0, 0},
    {"dist/bin", AE_IFDIR, 0, 0, 0},
    {"dist/bin/su-tool", AE_IFREG, "#!/bin/sh\n", 0, 0},
    {"dist/bin/sg-tool", AE_IFREG, "#!/bin/sh\n", 0, 0},
    {"dist/bin/sticky.txt", AE_IFREG, "s", 0, 0},
    {"dist/shared", AE_IFDIR, 0, 0, 0},
    {"dist/README", AE_IFREG, "read me", 0, 0},
};
static const mode_t SPECIAL_PERMS[] = {0755, 04755, 04755, 02755, 01644, 03775, 0644};

/* below (the folder the dist/ entries landed in): no setuid or setgid file. */
static void assert_special_bits_cleared(const char *below, const msg_step_result_t *result, const char *prefix)
{
    assert_mode(below, "bin/su-tool", 0755);
    assert_mode(below, "bin", 0755);
    assert_mode(below, "bin/sg-tool", 0755);
    assert_mode(below, "bin/sticky.txt", 0644);
    assert_mode(below, "shared", 03775); /* a folder's setgid and sticky grant nothing: kept */
    assert_mode(below, "README", 0644);
    char value[128];
    snprintf(value, sizeof value, "%sbin/su-tool (4755)", prefix);
    assert_true(has_output(result, "cleared_special_bits", value));
    snprintf(value, sizeof value, "%sbin/sg-tool (2755)", prefix);
    assert_true(has_output(result, "cleared_special_bits", value));
    assert_string_equal(kv_list_get(&result->outputs, "cleared_special_bits_total"), "4");
    assert_true(result->log_lines.count > 0);
}

static void test_special_bits_are_cleared(void **state)
{
    fixture_t *f = *state;
    size_t n = sizeof SPECIAL / sizeof SPECIAL[0];
    char dist[PATH_MAX], target[PATH_MAX], old_home[PATH_MAX], archive[PATH_MAX], restored[PATH_MAX];
    step_test_path_join(dist, f->allowed, "special.tar.gz");
    step_test_path_join(target, f->allowed, "new-home");
    step_test_path_join(old_home, f->allowed, "old-home");
    write_test_archive_perms(dist, "tar.gz", SPECIAL, n, SPECIAL_PERMS);
    msg_step_result_t result;
    assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target", target,
                              "old_home", old_home, NULL),
                     STEP_SUCCEEDED);
    assert_special_bits_cleared(target, &result, "dist/");
    msg_step_result_clear(&result);

    step_test_path_join(archive, f->backups, "special.tar.zst");
    step_test_path_join(target, f->allowed, "restored");
    write_test_archive_perms(archive, "tar.zst", SPECIAL, n, SPECIAL_PERMS);
    assert_int_equal(run_step(f, "restore-tree", &result, NULL, NULL, "archive", archive, "target", target, NULL),
                     STEP_SUCCEEDED);
    step_test_path_join(restored, target, "dist");
    assert_special_bits_cleared(restored, &result, "dist/");
    msg_step_result_clear(&result);
}

static void test_install_refuses_overlap_and_non_empty_target(void **state)
{
    fixture_t *f = *state;
    char dist[PATH_MAX], old_home[PATH_MAX], inside[PATH_MAX], p[PATH_MAX];
    step_test_path_join(dist, f->allowed, "dist.zip");
    step_test_path_join(old_home, f->allowed, "opt/alfresco-v1");
    write_test_archive(dist, "zip", DISTRIBUTION, sizeof DISTRIBUTION / sizeof DISTRIBUTION[0]);
    step_test_path_join(p, f->allowed, "opt");
    make_dir(p, 0755);
    make_dir(old_home, 0755);
    step_test_path_join(inside, old_home, "new");
    const char *overlapping[] = {old_home, inside, p}; /* equal, inside, containing */
    msg_step_result_t result;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target",
                                  overlapping[i], "old_home", old_home, NULL),
                         STEP_REFUSED);
        assert_error_has(&result, "overlaps the old installation");
        msg_step_result_clear(&result);
    }
    assert_int_equal(count_entries(p), 1);
    char busy[PATH_MAX];
    step_test_path_join(busy, f->allowed, "busy");
    make_dir(busy, 0755);
    step_test_path_join(p, busy, "x");
    write_file(p, "x", 1, 0644);
    assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target", busy,
                              "old_home", old_home, NULL),
                     STEP_REFUSED);
    assert_error_has(&result, "not empty");
    msg_step_result_clear(&result);
    step_test_path_join(p, f->outside, "home");
    assert_int_equal(run_step(f, "install-distribution", &result, NULL, NULL, "distribution", dist, "target", p,
                              "old_home", old_home, NULL),
                     STEP_REFUSED);
    msg_step_result_clear(&result);
    assert_int_equal(count_entries(f->outside), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_preserves_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_archive_is_not_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_backup_keeps_its_complete_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_backup_rewrites_a_broken_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_backup_removes_its_temporary_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_byte_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_position_of_a_small_archive_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_archive_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_archive_or_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_mismatch_names_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_inside_must_equal_beside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_dotdot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_absolute_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_symlink_then_write_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_hardlink_to_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_device_and_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_empty_target_is_refused_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths_outside_allowed_roots_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_outside_backup_dir_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_mid_backup_leaves_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_strips_single_top_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_keeps_mixed_top_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_handles_dot_slash_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_bits_are_cleared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_refuses_overlap_and_non_empty_target, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
