/* db_ident.h -- database and role names from the wire: validate before any SQL sees them. */
#ifndef ALFUP_DB_IDENT_H
#define ALFUP_DB_IDENT_H

#include "alfup_error.h"

/* Longest identifier PostgreSQL keeps (NAMEDATALEN - 1). */
#define DB_IDENT_MAX 63

/* 1 when name matches [A-Za-z_][A-Za-z0-9_]{0,62}, else 0. NULL gives 0. */
int db_ident_valid(const char *name);

/* ALFUP_OK when name is a valid identifier, else ALFUP_ERR with err saying
 * which parameter (what) was malformed. */
int db_ident_check(const char *what, const char *name, alfup_err_t *err);

/* 1 for the databases alfup never drops or recreates whatever the records say:
 * postgres, template0, template1. */
int db_ident_is_system_database(const char *name);

#endif
