/* webhook_config.c -- reading the `webhooks:` list and each webhook's secret file. */
#include "webhook_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_value.h"

static const char *const WEBHOOK_KEYS[] = {"url", "secret_file", "ca", NULL};

static int read_secret(const yaml_doc_node_t *node, const char *path, webhook_t *hook, alfup_err_t *err)
{
    /* a regular file only: a FIFO or a device would block the start (or hand out endless bytes) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : EINVAL;
        if (fd >= 0)
            close(fd);
        return yaml_doc_error(node, err, "secret_file %s: %s", path, e == EINVAL ? "not a regular file" : strerror(e));
    }
    FILE *f = fdopen(fd, "r");
    if (f == NULL) {
        close(fd);
        return yaml_doc_error(node, err, "secret_file %s: %s", path, strerror(errno));
    }
    char *secret = calloc(1, WEBHOOK_SECRET_MAX + 2);
    size_t len = secret ? fread(secret, 1, WEBHOOK_SECRET_MAX + 1, f) : 0;
    fclose(f);
    if (secret == NULL)
        return alfup_err_set(err, "out of memory");
    while (len > 0 && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
        secret[--len] = '\0';
    if (len < WEBHOOK_SECRET_MIN || len > WEBHOOK_SECRET_MAX) {
        free(secret);
        return yaml_doc_error(node, err, "secret_file %s: a secret of %d to %d bytes is needed", path,
                              WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX);
    }
    hook->secret = secret;
    hook->secret_len = len;
    return ALFUP_OK;
}

static int parse_one(const yaml_doc_node_t *node, const webhook_list_t *list, webhook_t *hook, alfup_err_t *err)
{
    char *secret_file = NULL;
    int rc = ALFUP_ERR;
    if (yaml_doc_expect(node, YAML_DOC_MAPPING, err) < 0 || yaml_doc_check_keys(node, WEBHOOK_KEYS, err) < 0 ||
        yaml_doc_get_string(node, "url", YAML_DOC_REQUIRED, &hook->url, err) < 0 ||
        config_get_path(node, "secret_file", YAML_DOC_REQUIRED, &secret_file, err) < 0 ||
        config_get_path(node, "ca", 0, &hook->ca, err) < 0)
        goto out;
    if ((strncmp(hook->url, "http://", 7) != 0 && strncmp(hook->url, "https://", 8) != 0) ||
        strlen(hook->url) >= WEBHOOK_URL_MAX || strpbrk(hook->url, " \t\r\n") != NULL) {
        yaml_doc_error(yaml_doc_get(node, "url"), err, "url must be http:// or https://, without spaces");
        goto out;
    }
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].url, hook->url) == 0) {
            yaml_doc_error(yaml_doc_get(node, "url"), err, "url %s is listed twice", hook->url);
            goto out;
        }
    rc = read_secret(yaml_doc_get(node, "secret_file"), secret_file, hook, err);
out:
    free(secret_file);
    return rc;
}

int webhook_config_parse(const yaml_doc_node_t *root, webhook_list_t *list, alfup_err_t *err)
{
    memset(list, 0, sizeof *list);
    const yaml_doc_node_t *node = NULL;
    int found = yaml_doc_get_node(root, "webhooks", 0, YAML_DOC_SEQUENCE, &node, err);
    if (found < 0)
        return ALFUP_ERR;
    if (found == YAML_DOC_ABSENT || node == NULL)
        return ALFUP_OK;
    size_t count = yaml_doc_count(node);
    if (count > WEBHOOK_MAX)
        return yaml_doc_error(node, err, "at most %d webhooks", WEBHOOK_MAX);
    list->items = calloc(count ? count : 1, sizeof *list->items);
    if (list->items == NULL)
        return alfup_err_set(err, "out of memory");
    for (size_t i = 0; i < count; i++) {
        webhook_t *hook = &list->items[list->count];
        if (parse_one(yaml_doc_item(node, i), list, hook, err) != ALFUP_OK) {
            list->count++; /* what it holds is freed with the rest */
            webhook_config_clear(list);
            return ALFUP_ERR;
        }
        list->count++;
    }
    return ALFUP_OK;
}

void webhook_config_clear(webhook_list_t *list)
{
    for (size_t i = 0; list->items && i < list->count; i++) {
        webhook_t *hook = &list->items[i];
        if (hook->secret)
            memset(hook->secret, 0, hook->secret_len);
        free(hook->secret);
        free(hook->url);
        free(hook->ca);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}
