/* db_ident.c -- database and role name validation. */
#include "db_ident.h"

#include <string.h>

static int ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

int db_ident_valid(const char *name)
{
    if (name == NULL || !ident_start(name[0]))
        return 0;
    size_t len = 1;
    for (; name[len] != '\0'; len++)
        if (len >= DB_IDENT_MAX || !ident_char(name[len]))
            return 0;
    return 1;
}

int db_ident_check(const char *what, const char *name, alfup_err_t *err)
{
    if (db_ident_valid(name))
        return ALFUP_OK;
    return alfup_err_set(err, "%s '%.80s' is not a valid name ([A-Za-z_][A-Za-z0-9_]{0,62})", what,
                         name ? name : "");
}

int db_ident_is_system_database(const char *name)
{
    static const char *const SYSTEM_DATABASES[] = {"postgres", "template0", "template1"};
    for (size_t i = 0; i < sizeof SYSTEM_DATABASES / sizeof SYSTEM_DATABASES[0]; i++)
        if (strcmp(name, SYSTEM_DATABASES[i]) == 0)
            return 1;
    return 0;
}
