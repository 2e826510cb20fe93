/* preflight_fs.c -- the identity of the filesystem a backup folder is on (preflight_fs.h). */
#include "preflight_fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "path_within.h"

#define MOUNTINFO_PATH "/proc/self/mountinfo"
#define MACHINE_ID_PATH "/etc/machine-id"
#define MOUNTINFO_LINE_MAX 8192
#define MACHINE_NAME_MAX 256

/* Network filesystems: their mount source names the export every client shares. */
static const char *const REMOTE_FSTYPES[] = {"nfs", "nfs4", "cifs", "smb3", "ceph"};

typedef struct mount_entry {
    char point[MOUNTINFO_LINE_MAX];
    char fstype[64];
    char source[MOUNTINFO_LINE_MAX];
} mount_entry_t;

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape(char *text)
{
    char *out = text;
    for (const char *in = text; *in; out++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
            in[3] <= '7') {
            *out = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
            in += 4;
        } else {
            *out = *in++;
        }
    }
    *out = '\0';
}

/* Parses one mountinfo line: "ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER".
 * 0 when its device is dev, with its mount point, type and source; -1 otherwise. */
static int parse_entry(char *line, dev_t dev, mount_entry_t *entry)
{
    unsigned major_no, minor_no;
    char *save = NULL, *field[5];
    for (int i = 0; i < 5; i++)
        if ((field[i] = strtok_r(i == 0 ? line : NULL, " \n", &save)) == NULL)
            return -1;
    if (sscanf(field[2], "%u:%u", &major_no, &minor_no) != 2 || makedev(major_no, minor_no) != dev)
        return -1;
    char *word;
    while ((word = strtok_r(NULL, " \n", &save)) != NULL && strcmp(word, "-") != 0)
        ; /* options and optional fields */
    char *fstype = word ? strtok_r(NULL, " \n", &save) : NULL;
    char *source = fstype ? strtok_r(NULL, " \n", &save) : NULL;
    if (source == NULL)
        return -1;
    snprintf(entry->point, sizeof entry->point, "%s", field[4]);
    snprintf(entry->fstype, sizeof entry->fstype, "%s", fstype);
    snprintf(entry->source, sizeof entry->source, "%s", source);
    unescape(entry->point);
    unescape(entry->source);
    return 0;
}

/* The mount of device dev whose mount point is the longest one containing path. */
static int find_mount(const char *path, dev_t dev, mount_entry_t *found, alfup_err_t *err)
{
    FILE *in = fopen(MOUNTINFO_PATH, "re");
    if (in == NULL)
        return alfup_err_errno(err, errno, "open %s", MOUNTINFO_PATH);
    char *line = malloc(MOUNTINFO_LINE_MAX);
    mount_entry_t *entry = malloc(sizeof *entry);
    size_t best = 0;
    int rc = line && entry ? ALFUP_ERR : alfup_err_set(err, "out of memory");
    while (line && entry && fgets(line, MOUNTINFO_LINE_MAX, in) != NULL) {
        if (parse_entry(line, dev, entry) != 0 || !path_is_within(path, entry->point))
            continue;
        if (rc == ALFUP_OK && strlen(entry->point) <= best)
            continue;
        best = strlen(entry->point);
        *found = *entry;
        rc = ALFUP_OK;
    }
    if (rc != ALFUP_OK && line && entry)
        alfup_err_set(err, "%s: no mount of device %u:%u in %s", path, major(dev), minor(dev), MOUNTINFO_PATH);
    free(entry);
    free(line);
    fclose(in);
    return rc;
}

/* /etc/machine-id, or the host name when there is none. */
static void machine_name(char *name, size_t len)
{
    FILE *in = fopen(MACHINE_ID_PATH, "re");
    name[0] = '\0';
    if (in != NULL) {
        if (fgets(name, (int)len, in) == NULL)
            name[0] = '\0';
        fclose(in);
        name[strcspn(name, " \n")] = '\0';
    }
    if (name[0] == '\0' && gethostname(name, len) != 0)
        snprintf(name, len, "unknown-host");
    name[len - 1] = '\0';
}

static int is_remote(const char *fstype)
{
    for (size_t i = 0; i < sizeof REMOTE_FSTYPES / sizeof REMOTE_FSTYPES[0]; i++)
        if (strcmp(fstype, REMOTE_FSTYPES[i]) == 0)
            return 1;
    return 0;
}

int preflight_fs_identity(const char *path, char *id, size_t len, alfup_err_t *err)
{
    struct stat st;
    struct statfs fs;
    if (stat(path, &st) != 0)
        return alfup_err_errno(err, errno, "stat %s", path);
    if (statfs(path, &fs) != 0)
        return alfup_err_errno(err, errno, "statfs %s", path);
    mount_entry_t *entry = malloc(sizeof *entry);
    if (entry == NULL)
        return alfup_err_set(err, "out of memory");
    int rc = find_mount(path, st.st_dev, entry, err);
    if (rc == ALFUP_OK && is_remote(entry->fstype)) {
        snprintf(id, len, "remote:%s", entry->source);
    } else if (rc == ALFUP_OK) {
        char machine[MACHINE_NAME_MAX];
        machine_name(machine, sizeof machine);
        unsigned fsid[2];
        memcpy(fsid, &fs.f_fsid, sizeof fsid);
        if (fsid[0] || fsid[1])
            snprintf(id, len, "local:%s:fsid=%08x%08x", machine, fsid[0], fsid[1]);
        else
            snprintf(id, len, "local:%s:dev=%u:%u", machine, major(st.st_dev), minor(st.st_dev));
    }
    free(entry);
    return rc;
}
