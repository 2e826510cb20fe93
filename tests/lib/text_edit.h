/* text_edit.h -- tests build bad inputs from a good text by replacing one of its lines. */
#ifndef ALFUP_TEST_TEXT_EDIT_H
#define ALFUP_TEST_TEXT_EDIT_H

/* base (every line ending in '\n') with its line `line` (1-based) replaced by
 * replacement (which may hold several lines), or removed when replacement is
 * NULL. A new string the caller frees; NULL when out of memory. */
char *text_replace_line(const char *base, int line, const char *replacement);

#endif
