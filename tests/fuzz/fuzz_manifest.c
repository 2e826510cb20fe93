/* fuzz_manifest.c -- libFuzzer target: the manifest parser on arbitrary bytes; formatting what it accepts must
 * round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    alfup_err_t err;
    manifest_t *manifest = manifest_parse((const char *)data, size, &err);
    if (manifest == NULL)
        return 0;
    char *text = NULL;
    size_t len = 0;
    if (manifest_format(manifest, &text, &len, &err) != 0)
        abort();
    manifest_t *again = manifest_parse(text, len, &err);
    if (again == NULL || manifest_count(again) != manifest_count(manifest))
        abort();
    for (size_t i = 0; i < manifest_count(manifest); i++) {
        manifest_entry_t *entry = manifest_entry_at(manifest, i);
        if (manifest_find(again, entry->path) == NULL || manifest_find(manifest, entry->path) != entry)
            abort();
    }
    char *text2 = NULL;
    size_t len2 = 0;
    if (manifest_format(again, &text2, &len2, &err) != 0 || len2 != len || memcmp(text, text2, len) != 0)
        abort();
    free(text);
    free(text2);
    manifest_destroy(&again);
    manifest_destroy(&manifest);
    return 0;
}
