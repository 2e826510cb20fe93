/* json_writer.h -- building JSON text for status and agent listings. */
#ifndef ALFUP_JSON_WRITER_H
#define ALFUP_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kv_list.h"
#include "str_list.h"

/* Appends s to f as a JSON string literal (quotes and escapes included). */
void json_write_string(FILE *f, const char *s);

/* Appends one member after an earlier one: ,"key":"value" (key and value
 * written as json_write_string writes them). */
void json_write_field(FILE *f, const char *key, const char *value);

/* Appends the pairs as one JSON object: {"key":"value",...}; a key that occurs
 * more than once gets an array of its values, in order: {"tree":["a","b"]}. */
void json_write_kv_object(FILE *f, const kv_list_t *pairs);

/* Appends the strings as one JSON array: ["a","b"]. */
void json_write_string_array(FILE *f, const str_list_t *strings);

#endif
