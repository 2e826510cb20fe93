/* standin_props.c -- read a Java-style .properties file (key=value) for the stand-ins. */
#include "standin_props.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct standin_props {
    char *text;        /* the file, split in place */
    char **keys;
    char **values;
    size_t count;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return NULL;
    char *text = malloc(STANDIN_PROPS_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, STANDIN_PROPS_FILE_MAX + 1, f) : 0;
    int bad = text == NULL || ferror(f) || n > STANDIN_PROPS_FILE_MAX;
    fclose(f);
    if (bad) {
        free(text);
        errno = EFBIG;
        return NULL;
    }
    text[n] = '\0';
    return text;
}

static void parse_line(standin_props_t *props, char *line)
{
    line = trim(line);
    if (line[0] == '\0' || line[0] == '#' || line[0] == '!')
        return;
    char *sep = strpbrk(line, "=:");
    if (sep == NULL)
        return;
    *sep = '\0';
    props->keys[props->count] = trim(line);
    props->values[props->count] = trim(sep + 1);
    props->count++;
}

standin_props_t *standin_props_load(const char *path)
{
    standin_props_t *props = calloc(1, sizeof *props);
    if (props == NULL || (props->text = read_file(path)) == NULL)
        goto fail;
    size_t lines = 1;
    for (const char *p = props->text; *p; p++)
        lines += *p == '\n';
    props->keys = calloc(lines, sizeof *props->keys);
    props->values = calloc(lines, sizeof *props->values);
    if (props->keys == NULL || props->values == NULL)
        goto fail;
    char *line = props->text;
    while (line != NULL) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        parse_line(props, line);
        line = next;
    }
    return props;
fail:
    standin_props_destroy(&props);
    return NULL;
}

const char *standin_props_get(const standin_props_t *props, const char *key)
{
    for (size_t i = props->count; i > 0; i--)
        if (strcmp(props->keys[i - 1], key) == 0)
            return props->values[i - 1];
    return NULL;
}

void standin_props_destroy(standin_props_t **props_p)
{
    if (props_p == NULL || *props_p == NULL)
        return;
    standin_props_t *props = *props_p;
    free(props->text);
    free(props->keys);
    free(props->values);
    free(props);
    *props_p = NULL;
}

int standin_port_parse(const char *text, unsigned *port)
{
    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || value == 0 || value > 65535)
        return -1;
    *port = (unsigned)value;
    return 0;
}

int standin_args_port(int argc, char **argv, unsigned *port_override)
{
    *port_override = 0;
    if (argc == 3)
        return 0;
    if (argc != 5 || strcmp(argv[3], "--port") != 0)
        return -1;
    if (standin_port_parse(argv[4], port_override) != 0) {
        fprintf(stderr, "--port %s: must be a port number (1..65535)\n", argv[4]);
        return -1;
    }
    return 0;
}

int standin_args_repo(int argc, char **argv, unsigned *port_override, const char **props_file)
{
    *port_override = 0;
    *props_file = NULL;
    if (argc < 3 || argc % 2 == 0)
        return -1;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0 && *port_override == 0) {
            if (standin_port_parse(argv[i + 1], port_override) != 0) {
                fprintf(stderr, "--port %s: must be a port number (1..65535)\n", argv[i + 1]);
                return -1;
            }
        } else if (strcmp(argv[i], "--props") == 0 && *props_file == NULL && argv[i + 1][0] == '/') {
            *props_file = argv[i + 1];
        } else {
            return -1;
        }
    }
    return 0;
}
