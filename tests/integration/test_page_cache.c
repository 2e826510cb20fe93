/* test_page_cache.c -- online work leaves the page cache as it found it (issue 11): after an online backup-tree,
 * the files it read and the archive it wrote have no page resident; after restore-tree online=true, neither have
 * the archive it read nor the files it laid. Residency is read with mincore(2) on a fresh mapping (which faults
 * nothing in). Only the dropped case is asserted: whether pages stay cached without the advice depends on memory
 * pressure, that they are gone with it does not. Skipped on tmpfs, whose pages cannot be dropped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_config.h"
#include "online_state.h"
#include "step.h"
#include "step_test_lib.h"
#include "tree_remove.h"

#define FILES 4
#define FILE_BYTES (3u * 1024u * 1024u + 4097u) /* several read blocks, a partial last page */
#define TMPFS_MAGIC_NUMBER 0x01021994

typedef struct fixture {
    char base[PATH_MAX];
    char allowed[PATH_MAX];
    char backups[PATH_MAX];
    char cs[PATH_MAX]; /* allowed/cs: the tree backed up */
    agent_config_t *config;
} fixture_t;

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0)
        fail_msg("mkdir %s: %s", path, strerror(errno));
}

/* Resident pages of path (mincore on a new PROT_NONE mapping); *pages gets the file's page count. */
static size_t resident_pages(const char *path, size_t *pages)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("open %s: %s", path, strerror(errno));
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    *pages = ((size_t)st.st_size + page - 1) / page;
    if (*pages == 0) {
        close(fd);
        return 0;
    }
    /* PROT_NONE: nothing (valgrind included, which reads the start of a readable mapping) touches its pages */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_NONE, MAP_SHARED, fd, 0);
    close(fd);
    assert_true(map != MAP_FAILED);
    unsigned char *vec = malloc(*pages);
    assert_non_null(vec);
    if (mincore(map, (size_t)st.st_size, vec) != 0)
        fail_msg("mincore %s: %s", path, strerror(errno));
    size_t resident = 0;
    for (size_t i = 0; i < *pages; i++)
        resident += vec[i] & 1;
    free(vec);
    munmap(map, (size_t)st.st_size);
    return resident;
}

static void assert_not_cached(const char *path, const char *what)
{
    size_t pages = 0, resident = resident_pages(path, &pages);
    if (resident != 0)
        fail_msg("%s %s: %zu of %zu pages still in the page cache", what, path, resident, pages);
}

/* Writes a file of FILE_BYTES (data differing per file, little compressible), synced, then reads it back so it
 * starts out cached as production's own files would. */
static void write_file(const char *path, unsigned seed)
{
    unsigned char *data = malloc(FILE_BYTES);
    assert_non_null(data);
    uint32_t x = 2463534242u ^ seed;
    for (size_t i = 0; i < FILE_BYTES; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        fail_msg("create %s: %s", path, strerror(errno));
    assert_int_equal(write(fd, data, FILE_BYTES), (ssize_t)FILE_BYTES);
    assert_int_equal(fsync(fd), 0);
    close(fd);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    while (read(fd, data, FILE_BYTES) > 0)
        continue;
    close(fd);
    free(data);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    step_test_temp_root("alfup-pagecache", f->base, sizeof f->base);
    step_test_path_join(f->allowed, f->base, "allowed");
    step_test_path_join(f->backups, f->allowed, "backups");
    step_test_path_join(f->cs, f->allowed, "cs");
    make_dir(f->allowed);
    make_dir(f->backups);
    make_dir(f->cs);
    f->config = step_test_config("test-agent", f->allowed, f->backups, NULL);
    char p[PATH_MAX], name[32];
    for (unsigned i = 0; i < FILES; i++) {
        snprintf(name, sizeof name, "f%u.bin", i);
        step_test_path_join(p, f->cs, name);
        write_file(p, i + 1);
    }
    step_test_wait_settled();
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

static step_status_t run_step(fixture_t *f, const char *kind, msg_step_result_t *result, ...)
{
    step_test_how_t how = {.config = f->config};
    va_list ap;
    va_start(ap, result);
    step_status_t status = step_test_run_v(&how, kind, result, ap);
    va_end(ap);
    return status;
}

static int on_tmpfs(const char *path)
{
    struct statfs fs;
    return statfs(path, &fs) == 0 && fs.f_type == TMPFS_MAGIC_NUMBER;
}

static void assert_tree_not_cached(const char *root, const char *what)
{
    char p[PATH_MAX], name[32];
    for (unsigned i = 0; i < FILES; i++) {
        snprintf(name, sizeof name, "f%u.bin", i);
        step_test_path_join(p, root, name);
        assert_not_cached(p, what);
    }
}

/* Backs up cs online into backups/base.tar.zst (path in archive); every file must have been read. */
static void backup_online(fixture_t *f, char *archive)
{
    step_test_path_join(archive, f->backups, "base.tar.zst");
    msg_step_result_t result;
    assert_int_equal(run_step(f, "backup-tree", &result, "tree", f->cs, "archive", archive, "online", "true", NULL),
                     STEP_SUCCEEDED);
    char want[16];
    snprintf(want, sizeof want, "%u", FILES);
    assert_string_equal(kv_list_get(&result.outputs, "files"), want);
    assert_string_equal(kv_list_get(&result.outputs, "files_left_out"), "0");
    msg_step_result_clear(&result);
}

static void test_online_backup_drops_what_it_read_and_wrote(void **state)
{
    fixture_t *f = *state;
    if (on_tmpfs(f->base))
        skip();
    char archive[PATH_MAX];
    backup_online(f, archive);
    assert_tree_not_cached(f->cs, "file read by the online backup");
    assert_not_cached(archive, "archive written by the online backup");
}

static void test_online_restore_drops_the_archive_and_the_files_laid(void **state)
{
    fixture_t *f = *state;
    if (on_tmpfs(f->base))
        skip();
    char archive[PATH_MAX], target[PATH_MAX];
    backup_online(f, archive);
    step_test_path_join(target, f->allowed, "new-contentstore");
    msg_step_result_t result;
    assert_int_equal(run_step(f, "restore-tree", &result, "archive", archive, "target", target, "tree", "cs", "online",
                              "true", NULL),
                     STEP_SUCCEEDED);
    msg_step_result_clear(&result);
    assert_tree_not_cached(target, "file laid by restore-tree online");
    assert_not_cached(archive, "archive read by restore-tree online");
}

static void test_restore_refuses_a_bad_online_value(void **state)
{
    fixture_t *f = *state;
    char archive[PATH_MAX], target[PATH_MAX];
    backup_online(f, archive);
    step_test_path_join(target, f->allowed, "new-contentstore");
    msg_step_result_t result;
    assert_int_equal(run_step(f, "restore-tree", &result, "archive", archive, "target", target, "online", "maybe",
                              NULL),
                     STEP_REFUSED);
    msg_step_result_clear(&result);
    struct stat st;
    assert_int_not_equal(lstat(target, &st), 0); /* refused before anything was written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_online_backup_drops_what_it_read_and_wrote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_online_restore_drops_the_archive_and_the_files_laid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_refuses_a_bad_online_value, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
