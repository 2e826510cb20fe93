/* plan_diag.c -- collecting plan and workflow errors with their file and line. */
#include "plan_diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void keep(plan_diag_t *diag, const char *msg)
{
    if (diag->errors.count >= PLAN_DIAG_MAX || str_list_add(&diag->errors, msg) != 0)
        diag->dropped++;
}

int plan_diag_add_err(plan_diag_t *diag, const alfup_err_t *err)
{
    keep(diag, err->msg);
    return ALFUP_ERR;
}

int plan_diag_at(plan_diag_t *diag, const yaml_doc_node_t *node, const char *fmt, ...)
{
    char text[ALFUP_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    alfup_err_t err;
    yaml_doc_error(node, &err, "%s", text);
    keep(diag, err.msg);
    return ALFUP_ERR;
}

int plan_diag_addf(plan_diag_t *diag, const char *fmt, ...)
{
    char text[ALFUP_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    keep(diag, text);
    return ALFUP_ERR;
}

size_t plan_diag_count(const plan_diag_t *diag)
{
    return diag->errors.count + diag->dropped;
}

int plan_diag_to_err(const plan_diag_t *diag, alfup_err_t *err)
{
    size_t count = plan_diag_count(diag);
    if (count == 0)
        return alfup_err_set(err, "unknown error");
    const char *first = diag->errors.count > 0 ? diag->errors.items[0] : "too many errors";
    if (count == 1)
        return alfup_err_set(err, "%s", first);
    return alfup_err_set(err, "%s (and %zu more)", first, count - 1);
}

void plan_diag_clear(plan_diag_t *diag)
{
    str_list_clear(&diag->errors);
    diag->dropped = 0;
}
