/* json_writer.h -- building JSON text for status and agent listings. */
#ifndef ALFUP_JSON_WRITER_H
#define ALFUP_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Appends s to f as a JSON string literal (quotes and escapes included). */
void json_write_string(FILE *f, const char *s);

#endif
