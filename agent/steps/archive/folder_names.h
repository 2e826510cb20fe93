/* folder_names.h -- the names in an open folder, sorted: what the delta scan and the delta prune compare. */
#ifndef ALFUP_FOLDER_NAMES_H
#define ALFUP_FOLDER_NAMES_H

#include "alfup_error.h"
#include "str_list.h"

/* Adds the names in the open folder fd (without . and ..) to names and sorts
 * them (str_list_sort). fd stays open and owned by the caller. shown names the
 * folder in err ("list SHOWN: ..."). 0 or ALFUP_ERR. */
int folder_names_list(int fd, const char *shown, str_list_t *names, alfup_err_t *err);

#endif
